"""The "AI flags" changelist filter: rows by the severity of their newest anomaly check."""

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
from toolkit.ai.models import SEVERITY_RANK, Insight, InsightStatus

__all__ = ["AISeverityFilter"]


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


class AISeverityFilter(admin.SimpleListFilter):
    """Rows by the severity of their newest anomaly check ("Flag anomalies")."""

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
