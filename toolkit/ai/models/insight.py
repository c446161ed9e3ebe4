"""The :class:`Insight`: what one AI action run produced for one record or selection,
with its provenance (see :mod:`toolkit.ai.models`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from toolkit.ai.models.flags import (
    MODEL_SOURCE,
    SEVERITY_RANK,
    FlagOrigin,
    GroundingStatus,
    Severity,
    flag_origin,
    max_severity,
)


class InsightStatus(models.TextChoices):
    OK = "ok", _("ok")
    FAILED = "failed", _("failed")


class ReviewStatus(models.TextChoices):
    """Where a proposed field change stands; blank for insights that propose nothing."""

    NONE = "", _("not a proposal")
    PROPOSED = "proposed", _("proposed")
    APPLIED = "applied", _("applied")
    REJECTED = "rejected", _("rejected")


class InsightQuerySet(models.QuerySet["Insight"]):
    def for_model(self, model: type[models.Model] | models.Model) -> InsightQuerySet:
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
        return self.filter(content_type=content_type)

    def for_object(self, obj: models.Model) -> InsightQuerySet:
        """Insights about ``obj``, newest first."""
        return self.for_model(obj).filter(object_id=str(obj.pk)).order_by("-created_at", "-pk")

    def digests(self) -> InsightQuerySet:
        return self.filter(kind="digest")

    def latest_for(
        self,
        objects_or_queryset: models.QuerySet[Any] | Iterable[models.Model],
        kind: str | None = None,
        *,
        action: str | None = None,
    ) -> dict[str, Insight]:
        """The newest insight of each record, by ``str(pk)``, in one query.

        ``objects_or_queryset`` is a page of objects (the changelist's result list) or a
        queryset, which stays a subquery. ``kind`` or ``action`` narrow it to the
        insights of one kind or one action. Records without an insight are absent.
        Failed insights count: an anomaly run whose model failed still carries the rule
        and statistics flags.
        """
        if isinstance(objects_or_queryset, models.QuerySet):
            model: type[models.Model] = objects_or_queryset.model
            ids: Any = objects_or_queryset.order_by().values_list(
                Cast("pk", models.CharField()), flat=True
            )
        else:
            objects = list(objects_or_queryset)
            if not objects:
                return {}
            model = type(objects[0])
            ids = [str(obj.pk) for obj in objects]
        candidates = self.for_model(model)
        if kind is not None:
            candidates = candidates.filter(kind=kind)
        if action is not None:
            candidates = candidates.filter(action=action)
        newest = candidates.filter(
            content_type_id=models.OuterRef("content_type_id"),
            object_id=models.OuterRef("object_id"),
        ).order_by("-created_at", "-pk")
        rows = candidates.filter(object_id__in=ids).filter(
            pk=models.Subquery(newest.values("pk")[:1])
        )
        return {insight.object_id: insight for insight in rows}

    def created_by_on(self, user: Any, day: Any = None) -> InsightQuerySet:
        """Insights sent for ``user`` on ``day`` (today, UTC, by default)."""
        day = day or timezone.now().date()
        return self.filter(requested_by=user.pk, created_at__date=day)

    def records_sent_by_on(self, user: Any, day: Any = None) -> int:
        """Records sent for ``user`` on ``day``: one per insight, a digest's all."""
        total = self.created_by_on(user, day).aggregate(total=models.Sum("record_count"))
        return int(total["total"] or 0)


class Insight(models.Model):
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("model"), on_delete=models.CASCADE, related_name="+"
    )
    #: ``str(pk)`` of the record; blank for a digest, which covers many.
    object_id = models.CharField(_("record id"), max_length=255, blank=True)
    target = GenericForeignKey("content_type", "object_id")

    #: What the insight is: "summary", "anomalies", "digest", or a custom action's kind.
    kind = models.CharField(_("kind"), max_length=50)
    #: ``AIAction.name`` of the action that produced it.
    action = models.CharField(_("action"), max_length=100)
    status = models.CharField(
        _("status"), max_length=16, choices=InsightStatus.choices, default=InsightStatus.OK
    )

    text = models.TextField(_("text"), blank=True)
    #: The validated answer, as the model sent it.
    data = models.JSONField(_("answer"), default=dict, blank=True)
    #: Flag dicts: field, severity, reason, source ("rule", "statistics", "model"),
    #: value, and for statistics the peer median and score.
    flags = models.JSONField(_("flags"), default=list, blank=True)
    #: Who raised the flags (:class:`FlagOrigin`), for filtering facts from suggestions.
    flag_origin = models.CharField(
        _("flags from"), max_length=8, choices=FlagOrigin.choices, blank=True, default=""
    )
    #: How much of the text is verified; each sentence is in ``data["grounding"]``.
    grounded = models.CharField(
        _("grounding"), max_length=12, choices=GroundingStatus.choices, blank=True, default=""
    )
    #: The highest severity of the rule and statistics flags: a model's flag is a
    #: suggestion and weighs nothing here.
    max_severity = models.CharField(
        _("max severity"), max_length=16, choices=Severity.choices, blank=True
    )
    severity_rank = models.PositiveSmallIntegerField(_("severity rank"), default=0)
    review_status = models.CharField(
        _("review"), max_length=16, choices=ReviewStatus.choices, blank=True
    )
    error = models.TextField(_("error"), blank=True)

    endpoint = models.CharField(_("endpoint"), max_length=100, blank=True)
    model = models.CharField(_("LLM model"), max_length=200, blank=True)
    prompt_version = models.CharField(_("prompt version"), max_length=50, blank=True)
    #: sha256 of what identifies the input (action, prompt version, model, record data,
    #: facts): an ok insight with the same hash makes a new run skip the record.
    input_hash = models.CharField(_("input hash"), max_length=64, blank=True)
    prompt_hash = models.CharField(_("prompt hash"), max_length=64, blank=True)
    #: The prompt sent, only with ``TOOLKIT_AI_STORE_PROMPTS``.
    prompt = models.TextField(_("prompt"), blank=True)
    tokens_in = models.PositiveIntegerField(_("tokens in"), default=0)
    tokens_out = models.PositiveIntegerField(_("tokens out"), default=0)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), default=0)
    #: Records a digest covers (1 for a per-record insight).
    record_count = models.PositiveIntegerField(_("records"), default=1)
    #: What a digest covered: the changelist filters and search, the selection.
    scope = models.JSONField(_("scope"), default=dict, blank=True)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: Primary key of the ``toolkit.jobs`` Job that produced it, if a job did. Not a
    #: foreign key: ``toolkit.ai`` works without ``toolkit.jobs`` installed.
    #: Filter with ``job_id=``; ``insight.job`` fetches the job.
    job_id = models.PositiveBigIntegerField(_("job"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = InsightQuerySet.as_manager()

    class Meta:
        verbose_name = _("AI insight")
        verbose_name_plural = _("AI insights")
        ordering = ["-created_at", "-pk"]
        db_table = "toolkit_insight"
        permissions = [("run_ai", "Can run AI actions")]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "kind", "-created_at"],
                name="toolkit_insight_record_idx",
            ),
            models.Index(fields=["content_type", "input_hash"], name="toolkit_insight_hash_idx"),
            models.Index(fields=["severity_rank", "-created_at"], name="toolkit_insight_sev_idx"),
            models.Index(fields=["requested_by", "created_at"], name="toolkit_insight_user_idx"),
        ]

    def __str__(self) -> str:
        if self.kind == "digest":
            return f"Digest of {self.record_count} records"
        return f"{self.kind} of {self.content_type.model} #{self.object_id}"

    @property
    def job(self) -> Any:
        """The :class:`toolkit.jobs.models.Job` that produced the insight, or ``None``
        (no job, a deleted one, or ``toolkit.jobs`` not installed)."""
        if self.job_id is None:
            return None
        cached = getattr(self, "_job_cache", None)
        if cached is not None and cached.pk == self.job_id:
            return cached
        if not apps.is_installed("toolkit.jobs"):
            return None
        from toolkit.jobs.models import Job

        self._job_cache = Job.objects.filter(pk=self.job_id).first()
        return self._job_cache

    @job.setter
    def job(self, job: Any) -> None:
        self.job_id = None if job is None else job.pk
        self._job_cache = job

    @property
    def is_ok(self) -> bool:
        return self.status == InsightStatus.OK

    def set_flags(self, flags: list[dict[str, Any]]) -> None:
        """Store ``flags``, the severity the facts among them add up to (the model's
        suggestions add none) and who raised them."""
        self.flags = flags
        self.max_severity = max_severity(
            flag for flag in flags if flag.get("source") != MODEL_SOURCE
        )
        self.severity_rank = SEVERITY_RANK[self.max_severity]
        self.flag_origin = flag_origin(flags)

    def make_storable(self) -> None:
        """Drop NUL characters from everything the model or the endpoint wrote:
        PostgreSQL stores none in text or JSON, and one must not lose the record."""
        for name in ("text", "error", "model", "prompt"):
            value = getattr(self, name)
            if "\x00" in value:
                setattr(self, name, value.replace("\x00", ""))
        self.data = _without_nul(self.data)
        self.flags = _without_nul(self.flags)

    def flags_from(self, source: str) -> list[dict[str, Any]]:
        return [flag for flag in self.flags or [] if flag.get("source") == source]

    @property
    def model_flags(self) -> list[dict[str, Any]]:
        """The flags the model suggested (not facts)."""
        return self.flags_from(MODEL_SOURCE)

    @property
    def grounding(self) -> dict[str, Any]:
        """What the grounding check found (``data["grounding"]``), or ``{}``."""
        found = self.data.get("grounding") if isinstance(self.data, dict) else None
        return found if isinstance(found, dict) else {}


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value
