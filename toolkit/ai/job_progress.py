"""An AI job's counts moving record by record, before its chunk commits.

The job layer counts a chunk when it commits (:mod:`toolkit.jobs.runner`): for an AI job
that is every few records, which on a CPU model is minutes of a progress page that
does not move. So while a chunk's records are answered (outside its transaction, see
:meth:`AIJobHandler.prepare_chunk <toolkit.ai.handlers.AIJobHandler.prepare_chunk>`),
:class:`ChunkProgress` adds each stored answer to the job's ``done``, ``failed``,
``skipped`` and tokens at once, at most one UPDATE per
:attr:`~toolkit.ai.handlers.AIJobHandler.progress_interval`, and notes in the job's
``stats`` (under :data:`REPORTED`) what it added. When the chunk commits,
:func:`unreported` turns the chunk's result into what was not added yet, so every
record counts once.

A worker killed after it reported some records and before its chunk committed leaves
them counted and noted: the resumed run counts the chunk again (its stored answers
included), and the note is subtracted the same way. Only the run that holds the job's
lease writes: one that lost it stops counting.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Protocol

from django.db.models import F

from toolkit.jobs.handlers import ChunkResult
from toolkit.jobs.models import Job, JobStatus

if TYPE_CHECKING:
    from toolkit.ai.runs import RunReport
    from toolkit.jobs.leases import Lease

__all__ = ["REPORTED", "ChunkProgress", "unreported"]

#: The key of ``job.stats`` holding what the chunk in progress added to the job's counts
#: before it committed; gone once it commits.
REPORTED = "ai_reported_in_chunk"
#: The job's counts a chunk adds to as it goes.
COUNTS = ("done", "failed", "skipped")
#: The job's ``stats`` a chunk adds to as it goes.
TOKENS = ("tokens_in", "tokens_out")


class PacedHandler(Protocol):
    """What :class:`ChunkProgress` needs of its handler (an ``AIJobHandler``)."""

    #: The least seconds between two updates of the job.
    progress_interval: float
    #: ``time.monotonic()`` of the last update, kept across the run's chunks.
    progress_at: float
    #: The run's hold on the job: only its holder writes.
    lease: Lease | None


class ChunkProgress:
    """The ``on_progress`` of a chunk's run: its report's counts added to the job.

    ``handler`` says how often (``progress_interval``, seconds) and keeps the time of the
    last update (``progress_at``), so the limit holds across chunks too.
    """

    def __init__(self, handler: PacedHandler, job: Job) -> None:
        self.handler = handler
        self.job_pk = job.pk
        # Nothing else writes the job's stats before the chunk commits: the runner does
        # then, and the heartbeat and a cancel write other columns.
        self.stats = dict(job.stats or {})
        self.earlier = dict(self.stats.get(REPORTED) or {})
        #: What this run added so far.
        self.added: dict[str, int] = dict.fromkeys((*COUNTS, *TOKENS), 0)

    def __call__(self, report: RunReport) -> None:
        handler = self.handler
        now = time.monotonic()
        if now - handler.progress_at < handler.progress_interval:
            return
        counts = {
            "done": report.ok,
            "failed": report.failed,
            "skipped": report.cached,
            "tokens_in": report.tokens_in,
            "tokens_out": report.tokens_out,
        }
        delta = {key: counts[key] - self.added[key] for key in counts}
        if not any(delta[key] for key in COUNTS):
            return
        stats: dict[str, Any] = {
            **self.stats,
            REPORTED: {key: int(self.earlier.get(key, 0)) + counts[key] for key in counts},
        }
        for key in TOKENS:
            stats[key] = int(self.stats.get(key, 0)) + counts[key]
        running = Job.objects.filter(pk=self.job_pk, status=JobStatus.RUNNING)
        if handler.lease is not None:
            running = running.filter(lease=handler.lease.token)
        updated = running.update(
            done=F("done") + delta["done"],
            failed=F("failed") + delta["failed"],
            skipped=F("skipped") + delta["skipped"],
            stats=stats,
        )
        if updated:
            self.added = counts
        handler.progress_at = now


def unreported(job: Job, result: ChunkResult) -> ChunkResult:
    """What of a chunk's ``result`` the job's counts do not hold yet, and the job (the
    locked one the runner saves with the chunk) without the note of what they hold."""
    stats = dict(job.stats or {})
    reported = stats.pop(REPORTED, None)
    if not isinstance(reported, dict):
        return result
    job.stats = stats
    keys = set(result.stats) | (set(reported) & set(TOKENS))
    return ChunkResult(
        done=result.done - int(reported.get("done", 0)),
        failed=result.failed - int(reported.get("failed", 0)),
        skipped=result.skipped - int(reported.get("skipped", 0)),
        stats={key: result.stats.get(key, 0) - int(reported.get(key, 0)) for key in keys},
        output=result.output,
    )
