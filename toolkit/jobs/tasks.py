"""How jobs reach the tasks framework, and what people do to them: start, cancel, resume.

The job layer uses only the public ``django.tasks`` API (the ``django-tasks`` backport
on Django 5.2), so the backend is the site's choice in ``TASKS``: the immediate backend
in unit tests, django-tasks-db's ``db_worker`` in the demo, django-tasks-rq where a
database queue is outgrown. The task's only argument is the job's primary key.

This module sits above the runner and the handlers: the task hands the runner the
:func:`enqueue` it needs to queue a job again, and what depends on a job's handler (may
it be cancelled or resumed, giving back what it held) is decided here, not on the model.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from toolkit.compat import tasks_module
from toolkit.jobs.handlers import JobHandler, find_handler, get_handler_class, handler_name
from toolkit.jobs.leases import update_if_unchanged
from toolkit.jobs.models import Job, JobStatus, clean_origin
from toolkit.jobs.runner import run_job

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

logger = logging.getLogger("toolkit.jobs")


# Backends store a task by its import path, ``toolkit.jobs.tasks.process_job``: tasks
# queued by any earlier version run only while this function keeps that name and module.
@tasks_module().task
def process_job(job_pk: int) -> str:
    """Run, or continue, the job ``job_pk``; returns the status the run left it in."""
    return run_job(job_pk, enqueue=enqueue)


def start_job(
    kind: str | type[JobHandler] | JobHandler,
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    queryset: models.QuerySet[Any] | None = None,
    model: type[models.Model] | None = None,
    target: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    description: str = "",
    origin: str = "",
) -> Job:
    """Create a job and queue it to run once the current transaction commits.

    - ``kind``: a registered handler (its name, class or an instance).
    - ``queryset``: what to work on; stored through the handler's ``get_target()``
      (primary keys, up to ``max_target_pks``) unless ``target`` is given too.
    - ``model`` and ``target``: the target model and a JSON spec the handler's
      ``get_queryset()`` understands, for selections too big to list (a changelist
      query string, a filter).
    - ``params``: JSON options of the operation, read by the handler as ``job.params``.
    - ``description``: the job's title in words, as lists and its page show it ("Mass
      update of 4,386 products: Is active = yes"); the handler's ``get_description()``
      when empty. Cut at 255 characters.
    - ``origin``: the page the job was started from, such as the changelist URL with
      its filters; the job's page links back to it. Only a same-site relative URL is
      kept (anything else is dropped).

    Returns the saved job; redirect the person to ``job.get_absolute_url()``, its
    progress page.
    """
    handler = get_handler_class(handler_name(kind))()
    if queryset is not None:
        model = model or queryset.model
        if target is None:
            target = handler.get_target(queryset)
    job = Job(
        kind=handler.name,
        started_by_id=user.pk if user is not None and user.is_authenticated else None,
        target_type=(
            ContentType.objects.get_for_model(model, for_concrete_model=False) if model else None
        ),
        target=target or {},
        params=params or {},
        origin=clean_origin(origin),
    )
    job.description = (description or handler.get_description(job))[:255]
    job.save()
    enqueue(job)
    return job


def enqueue(job: Job) -> None:
    """Send the job's task once the current transaction commits (at once outside one)."""
    handler = find_handler(job.kind)
    queue_name = handler.get_queue_name(job) if handler is not None else None
    transaction.on_commit(partial(send, job.pk, queue_name), using=job._state.db)


def send(job_pk: int, queue_name: str | None = None) -> None:
    task = process_job if queue_name is None else process_job.using(queue_name=queue_name)
    try:
        result = task.enqueue(job_pk)
    except Exception as exc:
        # The job is committed but no worker will ever hear of it: say so on the job
        # instead of leaving it queued forever (a resume queues it again).
        logger.exception("Could not queue job %s", job_pk)
        with transaction.atomic():
            failed = Job.objects.filter(pk=job_pk, status=JobStatus.QUEUED).update(
                status=JobStatus.FAILED,
                error=str(_("Could not queue the job: %(error)s") % {"error": exc}),
                finished_at=timezone.now(),
            )
            job = Job.objects.filter(pk=job_pk).first() if failed else None
            handler = find_handler(job.kind) if job is not None else None
            if job is not None and handler is not None:
                handler.on_end(job)
        return
    Job.objects.filter(pk=job_pk).update(task_id=str(result.id)[:64])


