"""Rules a developer declares (``ai_rules``), evaluated in the database.

::

    ai_rules = [
        Rule("negative_stock", Q(stock__lt=0), field="stock", severity="critical",
             reason="Stock is negative."),
        Rule("below_cost", Q(price__lt=F("cost")), field="price",
             reason="Price is below cost."),
    ]

A batch of records costs one query for all rules (each condition becomes a boolean
annotation). Rules read only the database, never what the model says, so no text in a
record can add or remove a rule's flag except by being the data the rule tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q

from toolkit.exceptions import ToolkitConfigurationError

__all__ = ["SEVERITIES", "Rule", "evaluate_rules"]

SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class Rule:
    """A condition that, when true for a record, flags ``field`` with ``severity``."""

    name: str
    condition: Q
    field: str = ""
    severity: str = "warning"
    reason: str = ""

    def __init__(
        self,
        name: str,
        condition: Q,
        *,
        field: str = "",
        severity: str = "warning",
        reason: str = "",
    ) -> None:
        if severity not in SEVERITIES:
            raise ToolkitConfigurationError(
                f"Rule {name!r}: severity must be one of {', '.join(SEVERITIES)}, not {severity!r}."
            )
        if not isinstance(condition, Q):
            raise ToolkitConfigurationError(f"Rule {name!r}: condition must be a Q object.")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "condition", condition)
        object.__setattr__(self, "field", field)
        object.__setattr__(self, "severity", severity)
        object.__setattr__(self, "reason", reason or f"Rule {name} matched.")

    def flag(self, value: Any) -> dict[str, Any]:
        return {
            "field": self.field,
            "severity": self.severity,
            "reason": self.reason,
            "source": "rule",
            "rule": self.name,
            "value": _json_value(value),
        }


def evaluate_rules(
    model: type[models.Model], rules: Sequence[Rule], pks: Sequence[Any]
) -> dict[str, list[dict[str, Any]]]:
    """Flags of ``rules`` for each record of ``pks`` (by ``str(pk)``), in one query."""
    if not rules or not pks:
        return {}
    annotations: dict[str, Any] = {}
    value_lookups: dict[str, str] = {}
    for index, rule in enumerate(rules):
        annotations[f"_toolkit_rule_{index}"] = models.ExpressionWrapper(
            rule.condition, output_field=models.BooleanField()
        )
        if rule.field:
            value_lookups[rule.field] = rule.field.replace(".", "__")
    rows = (
        model._default_manager.filter(pk__in=list(pks))
        .order_by()
        .annotate(**annotations)
        .values("pk", *annotations, *dict.fromkeys(value_lookups.values()))
    )
    matched: dict[str, dict[int, Any]] = {}
    for row in rows:
        # A condition across a to-many relation yields one row per related row: a rule
        # holds for a record when it holds on any of them.
        hits = matched.setdefault(str(row["pk"]), {})
        for index, rule in enumerate(rules):
            if row[f"_toolkit_rule_{index}"] and index not in hits:
                hits[index] = row[value_lookups[rule.field]] if rule.field else None
    return {
        pk: [rules[index].flag(value) for index, value in sorted(hits.items())]
        for pk, hits in matched.items()
        if hits
    }


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
