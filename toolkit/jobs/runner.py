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
nothing.
"""

from __future__ import annotations

import enum
import logging
import tempfile
import time
import uuid
from datetime import timedelta
from typing import Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from toolkit.jobs.exceptions import UnknownJobKind
from toolkit.jobs.handlers import ChunkResult, JobHandler, get_handler
from toolkit.jobs.leases import Lease, update_if_unchanged
from toolkit.jobs.models import Job, JobStatus

logger = logging.getLogger("toolkit.jobs")

#: Result files are assembled in memory up to this size, then on disk.
SPOOL_SIZE = 8 * 1024 * 1024


class Outcome(enum.Enum):
    CONTINUE = "continue"
    DONE = "done"
    CANCELLED = "cancelled"
    QUEUED = "queued"  # handed back to the queue after the handler's max_run_time
    LOST = "lost"  # another run owns the job now


#: What ``JobRunner.prepare_chunk`` returns when it prepared nothing.
_UNPREPARED = object()


def run_job(job_pk: int) -> str:
    """Run the job with this primary key until it is done, cancelled, failed or taken
    over; return its status as the run left it ("skipped" when there was nothing to do).
    """
    return JobRunner(job_pk).run()


def part_name(job: Job, index: int) -> str:
    """Storage name of the result-file part written by chunk number ``index``."""
    return f"toolkit_jobs/parts/{job.pk}/{index:08d}"


def error_sentence(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text else type(exc).__name__


class JobRunner:
    def __init__(self, job_pk: int) -> None:
        self.job_pk = job_pk
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
            budget = self.max_run_time
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
        from toolkit.jobs.tasks import enqueue

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
                self.write_part(job, result.output)
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
            self.assemble_result(job)
        job.status = JobStatus.DONE
        job.finished_at = timezone.now()
        job.heartbeat_at = job.finished_at
        job.lease = ""
        job.lease_expires_at = None
        if not job.message:
            job.message = handler.get_result_message(job)
        handler.on_end(job)
        job.save()
        self.delete_parts_on_commit(job)
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
        self.delete_parts_on_commit(job)
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

    def delete_parts_on_commit(self, job: Job) -> None:
        assert self.handler is not None
        if self.handler.produces_file and job.chunks:
            storage, names = self.storage(job), [part_name(job, i) for i in range(job.chunks)]
            transaction.on_commit(lambda: delete_quietly(storage, names))

    @staticmethod
    def storage(job: Job) -> Storage:
        return job.result_file.storage

    def write_part(self, job: Job, output: bytes | str) -> None:
        # Named after the chunk's number, so a chunk that runs again after a crash
        # replaces the part its first attempt may have left, never adds a second one.
        name = part_name(job, job.chunks)
        storage = self.storage(job)
        if storage.exists(name):
            storage.delete(name)
        data = output.encode() if isinstance(output, str) else output
        saved = storage.save(name, ContentFile(data))
        if saved != name:  # pragma: no cover - a storage that renames on its own
            raise RuntimeError(f"The storage saved a result part as {saved!r}, not {name!r}.")

    def assemble_result(self, job: Job) -> None:
        handler = self.handler
        assert handler is not None
        storage = self.storage(job)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_SIZE) as out:
            write(out, handler.get_result_header(job))
            for index in range(job.chunks):
                name = part_name(job, index)
                if not storage.exists(name):
                    continue  # that chunk had no output
                with storage.open(name, "rb") as part:
                    while block := part.read(1024 * 1024):
                        out.write(block)
            write(out, handler.get_result_footer(job))
            out.seek(0)
            job.result_file.save(handler.get_result_filename(job), File(out), save=False)


def write(out: Any, data: bytes | str) -> None:
    if data:
        out.write(data.encode() if isinstance(data, str) else data)


def delete_quietly(storage: Storage, names: list[str]) -> None:
    for name in names:
        try:
            if storage.exists(name):
                storage.delete(name)
        except OSError:  # pragma: no cover - leftovers are harmless
            logger.warning("Could not delete the result part %s", name, exc_info=True)
