"""A selection in numbers: the table a digest is built on, computed by the database.

:func:`selection_table` counts the records, takes the minimum, maximum and average of
each numeric field sent, the most frequent values of each foreign key and field with
choices, the flags of the records' newest anomaly checks by source and kind, and the
records whose flags are the most severe. The model then writes a few sentences over
this table; the numbers are the database's, never the model's.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Avg, Count, Max, Min

from toolkit.ai.models import Insight
from toolkit.ai.sources import AISource

__all__ = ["TOP_VALUES", "selection_table"]

#: Values listed per foreign key or choice field, and records listed as most severe.
TOP_VALUES = 5
#: The insight kind whose flags the table counts.
ANOMALIES_KIND = "anomalies"


def _field_of(model: type[models.Model], path: str) -> Any:
    field: Any = None
    for part in path.split("."):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except Exception:  # FieldDoesNotExist, or a path through a non-model
            return None
        model = field.related_model
    return field


def _rounded(value: Any) -> Any:
    if isinstance(value, float | Decimal):
        return str(round(Decimal(str(value)), 2).normalize())
    return value


def selection_table(source: AISource, queryset: models.QuerySet[Any]) -> dict[str, Any]:
    """The selection's table (JSON): ``count``, ``numbers`` (min/max/avg by field),
    ``top`` (most frequent values by field), ``flags`` (by source, then kind) and
    ``most_severe`` (records with their severity, for links)."""
    queryset = queryset.order_by()
    numeric, grouped = [], []
    for path in source.fields:
        field = _field_of(source.model, path)
        if field is None:
            continue
        if (field.is_relation and field.many_to_one) or getattr(field, "choices", None):
            grouped.append((path, field))
        elif isinstance(
            field, models.IntegerField | models.DecimalField | models.FloatField
        ) and not isinstance(field, models.AutoField | models.BigAutoField):
            numeric.append(path)
    aggregates: dict[str, Any] = {"count": Count("pk")}
    for index, path in enumerate(numeric):
        lookup = path.replace(".", "__")
        aggregates[f"min{index}"] = Min(lookup)
        aggregates[f"max{index}"] = Max(lookup)
        aggregates[f"avg{index}"] = Avg(lookup)
    totals = queryset.aggregate(**aggregates)
    table: dict[str, Any] = {"count": totals["count"], "numbers": {}, "top": {}}
    for index, path in enumerate(numeric):
        if totals[f"min{index}"] is None:
            continue
        table["numbers"][path] = {
            "min": _rounded(totals[f"min{index}"]),
            "max": _rounded(totals[f"max{index}"]),
            "avg": _rounded(totals[f"avg{index}"]),
        }
    for path, field in grouped:
        table["top"][path] = _top_values(queryset, path, field)
    table.update(_flags(source, queryset))
    return table


def _top_values(queryset: models.QuerySet[Any], path: str, field: Any) -> list[dict[str, Any]]:
    lookup = path.replace(".", "__")
    rows = list(
        queryset.values(lookup)
        .annotate(records=Count("pk"))
        .order_by("-records", lookup)[:TOP_VALUES]
    )
    if field.is_relation:
        ids = [row[lookup] for row in rows if row[lookup] is not None]
        names: dict[Any, Any] = {
            pk: str(obj) for pk, obj in field.related_model._default_manager.in_bulk(ids).items()
        }
    else:
        names = {key: str(name) for key, name in field.flatchoices}

    def label(value: Any) -> Any:
        return names.get(value, value)

    return [
        {
            "value": "(none)" if row[lookup] is None else label(row[lookup]),
            "records": row["records"],
        }
        for row in rows
    ]


def _flags(source: AISource, queryset: models.QuerySet[Any]) -> dict[str, Any]:
    newest = Insight.objects.latest_for(queryset, kind=ANOMALIES_KIND)
    by_source: dict[str, Counter[str]] = {}
    for insight in newest.values():
        for flag in insight.flags or []:
            if isinstance(flag, dict):
                origin = str(flag.get("source") or "rule")
                kind = str(flag.get("kind") or flag.get("field") or "")
                by_source.setdefault(origin, Counter())[kind] += 1
    severe = sorted(
        (i for i in newest.values() if i.severity_rank),
        key=lambda i: (-i.severity_rank, -len(i.flags or []), i.object_id),
    )[:TOP_VALUES]
    objects = source.model._default_manager.in_bulk([i.object_id for i in severe])
    by_id = {str(pk): obj for pk, obj in objects.items()}
    return {
        "checked": len(newest),
        "flags": {origin: dict(counts.most_common()) for origin, counts in by_source.items()},
        "most_severe": [
            {
                "id": insight.object_id,
                "label": str(by_id.get(insight.object_id, insight.object_id)),
                "severity": insight.max_severity,
                "flags": len(insight.flags or []),
            }
            for insight in severe
        ],
    }
