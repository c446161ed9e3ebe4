"""Runs one job, chunk by chunk, in whatever process the tasks framework picked.

The guarantees, and how they hold:

- **One chunk, one transaction.** Each chunk locks the job's row
  (``select_for_update``), reads the cursor, lets the handler do the chunk's writes and
  saves the new cursor, counts and heartbeat, then commits: all of it or none of it.
  A worker killed mid-chunk leaves the job at its last committed chunk.
- **Never twice.** A run owns the job through a lease (:mod:`toolkit.jobs.leases`): a
  token claimed atomically from the queued job, kept alive by a heartbeat thread. A
  resume takes only a job whose lease expired, so never one a live run works on. Every
  chunk checks the token under the row lock, so a run whose lease was taken over stops
  before its next chunk, and two runs can never commit the same chunk: the second reads
  the cursor the first committed.
- **Cancel between chunks.** ``cancel_requested`` is read at the start of every chunk.
- **Slow work holds no lock.** A handler with ``prepares_chunks`` (AI requests that take
  seconds per record) does its slow part in ``prepare_chunk()`` before the chunk's
  transaction opens; inside it, ``process_chunk()`` only counts. So a cancel, or any
  other writer (SQLite has one at a time), never waits on the slow part.

Nothing here depends on the tasks backend: claiming a task is the backend's business
(``db_worker`` uses ``SELECT ... FOR UPDATE SKIP LOCKED``), claiming the job is ours: a
duplicate task, or one delivered again by the backend, finds the job claimed and does
nothing. Nor does the runner import the task that calls it (:mod:`toolkit.jobs.tasks`):
a run that hands its job back to the queue uses the ``enqueue`` its caller gave it.
"""

from __future__ import annotations

import enum
import logging
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from toolkit.jobs.exceptions import UnknownJobKind
from toolkit.jobs.handlers import ChunkResult, JobHandler, get_handler
from toolkit.jobs.leases import Lease, update_if_unchanged
from toolkit.jobs.models import Job, JobStatus
from toolkit.jobs.results import assemble_result, delete_parts_on_commit, write_part

logger = logging.getLogger("toolkit.jobs")


class Outcome(enum.Enum):
    CONTINUE = "continue"
    DONE = "done"
    CANCELLED = "cancelled"
    QUEUED = "queued"  # handed back to the queue after the handler's max_run_time
    LOST = "lost"  # another run owns the job now


#: What ``JobRunner.prepare_chunk`` returns when it prepared nothing.
_UNPREPARED = object()


#: How a run puts its job back on the queue (:func:`toolkit.jobs.tasks.enqueue`).
Enqueue = Callable[[Job], None]


def run_job(job_pk: int, *, enqueue: Enqueue | None = None) -> str:
    """Run the job with this primary key until it is done, cancelled, failed or taken
    over; return its status as the run left it ("skipped" when there was nothing to do).

    ``enqueue`` queues the job again once the handler's ``max_run_time`` is up; the task
    passes its own. Without it (the runner called in-process, by a test or a script)
    nothing would continue a job handed back, so the run does the whole job.
    """
    return JobRunner(job_pk, enqueue=enqueue).run()