def requeue(job_pk: int, *, stale_after: timedelta | None = None, failed: bool = True) -> bool:
    """Queue a job again so that it continues after its cursor.

    Takes a running job whose lease has expired (its worker died: a live run's
    heartbeat keeps its lease from expiring) and, with ``failed``, a failed job.
    ``stale_after`` may ask for a longer silence than the lease (see
    :meth:`Job.is_stale`), never a shorter one. The job is taken with one conditional
    write that also checks nothing renewed it since it was read, so of a resume and a
    heartbeat, or of two resumes, one wins. Returns whether the job was queued.
    """
    job = Job.objects.filter(pk=job_pk).first()
    handler = find_handler(job.kind) if job is not None else None
    if job is None or handler is None:
        return False
    resumable = (
        failed if job.status == JobStatus.FAILED else is_abandoned(job, handler, stale_after)
    )  # is_abandoned() is False for any status but running
    if not resumable:
        return False
    previous = job.status
    with transaction.atomic():
        taken = update_if_unchanged(
            Job.objects.filter(
                pk=job.pk,
                status=job.status,
                lease=job.lease,
                lease_expires_at=job.lease_expires_at,
                heartbeat_at=job.heartbeat_at,
            ),
            status=JobStatus.QUEUED,
            lease="",
            lease_expires_at=None,
            error="",
            finished_at=None,
        )
        if not taken:
            return False
        job.refresh_from_db()
        enqueue(job)
    logger.info("Job %s (%s) queued again after being %s", job.pk, job.kind, previous)
    return True


def resume_stale_jobs(stale_after: timedelta | None = None, *, failed: bool = False) -> list[int]:
    """Queue again every running job abandoned by a dead worker (and, with ``failed``,
    every failed job); return their primary keys.

    A running job is abandoned once its lease has expired; ``stale_after`` may ask
    for a longer silence (``timedelta(0)`` adds nothing). A live run's job is never
    taken, so this is safe to run at any time, from any number of processes: from
    cron, in a loop (``manage.py resume_jobs --every 60``), at every worker's start.
    """
    statuses = [JobStatus.RUNNING, JobStatus.FAILED] if failed else [JobStatus.RUNNING]
    candidates = Job.objects.filter(status__in=statuses).order_by("pk")
    return [
        pk
        for pk in candidates.values_list("pk", flat=True)
        if requeue(pk, stale_after=stale_after, failed=failed)
    ]


def is_abandoned(job: Job, handler: JobHandler, stale_after: timedelta | None = None) -> bool:
    """:meth:`Job.is_stale`, with the handler's ``stale_after`` for a job claimed by a
    version without leases (no expiry recorded), which only the handler can tell."""
    if stale_after is None and job.lease_expires_at is None:
        stale_after = handler.get_stale_after(job)
    return job.is_stale(stale_after)


# -- what people do to a job (the admin's Cancel and Resume buttons) ------------------


def can_cancel(job: Job) -> bool:
    """Whether ``job`` may still be cancelled: not finished, and of a cancellable kind
    (a job whose handler is gone can always be cancelled)."""
    handler = find_handler(job.kind)
    return job.is_active and (handler is None or handler.is_cancellable(job))


def cancel_job(job: Job) -> bool:
    """Cancel a queued job at once, or ask a running one to stop after its chunk.

    Returns ``False`` when the job had already finished; ``job`` is refreshed either
    way. Safe against a worker claiming the job at the same moment: both updates are
    conditional. A job cancelled before any run claimed it gives back what it held
    (its handler's ``on_end``) here, since no run ever will.
    """
    now = timezone.now()
    with transaction.atomic():
        cancelled = Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.CANCELLED,
            cancel_requested=True,
            finished_at=now,
            message=_("Cancelled before it started."),
        )
        requested = cancelled or Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
            cancel_requested=True
        )
        job.refresh_from_db()
        handler = find_handler(job.kind) if cancelled else None
        if handler is not None:
            handler.on_end(job)
    return bool(requested)


def can_resume(job: Job) -> bool:
    """Whether ``job`` may continue from its cursor: it failed, or the worker running it
    died (its lease expired), and its kind is still known."""
    handler = find_handler(job.kind)
    if handler is None:
        return False
    return job.status == JobStatus.FAILED or is_abandoned(job, handler)


def resume_job(job: Job) -> bool:
    """Queue a failed or abandoned job again; it continues after its cursor.

    The run that held the job (if its worker still lives) loses its lease and stops
    before its next chunk. Returns ``False`` if the job cannot be resumed.
    """
    return requeue(job.pk)
