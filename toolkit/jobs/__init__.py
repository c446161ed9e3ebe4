"""One background-job layer for every long operation of the toolkit.

Bulk updates, exports, imports, deletes and AI batches all run as a ``Job`` through
Django's tasks framework, with one progress page and one worker. Add
``"toolkit.jobs"`` to ``INSTALLED_APPS``, write a :class:`JobHandler` in an app's
``jobs`` module, and start jobs with :func:`start_job`::

    from toolkit.jobs import ChunkResult, JobHandler, register, start_job

    @register
    class ArchiveHandler(JobHandler):
        name = "shop.archive"
        verbose_name = "Archive"

        def process_chunk(self, job, objects):
            return ChunkResult(done=objects.update(archived=True))

    job = start_job(ArchiveHandler, user=request.user, queryset=products)
    return redirect(job)  # the job's progress page

A person's Cancel and Resume are :func:`cancel_job` and :func:`resume_job` (the job's
admin page has both buttons).

The names below are the public API; ``Job``, ``JobStatus``, ``start_job``,
``cancel_job``, ``resume_job`` and ``resume_stale_jobs`` need the app registry and are
imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit.jobs.exceptions import JobError, JobTargetTooLarge, UnknownJobKind
from toolkit.jobs.handlers import (
    Chunk,
    ChunkResult,
    JobHandler,
    get_handler,
    register,
    registered_handlers,
)

if TYPE_CHECKING:
    from toolkit.jobs.models import Job, JobStatus
    from toolkit.jobs.tasks import cancel_job, resume_job, resume_stale_jobs, start_job

__all__ = [
    "Chunk",
    "ChunkResult",
    "Job",
    "JobError",
    "JobHandler",
    "JobStatus",
    "JobTargetTooLarge",
    "UnknownJobKind",
    "cancel_job",
    "get_handler",
    "register",
    "registered_handlers",
    "resume_job",
    "resume_stale_jobs",
    "start_job",
]

_LAZY = {
    "Job": "toolkit.jobs.models",
    "JobStatus": "toolkit.jobs.models",
    "cancel_job": "toolkit.jobs.tasks",
    "resume_job": "toolkit.jobs.tasks",
    "resume_stale_jobs": "toolkit.jobs.tasks",
    "start_job": "toolkit.jobs.tasks",
}


def __getattr__(name: str) -> Any:
    # Models cannot be imported while INSTALLED_APPS is being loaded (which imports
    # this package), so these names resolve on first access.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