def error_sentence(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text else type(exc).__name__


class JobRunner:
    """One run of one job: claim it, then commit its chunks one by one (see
    :func:`run_job` for ``enqueue``)."""

    def __init__(self, job_pk: int, *, enqueue: Enqueue | None = None) -> None:
        self.job_pk = job_pk
        self.enqueue = enqueue
        #: The token this run writes as ``job.lease`` when it claims the job.
        self.token = uuid.uuid4().hex
        self.lease: Lease | None = None
        self.handler: JobHandler | None = None
        self.max_run_time: timedelta | None = None

    def run(self) -> str:
        if not self.claim():
            return "skipped"
        handler, lease = self.handler, self.lease
        assert handler is not None and lease is not None
        # Inside a transaction (a test's, or run_job called from one) the claim is not
        # committed: no other process sees this run's lease, nor could a heartbeat
        # written on another connection. Workers never run jobs inside one.
        heartbeat = not transaction.get_connection().in_atomic_block
        if heartbeat:
            lease.start_heartbeat()
        outcome = Outcome.CONTINUE
        try:
            self.count_total()
            # A run that could not queue its job again keeps it to the end.
            budget = self.max_run_time if self.enqueue is not None else None
            deadline = None if budget is None else time.monotonic() + budget.total_seconds()
            chunks = 0
            while outcome is Outcome.CONTINUE:
                if chunks and deadline is not None and time.monotonic() >= deadline:
                    outcome = self.hand_back()
                    break
                outcome = self.run_chunk()
                chunks += 1
        except Exception as exc:
            # BaseExceptions (a worker told to stop) propagate instead: the job stays
            # running, at its last committed chunk, for a resume to pick up once its
            # lease has expired.
            logger.exception("Job %s (%s) failed", self.job_pk, handler.name)
            self.fail(exc)
            return JobStatus.FAILED.value
        finally:
            if heartbeat:
                lease.stop_heartbeat()
        if outcome is Outcome.LOST:
            logger.info("Job %s was taken over by another run; this one stops.", self.job_pk)
            return "lost"
        return outcome.value

    # -- steps ---------------------------------------------------------------------

    def claim(self) -> bool:
        """Take a queued job: mark it running under this run's lease, atomically (of two
        runs that try at once, one gets it; the other does nothing)."""
        job = Job.objects.filter(pk=self.job_pk).first()
        if job is None:
            logger.warning("Job %s does not exist; nothing to run.", self.job_pk)
            return False
        if job.status != JobStatus.QUEUED:
            # Finished, cancelled while queued, or owned by a live run: a duplicate
            # task (a resume, a backend delivering twice) does nothing.
            logger.info("Job %s is %s; nothing to do.", job.pk, job.status)
            return False
        now = timezone.now()
        try:
            handler = get_handler(job.kind)
        except UnknownJobKind as exc:
            Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
                status=JobStatus.FAILED, error=str(exc), finished_at=now
            )
            logger.error("Job %s: %s", job.pk, exc)
            return False
        lease = Lease(
            job.pk,
            handler.get_stale_after(job),
            self.token,
            running=Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING),
        )
        started = time.monotonic()
        claimed = update_if_unchanged(
            Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED),
            status=JobStatus.RUNNING,
            lease=self.token,
            lease_expires_at=lease.expiry(now),
            attempts=models.F("attempts") + 1,
            started_at=Coalesce("started_at", models.Value(now, models.DateTimeField())),
            heartbeat_at=now,
            error="",
        )
        if not claimed:
            logger.info("Job %s was claimed by another run; nothing to do.", job.pk)
            return False
        lease.renewed(started)
        job.refresh_from_db()
        handler.lease = lease
        self.handler, self.lease = handler, lease
        self.max_run_time = handler.get_max_run_time(job)
        logger.info("Job %s (%s) claimed, attempt %s", job.pk, job.kind, job.attempts)
        return True

    def hand_back(self) -> Outcome:
        """Queue the job again (its cursor kept) for a new task to continue."""
        enqueue = self.enqueue
        assert enqueue is not None  # run() hands back only with one
        with transaction.atomic():
            job = self.locked_job()
            if job is None:
                return Outcome.LOST
            job.status = JobStatus.QUEUED
            job.lease = ""
            job.lease_expires_at = None
            job.save(update_fields=["status", "lease", "lease_expires_at"])
            enqueue(job)
        logger.info("Job %s handed back to the queue after %s items", job.pk, job.done)
        return Outcome.QUEUED

    def count_total(self) -> None:
        handler = self.handler
        assert handler is not None
        with transaction.atomic():
            job = self.locked_job()
            if job is None or job.total is not None:
                return
            job.total = handler.get_total(job)
            job.save(update_fields=["total"])

    def prepare_chunk(self) -> Any:
        """For handlers with ``prepares_chunks``: the next chunk's slow work, done before
        its transaction opens (no row lock held: a cancel or another writer never waits
        on it). Returns the cursor the chunk was prepared at, or ``_UNPREPARED``."""
        handler = self.handler
        assert handler is not None
        job = Job.objects.filter(pk=self.job_pk).first()
        if (
            job is None
            or job.status != JobStatus.RUNNING
            or job.lease != self.token
            or job.cancel_requested
        ):
            return _UNPREPARED  # the locked step below says what to do
        if self.lease is not None and not self.lease.held():
            return _UNPREPARED  # taken over: the locked step finds it is not ours
        chunk = handler.get_chunk(job, handler.get_chunk_size(job))
        if chunk is None:
            return _UNPREPARED
        handler.prepare_chunk(job, chunk)
        return job.cursor

    def run_chunk(self) -> Outcome:
        handler = self.handler
        assert handler is not None
        lease = self.lease
        prepared_at = self.prepare_chunk() if handler.prepares_chunks else _UNPREPARED
        with transaction.atomic():
            job = self.locked_job()
            if job is None:
                return Outcome.LOST
            prepared = prepared_at is not _UNPREPARED and prepared_at == job.cursor
            # A chunk whose work is already done is counted first; the cancel then
            # takes effect before the next one.
            if job.cancel_requested and not prepared:
                self.mark_cancelled(job)
                return Outcome.CANCELLED
            chunk = handler.get_chunk(job, handler.get_chunk_size(job))
            if chunk is None:
                self.complete(job)
                return Outcome.DONE
            result = handler.process_chunk(job, chunk.objects)
            if result is None:
                result = ChunkResult(done=chunk.size)
            if result.output:
                if not handler.produces_file:
                    raise TypeError(
                        f"{type(handler).__name__} returned output but does not declare "
                        "produces_file = True."
                    )
                write_part(job, result.output)
            job.done += result.done
            job.failed += result.failed
            job.skipped += result.skipped
            if result.stats:
                stats = dict(job.stats or {})
                for key, value in result.stats.items():
                    stats[key] = stats.get(key, 0) + value
                job.stats = stats
            job.cursor = chunk.cursor
            job.chunks += 1
            started = time.monotonic()
            job.heartbeat_at = timezone.now()
            if lease is not None:
                job.lease_expires_at = lease.expiry(job.heartbeat_at)
            job.save(
                update_fields=[
                    "done",
                    "failed",
                    "skipped",
                    "stats",
                    "cursor",
                    "chunks",
                    "heartbeat_at",
                    "lease_expires_at",
                ]
            )
        if lease is not None:
            lease.renewed(started)
        return Outcome.CONTINUE

    def complete(self, job: Job) -> None:
        """Mark the job done, inside the transaction of the chunk that found no more work."""
        handler = self.handler
        assert handler is not None
        handler.on_finish(job)
        if handler.produces_file and not job.result_file:
            assemble_result(job, handler)
        job.status = JobStatus.DONE
        job.finished_at = timezone.now()
        job.heartbeat_at = job.finished_at
        job.lease = ""
        job.lease_expires_at = None
        if not job.message:
            job.message = handler.get_result_message(job)
        handler.on_end(job)
        job.save()
        if handler.produces_file:
            delete_parts_on_commit(job)
        logger.info("Job %s done: %s", job.pk, job.message)

    def mark_cancelled(self, job: Job) -> None:
        assert self.handler is not None
        job.status = JobStatus.CANCELLED
        job.finished_at = timezone.now()
        job.lease = ""
        job.lease_expires_at = None
        total = "?" if job.total is None else job.total
        job.message = f"Cancelled after {job.done} of {total}."
        self.handler.on_end(job)
        job.save(update_fields=["status", "finished_at", "lease", "lease_expires_at", "message"])
        if self.handler.produces_file:
            delete_parts_on_commit(job)
        logger.info("Job %s cancelled after %s items", job.pk, job.done)

    def fail(self, exc: Exception) -> None:
        with transaction.atomic():
            job = self.locked_job()
            if job is None:
                return
            job.status = JobStatus.FAILED
            job.error = error_sentence(exc)
            job.finished_at = timezone.now()
            job.lease = ""
            job.lease_expires_at = None
            if self.handler is not None:
                self.handler.on_end(job)
            job.save(update_fields=["status", "error", "finished_at", "lease", "lease_expires_at"])

    # -- helpers -------------------------------------------------------------------

    def locked_job(self) -> Job | None:
        """The job, row-locked, if this run still owns it; else ``None``."""
        job = Job.objects.select_for_update().filter(pk=self.job_pk).first()
        if job is None or job.status != JobStatus.RUNNING or job.lease != self.token:
            return None
        return job
