"""The extension point of the job layer: a *handler* says how one kind of job works.

A handler is a small class with capability attributes and one method to write,
:meth:`JobHandler.process_chunk`. The runner (:mod:`toolkit.jobs.runner`) does the rest:
it re-evaluates the job's target, walks it in primary-key order one chunk at a time,
and commits each chunk's writes together with the job's progress and cursor in one
transaction, so a worker killed mid-chunk leaves nothing half-applied and a re-run
continues after the last committed chunk.

Handlers are registered by name; the name is what a :class:`~toolkit.jobs.models.Job`
stores as its ``kind``. Define them in a ``jobs`` module of an installed app (found at
start-up, like ``admin`` modules) so every worker process knows them::

    # shop/jobs.py
    from decimal import Decimal

    from django.db.models import F

    from toolkit.jobs import ChunkResult, JobHandler, register


    @register
    class RepriceHandler(JobHandler):
        name = "shop.reprice"
        verbose_name = "Reprice"

        def process_chunk(self, job, objects):
            factor = Decimal(job.params["factor"])  # params are JSON: a string here
            return ChunkResult(done=objects.update(price=F("price") * factor))

    # shop/admin.py, in an admin action
    job = start_job(RepriceHandler, user=request.user, queryset=selected, params={"factor": "1.1"})
    return redirect(job)  # its progress page

The package keeps the parts apart: :mod:`~toolkit.jobs.handlers.base` (the class to
subclass), :mod:`~toolkit.jobs.handlers.chunks` (what a chunk and its result hold) and
:mod:`~toolkit.jobs.handlers.registry` (which handler runs which kind of job).

A job's target is data that can be evaluated again in another process: by default a
list of primary keys (``{"pks": [...]}``, up to :attr:`JobHandler.max_target_pks`), a
filter (``{"filter": {"status": "draft"}}``) or the whole table (``{}``). A handler
whose target is something else (the admin's changelist query string, a file to import)
overrides :meth:`JobHandler.get_queryset` or, for targets that are not querysets at
all, :meth:`JobHandler.get_chunk` and :meth:`JobHandler.get_total`.
"""

from __future__ import annotations

from toolkit.jobs.handlers.base import JobHandler
from toolkit.jobs.handlers.chunks import Chunk, ChunkObjects, ChunkResult, json_value
from toolkit.jobs.handlers.registry import (
    find_handler,
    get_handler,
    get_handler_class,
    handler_name,
    register,
    registered_handlers,
    unregister,
)

__all__ = [
    "Chunk",
    "ChunkObjects",
    "ChunkResult",
    "JobHandler",
    "find_handler",
    "get_handler",
    "get_handler_class",
    "handler_name",
    "json_value",
    "register",
    "registered_handlers",
    "unregister",
]
