"""One model for every long operation: :class:`Job`.

A job records what to do (its ``kind``, which names a registered
:class:`~toolkit.jobs.JobHandler`, a target model and a JSON ``target`` spec that can be
evaluated again, JSON ``params``), who asked, and how far it got: ``status``, ``total``,
``done`` and ``failed`` counts, a ``cursor`` after the last committed chunk, a result
message or file, an error, timestamps, and the lease of the run that holds it (a token
and when it expires unless the run's heartbeat renews it). Workers change it only
through :mod:`toolkit.jobs.runner`.

The model is the bottom of the job layer: it knows no handler. What needs one (may this
job be cancelled or resumed, cancelling it, resuming it) is in :mod:`toolkit.jobs.tasks`,
and the handler of a job is ``find_handler(job.kind)``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import Storage, default_storage, storages
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

logger = logging.getLogger("toolkit.jobs")

#: The ``STORAGES`` alias that holds job results when a site defines it; otherwise
#: results go to the default storage. Results are served only through the owner-checked
#: download view, so keep that storage's files off any public URL.
RESULT_STORAGE_ALIAS = "toolkit_jobs"


def result_storage() -> Storage:
    if RESULT_STORAGE_ALIAS in settings.STORAGES:
        return storages[RESULT_STORAGE_ALIAS]
    return default_storage


#: Longest changelist URL (path and query string) a job keeps as its origin.
ORIGIN_MAX_LENGTH = 2000


def clean_origin(url: str | None) -> str:
    """``url`` if it is a same-site relative URL (``/admin/shop/product/?status=draft``),
    else ``""``: a job's origin becomes a link on its page, so a full URL to another
    site, a scheme (``javascript:``), a protocol-relative ``//host`` or a control
    character is never kept nor shown."""
    url = (url or "").strip()
    if (
        not url.startswith("/")
        or url.startswith(("//", "/\\"))
        or len(url) > ORIGIN_MAX_LENGTH
        or any(ord(char) < 32 or ord(char) == 127 for char in url)
    ):
        return ""
    if not url_has_allowed_host_and_scheme(url, allowed_hosts=set()):
        return ""
    return url


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


#: Statuses a job never leaves.
FINISHED_STATUSES = frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED})


class JobQuerySet(models.QuerySet["Job"]):
    def active(self) -> JobQuerySet:
        return self.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])

    def finished(self) -> JobQuerySet:
        return self.filter(status__in=list(FINISHED_STATUSES))

    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> JobQuerySet:
        """Jobs ``user`` may see: every job for a superuser, their own for others."""
        if getattr(user, "is_superuser", False):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(started_by=user.pk)

    def stale(self, older_than: timedelta, now: datetime | None = None) -> JobQuerySet:
        """Running jobs without a heartbeat for ``older_than`` whose lease has expired
        (a live run's lease never has: its heartbeat renews it)."""
        now = now or timezone.now()
        return self.filter(status=JobStatus.RUNNING, heartbeat_at__lt=now - older_than).filter(
            models.Q(lease_expires_at__isnull=True) | models.Q(lease_expires_at__lte=now)
        )


class Job(models.Model):
    kind = models.CharField(_("kind"), max_length=100, db_index=True)
    #: The job's title in words, written by whoever starts it ("Mass update of 4,386
    #: products: Is active = yes"); the handler's ``get_description()`` otherwise.
    description = models.CharField(_("title"), max_length=255, blank=True)
    #: The page the job was started from (a changelist with its filters), as a
    #: same-site relative URL: the job's page links back to it ("Back to the products
    #: list"). Empty for jobs started elsewhere, and for jobs older than the field.
    origin = models.CharField(_("started from"), max_length=ORIGIN_MAX_LENGTH, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="toolkit_jobs",
    )
    target_type = models.ForeignKey(
        ContentType,
        verbose_name=_("target model"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    #: What to work on, as data the handler turns back into a queryset.
    target = models.JSONField(_("target"), default=dict, blank=True)
    #: Options of the operation (field values, export format), as JSON.
    params = models.JSONField(_("parameters"), default=dict, blank=True)

    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    total = models.PositiveBigIntegerField(_("total"), null=True, blank=True)
    done = models.PositiveBigIntegerField(_("done"), default=0)
    failed = models.PositiveBigIntegerField(_("failed"), default=0)
    #: Items left alone because nothing needed doing (an AI result still valid).
    skipped = models.PositiveBigIntegerField(_("skipped"), default=0)
    #: Counters a handler adds up over its chunks, e.g. ``{"tokens_in": 1200}``.
    stats = models.JSONField(_("statistics"), default=dict, blank=True)
    #: Committed chunks; also numbers the parts of a result file.
    chunks = models.PositiveIntegerField(_("chunks"), default=0)
    #: Where the next chunk starts (by default the pk of the last committed row).
    cursor = models.JSONField(_("cursor"), null=True, blank=True)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)

    message = models.TextField(_("result"), blank=True)
    result_file = models.FileField(
        _("result file"),
        upload_to="toolkit_jobs/%Y/%m/",
        storage=result_storage,
        max_length=255,
        blank=True,
    )
    error = models.TextField(_("error"), blank=True)

    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)

    #: Runs that claimed the job: more than one after a resume or a max_run_time hand-back.
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    #: Token of the worker run that owns the job; a run whose token was replaced (the
    #: job was resumed elsewhere) stops before its next chunk.
    lease = models.CharField(_("lease"), max_length=32, blank=True, editable=False)
    #: Until when the run holding ``lease`` owns the job. Its heartbeat pushes this
    #: forward (by the handler's ``stale_after``) every few seconds; only once it has
    #: passed may the job be resumed elsewhere (see :mod:`toolkit.jobs.leases`).
    lease_expires_at = models.DateTimeField(
        _("lease expires"), null=True, blank=True, editable=False
    )
    #: Id of the last task enqueued for the job, as the tasks backend reported it.
    task_id = models.CharField(_("task id"), max_length=64, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["started_by", "-created_at"], name="toolkit_job_owner_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="toolkit_job_status_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        """The job's progress page (its admin page): where a view that starts a job
        redirects."""
        return reverse("admin:toolkit_jobs_job_change", args=[self.pk])

    # -- derived state ---------------------------------------------------------------

    @property
    def title(self) -> str:
        """The job in words: its ``description``, else its kind and number (a job
        started without one by an older version)."""
        return self.description or f"{self.kind} #{self.pk}"

    @property
    def origin_url(self) -> str:
        """``origin`` if it is still a same-site relative URL, else ``""`` (checked again
        on the way out: the column may have been written by other code)."""
        return clean_origin(self.origin)

    @property
    def target_model(self) -> type[models.Model] | None:
        if self.target_type_id is None:
            return None
        return ContentType.objects.get_for_id(self.target_type_id).model_class()

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def is_active(self) -> bool:
        return not self.is_finished

    @property
    def processed(self) -> int:
        """Rows dealt with so far, however they ended: done, failed or skipped."""
        return self.done + self.failed + self.skipped

    @property
    def percent(self) -> int | None:
        """Progress in whole percent (``None`` while the total is unknown)."""
        if self.status == JobStatus.DONE:
            return 100
        if not self.total:
            return None
        return min(100, self.processed * 100 // self.total)

    def is_stale(self, stale_after: timedelta | None = None, now: datetime | None = None) -> bool:
        """Running, but abandoned: the lease of the run that held it has expired (its
        heartbeat stopped) and, with ``stale_after``, no heartbeat came for that long.

        ``stale_after`` can only ask for a longer silence: a job whose lease is live
        belongs to a live run and is never stale, whatever ``stale_after`` says. A job
        claimed by a version without leases (no expiry recorded) is stale once its last
        heartbeat is older than ``stale_after``; without one the model cannot tell and
        answers ``False`` (:func:`toolkit.jobs.tasks.is_abandoned` passes the handler's).
        """
        if self.status != JobStatus.RUNNING:
            return False
        now = now or timezone.now()
        last = self.heartbeat_at or self.started_at or self.created_at
        if self.lease_expires_at is not None:
            if self.lease_expires_at > now:
                return False
            return stale_after is None or last <= now - stale_after
        if stale_after is None:
            return False
        return last < now - stale_after

    def is_visible_to(self, user: Any) -> bool:
        """Whether ``user`` may follow (and cancel) the job: its owner or a superuser."""
        if not getattr(user, "is_authenticated", False):
            return False
        return bool(user.is_superuser) or (
            self.started_by_id is not None and self.started_by_id == user.pk
        )

    def can_download(self, user: Any) -> bool:
        """Only the person who started a job downloads its result."""
        return (
            getattr(user, "is_authenticated", False)
            and self.started_by_id is not None
            and self.started_by_id == user.pk
            and self.status == JobStatus.DONE
            and bool(self.result_file)
        )

    def status_payload(self) -> dict[str, Any]:
        """What the progress page polls (JSON)."""
        return {
            "id": self.pk,
            "status": self.status,
            "status_display": str(self.get_status_display()),
            "total": self.total,
            "done": self.done,
            "failed": self.failed,
            "skipped": self.skipped,
            "processed": self.processed,
            "stats": self.stats,
            "percent": self.percent,
            "finished": self.is_finished,
            "cancel_requested": self.cancel_requested,
            "message": self.message,
            "error": self.error,
        }


@receiver(post_delete, sender=Job)
def delete_result_file(sender: type[Job], instance: Job, **kwargs: Any) -> None:
    name = instance.result_file.name
    if name:
        storage = instance.result_file.storage
        transaction.on_commit(lambda: storage.delete(name))
