"""The "AI flags" changelist filters: rows by the severity of their newest anomaly check's
facts, and by who raised its flags (the rules and statistics, or the model)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from toolkit.ai.actions import FlagAnomaliesAction
from toolkit.ai.models import SEVERITY_RANK, FlagOrigin, Insight, InsightStatus

__all__ = ["AIFlagSourceFilter", "AISeverityFilter"]


def _object_id_as_pk(model: type[models.Model]) -> Any:
    """``Insight.object_id`` as the type of ``model``'s primary key, for ``pk__in``."""
    pk: Any = model._meta.pk
    while pk is not None and pk.is_relation:
        pk = pk.target_field
    if isinstance(pk, models.AutoField | models.BigAutoField | models.IntegerField):
        return Cast("object_id", output_field=models.BigIntegerField())
    if isinstance(pk, models.UUIDField):
        return Cast("object_id", output_field=models.UUIDField())
    return models.F("object_id")


def _newest_checks(model: type[models.Model], kind: str) -> QuerySet[Insight]:
    checked = Insight.objects.for_model(model).filter(kind=kind)
    newest = checked.filter(object_id=models.OuterRef("object_id")).order_by("-created_at", "-pk")
    return checked.filter(pk=models.Subquery(newest.values("pk")[:1]))


class AISeverityFilter(admin.SimpleListFilter):
    """Rows by the severity of their newest anomaly check ("Flag anomalies"): of its
    rule and statistics flags (the model's suggestions have a filter of their own)."""

    title = gettext_lazy("AI flags")
    parameter_name = "ai_severity"

    #: The insight kind whose newest insight per record decides.
    kind = FlagAnomaliesAction.kind

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("critical", _("Critical")),
            ("warning", _("Warning")),
            ("info", _("Info")),
            ("clean", _("No flags")),
            ("unchecked", _("Not checked")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        value = self.value()
        if value is None:
            return queryset
        model = queryset.model
        checked = Insight.objects.for_model(model).filter(kind=self.kind)
        if value == "unchecked":
            return queryset.exclude(pk__in=checked.values(pk_value=_object_id_as_pk(model)))
        newest = checked.filter(
            object_id=models.OuterRef("object_id"),
        ).order_by("-created_at", "-pk")
        latest = checked.filter(pk=models.Subquery(newest.values("pk")[:1]))
        if value == "clean":
            latest = latest.filter(severity_rank=0, status=InsightStatus.OK)
        elif value in SEVERITY_RANK and value:
            latest = latest.filter(max_severity=value)
        else:
            return queryset  # an unknown value: Django's own filters ignore them too
        return queryset.filter(pk__in=latest.values(pk_value=_object_id_as_pk(model)))


class AIFlagSourceFilter(admin.SimpleListFilter):
    """Rows by who raised the flags of their newest anomaly check: the rules or peer
    statistics (facts from the database) or the model (suggestions)."""

    title = gettext_lazy("AI flags from")
    parameter_name = "ai_flag_source"

    #: The insight kind whose newest insight per record decides.
    kind = FlagAnomaliesAction.kind
    #: Each choice and the :class:`~toolkit.ai.models.FlagOrigin` values it takes.
    origins = {
        "facts": (FlagOrigin.FACTS, FlagOrigin.BOTH),
        "model": (FlagOrigin.MODEL, FlagOrigin.BOTH),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("facts", _("Rules or statistics")), ("model", _("Model suggestions"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        origins = self.origins.get(self.value() or "")
        if origins is None:
            return queryset
        model = queryset.model
        latest = _newest_checks(model, self.kind).filter(flag_origin__in=origins)
        return queryset.filter(pk__in=latest.values(pk_value=_object_id_as_pk(model)))
