"""A run's hold on its job: a lease that lapses unless the run's heartbeat renews it.

A worker that dies leaves its job ``running``. Queueing such a job again is only safe
once nothing still works on it: a handler that does slow work outside its chunk's
transaction (an AI job asking the model) would otherwise do that work twice, once in the
old run and once in the new one. "No heartbeat for a while" cannot tell a dead worker
from a live one busy on a long chunk, and "every running job" (``--stale-after 0`` at a
worker's start) takes live ones too. So:

- **Claimed atomically.** A run takes a queued job, and a resume takes an abandoned one,
  with one conditional write (:func:`update_if_unchanged`): ``SELECT ... FOR UPDATE SKIP
  LOCKED`` then the update on PostgreSQL, a conditional ``UPDATE`` on SQLite. Of two
  processes that try at once, exactly one succeeds.
- **Held by a lease.** The claim writes a token and ``lease_expires_at`` (now plus the
  handler's ``stale_after``); a heartbeat thread renews it every quarter of that (at most
  every :data:`MAX_HEARTBEAT` seconds) while the run lives, and every committed chunk
  renews it too. Only a job whose lease has expired may be resumed.
- **A lost lease stops its run.** A run whose token was replaced (the job resumed
  elsewhere after its lease expired) starts no further work. So does one that could not
  renew its lease for the whole lease (a stalled process, a lost database) and finds,
  when it asks again (:meth:`Lease.held`), that it cannot.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

logger = logging.getLogger("toolkit.jobs")

#: The heartbeat renews a lease this many times per lease duration.
HEARTBEATS_PER_LEASE = 4
#: Seconds between two heartbeats at most (and at least :data:`MIN_HEARTBEAT`).
MAX_HEARTBEAT = 30.0
MIN_HEARTBEAT = 0.1


def update_if_unchanged(queryset: QuerySet[Any], **changes: Any) -> bool:
    """Apply ``changes`` to the one row ``queryset`` matches, if it still matches at the
    moment of writing; return whether it did.

    The filters of ``queryset`` are the claim's precondition (``status="queued"``, the
    lease token and expiry a resume saw). On databases with ``SKIP LOCKED``
    (PostgreSQL) the row is locked first and a row another transaction holds (a chunk
    being committed, another claim) is skipped instead of waited for; elsewhere (SQLite,
    one writer at a time) the conditional ``UPDATE`` alone decides: the second of two
    processes updates nothing.
    """
    if connections[queryset.db].features.has_select_for_update_skip_locked:
        with transaction.atomic(using=queryset.db):
            locked = queryset.select_for_update(skip_locked=True).values_list("pk", flat=True)
            pk = locked.first()
            if pk is None:
                return False
            return queryset.filter(pk=pk).update(**changes) == 1
    return queryset.update(**changes) == 1


class Lease:
    """One run's hold on one job: its token, how long a renewal lasts, and a heartbeat.

    The runner creates it when it claims the job and hands it to the handler
    (``handler.lease``), whose slow work asks :attr:`lost` between two units of work.
    ``running`` is the job's row as long as it runs (its primary key and status).
    """

    def __init__(
        self, job_pk: int, duration: timedelta, token: str, running: QuerySet[Any]
    ) -> None:
        self.job_pk = job_pk
        self.duration = duration
        self.token = token
        self.running = running
        #: ``time.monotonic()`` until which the last renewal this run wrote holds.
        self._held_until = 0.0
        self._taken = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def interval(self) -> float:
        """Seconds between two heartbeats."""
        seconds = self.duration.total_seconds() / HEARTBEATS_PER_LEASE
        return min(MAX_HEARTBEAT, max(MIN_HEARTBEAT, seconds))

    def expiry(self, now: datetime) -> datetime:
        """``lease_expires_at`` for a renewal written at ``now``."""
        return now + self.duration

    def renewed(self, started: float) -> None:
        """Note a renewal this run wrote; ``started`` is ``time.monotonic()`` from before
        the write, so the run's own view of its lease never outlasts the database's."""
        self._held_until = max(self._held_until, started + self.duration.total_seconds())

    @property
    def lost(self) -> bool:
        """The job may no longer be this run's, as far as the run knows without asking
        the database: resumed elsewhere, or the lease lapsed without a renewal (another
        run may take it any moment)."""
        return self._taken.is_set() or time.monotonic() >= self._held_until

    def held(self) -> bool:
        """Whether this run still holds the job. When its own view of the lease lapsed
        (heartbeats missed), it tries to renew it first: that succeeds only while the
        token is still this run's, so it can never take the job back from another."""
        if self._taken.is_set():
            return False
        if time.monotonic() < self._held_until:
            return True
        return self.renew()

    def renew(self) -> bool:
        """Push the lease forward if the job is still this run's; return whether it is."""
        started = time.monotonic()
        now = timezone.now()
        renewed = self.running.filter(lease=self.token).update(
            heartbeat_at=now, lease_expires_at=self.expiry(now)
        )
        if renewed:
            self.renewed(started)
        else:
            self._taken.set()
        return bool(renewed)

    # -- the heartbeat thread ---------------------------------------------------------

    def start_heartbeat(self) -> None:
        """Renew the lease every :attr:`interval` seconds in a thread of its own, so a
        chunk that waits minutes (on a model, a remote API) keeps its job."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._beat, name=f"toolkit-job-{self.job_pk}-heartbeat", daemon=True
        )
        self._thread.start()

    def stop_heartbeat(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            thread.join()

    def _beat(self) -> None:
        try:
            while not self._stopping.wait(self.interval):
                try:
                    if self.renew():
                        continue
                    if self.running.exists():
                        logger.warning(
                            "Job %s was resumed by another run; this one stops before its "
                            "next piece of work.",
                            self.job_pk,
                        )
                    # Otherwise the run itself just ended the job: nothing to say.
                    return
                except DatabaseError as exc:
                    # A busy SQLite file or a lost connection: try again at the next beat.
                    # Should it last the whole lease, ``lost`` turns true on its own.
                    logger.warning(
                        "Job %s: the heartbeat could not renew the lease (%s); trying again "
                        "in %.1f s.",
                        self.job_pk,
                        exc,
                        self.interval,
                    )
                    connections.close_all()
        finally:
            # The thread's own connections, never used again.
            connections.close_all()
