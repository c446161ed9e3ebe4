"""AI actions as background jobs on the toolkit's job layer.

:class:`AIJobHandler` (kind ``"toolkit.ai.run"``) runs a per-record action a few records
per chunk (``TOOLKIT_AI_JOB_CHUNK_SIZE``, 5 by default), so a cancel takes effect
between chunks, and the selection digest in one piece. The job's counts: ``done``
records answered, ``skipped`` records whose insight was still valid, ``failed`` records
that ended failed (each with its error on its insight); ``stats`` adds up the tokens.
They move record by record, as each answer is stored, not chunk by chunk
(:mod:`toolkit.ai.job_progress`: at most one UPDATE per
:attr:`AIJobHandler.progress_interval`). A failed record does not fail the job: run it
again and only the failed ones are sent.

The model is asked before a chunk's transaction opens, and each answer commits on its
own. A worker killed after that and before the chunk commits leaves answers the job has
not counted: the resumed run finds them by their ``job_id`` and counts them as they
ended (done or failed, with their tokens) instead of sending those records again or
calling them unchanged since an earlier run. A run that loses its lease (the job was
resumed elsewhere after the lease expired) sends no further request.

Limits: :func:`start_ai_job` reserves the selection against the person's daily record
limit when it queues the job (:mod:`toolkit.ai.limits`), and each chunk makes sure its
records are reserved before sending them. As chunks commit, answered records stay
counted and the others are given back; whatever is left when the job ends (cancelled,
failed, or deleted) is given back too.

Start one from an admin action with :func:`start_ai_job`. ``ToolkitConfig.ready()``
imports this module when ``toolkit.jobs`` is installed, which registers the handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import post_delete
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, gettext_lazy

from toolkit.admin_ext.selection import ChangelistJobHandler, Selection, SelectionError
from toolkit.ai.actions import AIAction, resolve_action
from toolkit.ai.job_progress import ChunkProgress, unreported
from toolkit.ai.limits import cover, release_job, reserve, settle_job
from toolkit.ai.models import AIReservation, Insight
from toolkit.ai.runs import RunOptions
from toolkit.ai.sources import AISource
from toolkit.exceptions import ToolkitConfigurationError
from toolkit.jobs.handlers import Chunk, ChunkResult, register

if TYPE_CHECKING:
    from django.http import HttpRequest

    from toolkit.jobs.models import Job

__all__ = ["AIJobHandler", "start_ai_job"]


@dataclass(frozen=True)
class JobContext:
    """What every chunk of a job runs with, built once per run of the job."""

    model_admin: admin.ModelAdmin[Any]
    action: AIAction
    source: AISource


@register
class AIJobHandler(ChangelistJobHandler):
    """Runs an AI action over a changelist selection, as the person who started it."""

    name = "toolkit.ai.run"
    verbose_name = gettext_lazy("AI action")
    prepares_chunks = True
    #: The run's heartbeat keeps the lease while a chunk (or a whole digest) waits on
    #: the model for minutes; a dead worker's job can be resumed two minutes after.
    stale_after = timedelta(minutes=2)
    #: Seconds between two updates of the job's counts while a chunk's records are
    #: answered (each record's answer is counted as it is stored, at most this often),
    #: so a fast endpoint does not turn every answer into an UPDATE of the job.
    progress_interval: float = 0.5
    #: When this run last updated the job's counts (``time.monotonic()``).
    progress_at: float = float("-inf")
    _prepared: tuple[frozenset[str], ChunkResult] | None = None
    _context: tuple[int, JobContext] | None = None

    def get_context(self, job: Job) -> JobContext:
        """The job's ModelAdmin, action and source: built on the first chunk and kept
        for the others (one handler serves one run of one job), so a chunk of five
        records does not rebuild the ModelAdmin, a request and the source's caches.

        The records themselves are re-evaluated for every chunk, as the person who
        started the job (:meth:`get_queryset`)."""
        if self._context is not None and self._context[0] == job.pk:
            return self._context[1]
        selection = self.get_selection(job)
        model_admin = selection.get_modeladmin()
        request = selection.build_request(model_admin, self.get_user(job))
        context = JobContext(
            model_admin=model_admin,
            action=self.get_action(job, model_admin),
            source=AISource.from_admin(model_admin, request),
        )
        self._context = (job.pk, context)
        return context

    def get_chunk_size(self, job: Job) -> int:
        """A few records per chunk; the whole selection for an action whose one answer
        covers it (the digest's map-reduce needs it at once)."""
        return self.get_context(job).action.run_class.job_chunk_size(job.total)

    def get_action(self, job: Job, model_admin: admin.ModelAdmin[Any] | None = None) -> AIAction:
        """The job's action: one of the ModelAdmin's ``ai_actions`` by name, else a
        registered one. ``model_admin``: the job's, when the caller has it already."""
        name = str(job.params.get("action", ""))
        if model_admin is None:
            model_admin = self.get_selection(job).get_modeladmin()
        for candidate in getattr(model_admin, "ai_actions", None) or []:
            action = resolve_action(candidate)
            if action.name == name:
                return action
        return resolve_action(name)

    def get_source(self, job: Job) -> AISource:
        """What the job's records send: the ModelAdmin's ``ai_*`` declarations."""
        return self.get_context(job).source

    def get_description(self, job: Job) -> str:
        model = job.target_model
        noun = model._meta.verbose_name_plural if model is not None else gettext("records")
        description = job.params.get("description") or job.params.get(
            "action", gettext("AI action")
        )
        return f"{description}: {noun}"

    def prepare_chunk(self, job: Job, chunk: Chunk) -> None:
        """Send the chunk's records before its transaction opens: the model takes
        seconds per record, and no lock may be held meanwhile (a cancel, or on SQLite
        every other write, would wait). Each request's insights commit on their own;
        if the worker dies before the chunk does, the re-run finds them as this job's
        (:meth:`answered_earlier`) and counts them without sending them again. A run
        that loses its lease meanwhile stops sending (:meth:`should_stop`)."""
        result = self.work(job, chunk.objects, stoppable=True)
        # A chunk cut short is finished inside the transaction, where it is counted.
        self._prepared = None if result is None else (self._pks(chunk.objects), result)

    def process_chunk(self, job: Job, objects: Any) -> ChunkResult:
        prepared = getattr(self, "_prepared", None)
        self._prepared = None
        if prepared is not None and prepared[0] == self._pks(objects):
            result = prepared[1]
        else:
            # Under the job's row lock, with the lease checked: this run holds the job.
            result = self.work(job, objects)
            assert result is not None
        # In the chunk's transaction: the reservation shrinks exactly once per chunk.
        settle_job(
            job.pk,
            answered=result.done,
            ended=result.done + result.failed + result.skipped,
        )
        # The job's counts hold the records reported as they were answered: the runner
        # adds the rest.
        return unreported(job, result)

    def on_end(self, job: Job) -> None:
        """Give back the records the job still holds against the daily limit."""
        release_job(job.pk)

    @staticmethod
    def _pks(objects: Any) -> frozenset[str]:
        if isinstance(objects, QuerySet):
            return frozenset(str(pk) for pk in objects.values_list("pk", flat=True))
        return frozenset(str(obj.pk) for obj in objects)

    def answered_earlier(self, job: Job, action: AIAction, objects: Any) -> dict[str, Insight]:
        """The insights this job already stored for ``objects`` (by record id, the newest
        of each; the digest's under ``""``), in one query.

        Only a run that did not commit its chunk leaves any: a worker killed between
        :meth:`prepare_chunk` and the chunk's commit, or a chunk whose records changed
        in between. Their records are counted as those insights ended, never sent again.
        """
        insights = action.run_class.stored_about(
            Insight.objects.filter(job_id=job.pk, action=action.name), objects
        )
        return {insight.object_id: insight for insight in insights.order_by("created_at", "pk")}

    def work(self, job: Job, objects: Any, *, stoppable: bool = False) -> ChunkResult | None:
        """Run the job's action over ``objects`` and count the outcome (records this job
        answered already, see :meth:`answered_earlier`, are counted, not sent).

        The records to send are reserved first (:func:`~toolkit.ai.limits.cover`):
        past the person's daily limit, this raises ``AILimitExceeded`` and the job
        fails with its message, nothing sent. With ``stoppable``, it stops sending once
        the run lost its lease and returns ``None``: the chunk is not counted here.
        Then (before the chunk's transaction) the job's counts move as each answer is
        stored (:class:`~toolkit.ai.job_progress.ChunkProgress`).
        """
        context = self.get_context(job)
        action = context.action
        earlier = self.answered_earlier(job, action, objects)
        counted = _count(earlier.values())
        if earlier:
            objects = action.run_class.left_to_send(objects, earlier)
            if objects is None:
                return counted
        user = self.get_user(job)
        cover(job.pk, user, objects.count() if isinstance(objects, QuerySet) else len(objects))
        options = RunOptions(
            user=user,
            enforce_limits=False,  # reserved above
            endpoint=job.params.get("endpoint") or None,
            job=job,
            force=bool(job.params.get("force")),
            records_per_prompt=int(job.params.get("records_per_prompt") or 1),
            keep_insights=False,
            should_stop=(lambda: self.should_stop(job)) if stoppable else None,
            # Inside the chunk's transaction nobody would see the counts move.
            on_progress=ChunkProgress(self, job) if stoppable and action.per_record else None,
            scope=job.params.get("scope") or {},
        )
        report = action.new_run(context.source, objects, options).execute()
        if report.stopped:
            return None
        return ChunkResult(
            done=counted.done + report.ok,
            failed=counted.failed + report.failed,
            skipped=report.cached,
            stats={
                "tokens_in": counted.stats["tokens_in"] + report.tokens_in,
                "tokens_out": counted.stats["tokens_out"] + report.tokens_out,
            },
        )

    def get_result_message(self, job: Job) -> str:
        noun = job.target_model._meta.verbose_name_plural if job.target_model else "records"
        action = job.params.get("description") or job.params.get("action", "")
        message = f"{action}: {job.done} {noun} answered"
        if job.skipped:
            message += f", {job.skipped} unchanged since the last run (not sent again)"
        if job.failed:
            message += (
                f", {job.failed} failed (their errors are on their insights; run the "
                "action again to retry only those)"
            )
        tokens = (job.stats or {}).get("tokens_in", 0) + (job.stats or {}).get("tokens_out", 0)
        if tokens:
            message += f"; {tokens:,} tokens"
        return message + "."

    def get_result_url(self, job: Job) -> str | None:
        """The digest's page; the page where a person reviews what the action stored,
        if it has one (:meth:`AIAction.get_review_url
        <toolkit.ai.actions.AIAction.get_review_url>`: proposals, which the insights
        list would only show); else the job's insights in the Insight admin."""
        digest = (
            Insight.objects.filter(job_id=job.pk, kind="digest").order_by("-pk").only("pk").first()
        )
        try:
            if digest is not None:
                return reverse("admin:toolkit_insight_digest", args=[digest.pk])
            review = self._review_url(job)
            if review is not None:
                return review
            opts = Insight._meta
            changelist = f"admin:{opts.app_label}_{opts.model_name}_changelist"
            return reverse(changelist) + f"?job_id={job.pk}"
        except NoReverseMatch:  # no admin site registers the Insight admin
            return None

    def _review_url(self, job: Job) -> str | None:
        try:
            model_admin = self.get_selection(job).get_modeladmin()
            return self.get_action(job, model_admin).get_review_url(model_admin)
        except (ToolkitConfigurationError, SelectionError):  # renamed since the job ran
            return None


def _count(insights: Any) -> ChunkResult:
    """What ``insights`` (stored by a run that did not commit its chunk) count for."""
    result = ChunkResult(stats={"tokens_in": 0, "tokens_out": 0})
    for insight in insights:
        if insight.is_ok:
            result.done += insight.record_count
        else:
            result.failed += insight.record_count
        result.stats["tokens_in"] += insight.tokens_in
        result.stats["tokens_out"] += insight.tokens_out
    return result


def start_ai_job(
    request_or_user: HttpRequest | Any,
    model_admin: admin.ModelAdmin[Any],
    action: str | AIAction | type[AIAction],
    queryset: QuerySet[Any],
    *,
    selection: Selection | None = None,
    force: bool = False,
    endpoint: str | None = None,
    records_per_prompt: int = 1,
    scope: dict[str, Any] | None = None,
) -> Job:
    """Start an AI job on what an admin action received; return it (redirect to it).

    ``request_or_user``: the action's request (the selection then keeps the changelist
    query, so "Select all" works) or a user with a prepared ``selection``. Reserves the
    selection's records against the person's limits in the transaction that queues the
    job (:func:`~toolkit.ai.limits.reserve`): raises
    :class:`~toolkit.exceptions.AILimitExceeded`, queueing nothing, when they do not fit
    (of two requests at the same moment, only one can take the last records).
    """
    from toolkit.jobs.tasks import start_job

    resolved = resolve_action(action)
    request: HttpRequest | None = request_or_user if hasattr(request_or_user, "user") else None
    user: Any = request.user if request is not None else request_or_user
    if selection is None:
        if request is not None:
            selection = Selection.from_action(model_admin, request, queryset)
        else:
            selection = Selection.for_objects(model_admin, list(queryset))
    with transaction.atomic():
        reservation = reserve(user, queryset.count())
        job = start_job(
            AIJobHandler,
            user=user,
            model=model_admin.model,
            target=selection.to_dict(),
            params={
                "action": resolved.name,
                "description": resolved.get_description(),
                "admin": model_admin.model._meta.label_lower,
                "force": force,
                "endpoint": endpoint,
                "records_per_prompt": records_per_prompt,
                "scope": scope or {},
            },
            description=(
                f"{resolved.get_description()}: {model_admin.model._meta.verbose_name_plural}"
            ),
        )
        if reservation is not None:
            AIReservation.objects.filter(pk=reservation.pk).update(job_id=job.pk)
    return job


def _release_deleted_job(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A job deleted before it ended gives back what it held."""
    release_job(instance.pk)


post_delete.connect(
    _release_deleted_job, sender="toolkit_jobs.Job", dispatch_uid="toolkit_ai_release_job"
)
