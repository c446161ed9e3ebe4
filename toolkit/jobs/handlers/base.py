"""The base class of every kind of job: :class:`JobHandler`.

A handler says how one kind of job works: capability attributes, each with a
``get_*(job)`` hook, and one method to write, :meth:`JobHandler.process_chunk`. The
runner (:mod:`toolkit.jobs.runner`) calls these and does the rest.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from toolkit.conf import conf
from toolkit.jobs.exceptions import JobTargetTooLarge
from toolkit.jobs.handlers.chunks import Chunk, ChunkObjects, ChunkResult, json_value

if TYPE_CHECKING:
    # Type names only: the model knows no handler, so this import closes no cycle.
    from toolkit.jobs.leases import Lease
    from toolkit.jobs.models import Job


class JobHandler:
    """Base class of every kind of job. Subclass it, set ``name``, write ``process_chunk``.

    One instance serves one run of one job; keep no state between runs on it.
    """

    #: The job kind this handler runs, stored on each job: unique, stable across deploys
    #: (rename it and queued jobs of the old name fail with a clear error), e.g.
    #: ``"admin_ext.mass_update"``.
    name: ClassVar[str] = ""

    #: Human name of the operation ("Mass update"), shown in the admin. Defaults to ``name``.
    verbose_name: ClassVar[str | Promise] = ""

    #: Rows per chunk: one transaction, one progress update, one cancel check.
    #: ``None`` falls back to the ``TOOLKIT_CHUNK_SIZE`` setting.
    chunk_size: ClassVar[int | None] = None

    #: Capability: the job writes a downloadable result file (an export). Chunks return
    #: their part in ``ChunkResult.output``; the runner joins the parts, between
    #: ``get_result_header()`` and ``get_result_footer()``, when the job is done.
    produces_file: ClassVar[bool] = False

    #: Capability: the person who started the job (or a superuser) may cancel it; the
    #: runner stops between two chunks. Work committed before stays done.
    cancellable: ClassVar[bool] = True

    #: Capability: the handler does its slow work (calls to a remote service) in
    #: :meth:`prepare_chunk`, outside the chunk's transaction, so no row lock or SQLite
    #: write lock is held while it waits. That work must be safe to repeat or to find
    #: done already: if the worker dies before the chunk commits, it runs again.
    prepares_chunks: ClassVar[bool] = False

    #: ``start_job(queryset=...)`` stores the selection as a list of primary keys up to
    #: this many rows, and refuses larger querysets (pass a ``target`` spec instead).
    max_target_pks: ClassVar[int] = 1000

    #: How long a run's lease on the job lasts: the run's heartbeat renews it every
    #: quarter of this (at most every 30 s) and with every committed chunk, however long
    #: a chunk takes. A running job whose lease has expired was abandoned by a dead
    #: worker: ``manage.py resume_jobs`` and the admin's Resume button queue it again,
    #: and never a job whose lease is live. Shorter: a dead worker's job resumes sooner.
    stale_after: ClassVar[timedelta] = timedelta(minutes=5)

    #: A run hands the job back to the queue after this long (between two chunks, after
    #: at least one) and a new task continues it: long jobs then share the workers with
    #: short ones, and stay under a backend's task time limit (rq kills a task after
    #: its queue's DEFAULT_TIMEOUT, 180 s unless set). ``None``: one run does it all.
    max_run_time: ClassVar[timedelta | None] = None

    #: Queue of the tasks framework the job's task goes to; ``None`` for the task's
    #: default queue. The backend must list it in ``TASKS[...]["QUEUES"]``.
    queue_name: ClassVar[str | None] = None

    #: The run's hold on its job, set by the runner once it has claimed the job
    #: (``None`` outside a run); see :meth:`should_stop`.
    lease: Lease | None = None

    # -- what the job works on -----------------------------------------------------

    def get_target(self, queryset: QuerySet[Any]) -> dict[str, Any]:
        """Turn a queryset into the JSON target spec stored on the job.

        Called by :func:`~toolkit.jobs.start_job` when it is given a queryset and no
        ``target``. The default stores the primary keys, and raises
        :class:`~toolkit.jobs.exceptions.JobTargetTooLarge` past ``max_target_pks``.
        Override it together with :meth:`get_queryset` to store something else.
        """
        limit = self.max_target_pks
        if not queryset.query.is_sliced:
            queryset = queryset.order_by()  # the order is the runner's business
        pks = list(queryset.values_list("pk", flat=True)[: limit + 1])
        if len(pks) > limit:
            raise JobTargetTooLarge(
                f"{type(self).__name__} stores at most {limit} primary keys; pass "
                "start_job() a target spec its get_queryset() understands instead."
            )
        return {"pks": [json_value(pk) for pk in pks]}

    def get_queryset(self, job: Job) -> QuerySet[Any]:
        """Re-evaluate the job's target as a queryset; called again for every chunk.

        The default understands ``{"pks": [...]}``, ``{"filter": {lookup: value}}`` and
        ``{}`` (every row) on the job's target model. Override it to rebuild the
        queryset from a spec of your own (the admin's changelist query string, say);
        ``job.started_by`` and ``job.params`` are at hand.
        """
        model = job.target_model
        if model is None:
            raise NotImplementedError(
                f"{type(self).__name__} runs a job without a target model; "
                "it must override get_queryset() (or get_chunk() and get_total())."
            )
        manager = model._default_manager
        target = job.target or {}
        if "pks" in target:
            return manager.filter(pk__in=target["pks"])
        if "filter" in target:
            return manager.filter(**target["filter"])
        return manager.all()

    def get_total(self, job: Job) -> int | None:
        """How many items the job will process, counted once when a worker first
        claims it (``None`` when unknown: the progress page then shows no percentage)."""
        return self.get_queryset(job).count()

    def get_chunk_size(self, job: Job) -> int:
        """Rows per chunk for this job: ``chunk_size``, else ``TOOLKIT_CHUNK_SIZE``."""
        return self.chunk_size if self.chunk_size is not None else conf.CHUNK_SIZE

    def get_chunk(self, job: Job, size: int) -> Chunk | None:
        """The next chunk after ``job.cursor``, or ``None`` when nothing is left.

        The default walks :meth:`get_queryset` in primary-key order (a keyset: each
        chunk costs the same on a million rows) and hands ``process_chunk`` a queryset
        of the chunk's rows. It runs inside the chunk's transaction. Override it for
        work that is not a queryset (rows of an uploaded file: the cursor is then a row
        number).
        """
        queryset = self.get_queryset(job)
        remaining = queryset if job.cursor is None else queryset.filter(pk__gt=job.cursor)
        # A queryset joined over a to-many relation repeats primary keys; each row once.
        pks = list(dict.fromkeys(remaining.order_by("pk").values_list("pk", flat=True)[:size]))
        if not pks:
            return None
        objects = queryset.filter(pk__in=pks).order_by("pk")
        return Chunk(objects=objects, cursor=json_value(pks[-1]), size=len(pks))

    # -- the work ------------------------------------------------------------------

    def process_chunk(self, job: Job, objects: ChunkObjects) -> ChunkResult | None:
        """Do the work for one chunk and say how it went.

        Runs inside the chunk's transaction: write to the database freely, all of it
        commits with the job's progress or none of it does. Count items that could not
        be handled in ``ChunkResult.failed``; raise to fail the whole job (the chunk is
        rolled back, ``job.error`` gets the exception's message). Returning ``None``
        counts the whole chunk as done. Do nothing here that cannot be repeated: a chunk
        interrupted by a dying worker runs again.
        """
        raise NotImplementedError(f"{type(self).__name__} must define process_chunk().")

    def prepare_chunk(self, job: Job, chunk: Chunk) -> None:
        """With ``prepares_chunks``: do the slow part of ``chunk`` now, outside any
        transaction, and keep what :meth:`process_chunk` needs on ``self`` (one instance
        serves one run). ``process_chunk`` then runs in the chunk's transaction as usual
        and must still work when nothing was prepared (the job's cursor moved meanwhile).
        """

    def should_stop(self, job: Job) -> bool:
        """Whether slow work in the middle of a chunk should stop now: true once this run
        may no longer hold the job (the heartbeat found it resumed elsewhere, or could
        not renew the lease in time).

        A :meth:`prepare_chunk` that sends work out one piece at a time (the AI handler,
        one request per record) asks it before each piece: what it did not send, the
        run that holds the job sends, once. It asks no database, so any thread may call
        it. Cancel is not a reason: it takes effect between chunks.
        """
        return self.lease is not None and self.lease.lost

    def on_end(self, job: Job) -> None:
        """Called once when the job ends, done, failed or cancelled (also when cancelled
        before any run claimed it), inside the transaction that marks it so.

        Override it to give back what the job held while queued or running, such as
        the records an AI job reserved against a daily limit. A failed job may be
        resumed later: a handler that needs its reservation then takes it again.
        """

    def on_finish(self, job: Job) -> None:
        """Called once the last chunk is committed, inside the transaction that marks
        the job done (it may run again if the worker dies right here).

        Override it to write a summary (``job.message``) or a result file that cannot
        be assembled from chunk outputs, such as XLSX:
        ``job.result_file.save(name, content, save=False)``.
        """

    # -- results -------------------------------------------------------------------

    def get_result_filename(self, job: Job) -> str:
        """File name of the job's result file (the download keeps it)."""
        return f"{self.name.replace('.', '-')}-{job.pk}.txt"

    def get_result_header(self, job: Job) -> bytes | str:
        """Written before the chunks' output in the result file (a CSV header row)."""
        return b""

    def get_result_footer(self, job: Job) -> bytes | str:
        """Written after the chunks' output in the result file."""
        return b""

    def get_description(self, job: Job) -> str:
        """One line naming the job in lists, e.g. "Export of 1,200 products"."""
        model = job.target_model
        label = self.get_verbose_name()
        if model is None:
            return label
        return f"{label}: {model._meta.verbose_name_plural}"

    def get_result_message(self, job: Job) -> str:
        """The sentence a person reads when the job is done."""
        noun = job.target_model._meta.verbose_name_plural if job.target_model else _("items")
        parts = [_("%(count)s %(items)s processed") % {"count": job.done, "items": noun}]
        if job.skipped:
            parts.append(_("%(count)s skipped") % {"count": job.skipped})
        if job.failed:
            parts.append(_("%(count)s failed") % {"count": job.failed})
        return ", ".join(parts) + "."

    # -- small hooks around the attributes -----------------------------------------

    def get_verbose_name(self) -> str:
        """Human name of the operation, for lists and messages: ``verbose_name``, else
        ``name``."""
        return str(self.verbose_name or self.name)

    def get_result_url(self, job: Job) -> str | None:
        """Where a person sees what the job produced (the progress page links to it once
        the job is done); ``None`` for no link."""
        return None

    def get_stale_after(self, job: Job) -> timedelta:
        """How long a running job may go without a heartbeat before it counts as
        abandoned; ``stale_after`` by default."""
        return self.stale_after

    def get_max_run_time(self, job: Job) -> timedelta | None:
        """How long one run may work on the job before queueing it again;
        ``max_run_time`` by default."""
        return self.max_run_time

    def get_queue_name(self, job: Job) -> str | None:
        """Queue the job's task goes to; ``queue_name`` by default."""
        return self.queue_name

    def is_cancellable(self, job: Job) -> bool:
        """Whether the job may be cancelled; ``cancellable`` by default."""
        return self.cancellable
