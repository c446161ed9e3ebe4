"""Rules a developer declares (``ai_rules``), evaluated without the model.

::

    ai_rules = [
        Rule("negative_stock", Q(stock__lt=0), field="stock", severity="critical",
             reason="Stock is negative."),
        Compare("negative_margin", "cost", "<=", "price", severity="critical"),
        SuspiciousText(["name", "description", "reviews.text"]),
    ]

A :class:`Rule` is a condition the database evaluates; :class:`Compare` declares one
between two fields (``cost <= price``, or a ratio with ``factor``) and shows both values;
a :class:`RecordRule` (such as :class:`~toolkit.ai.detectors.SuspiciousText`) looks at
the values in Python. A batch of records costs one query for all of them: each condition
becomes a boolean annotation, and the values the rules read come in the same rows.

Rules read only the database, never what the model says, so no text in a record can add
or remove a rule's flag except by being the data the rule tests. Each flag names its
``kind`` (the rule's name unless it says otherwise), which is what
``manage.py ai_evaluate`` scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.exceptions import FieldError
from django.db import models
from django.db.models import F, Q

from toolkit.exceptions import ToolkitConfigurationError

__all__ = ["SEVERITIES", "Compare", "RecordRule", "Rule", "evaluate_rules"]

SEVERITIES = ("info", "warning", "critical")

#: The lookup that holds when ``left OP right`` does not, for each comparison.
_VIOLATED_BY = {"<": "gte", "<=": "gt", ">": "lte", ">=": "lt"}


@dataclass(frozen=True)
class Rule:
    """A condition that, when true for a record, flags ``field`` with ``severity``."""

    #: Whether the database evaluates :attr:`condition` (a :class:`RecordRule` looks at
    #: the values in Python instead).
    in_database: ClassVar[bool] = True
    #: Who found it, as the flags say ("rule"; "content" for the text checks).
    source: ClassVar[str] = "rule"

    name: str
    condition: Q
    field: str = ""
    severity: str = "warning"
    reason: str = ""
    #: What the flag is, for people and ``ai_evaluate``; the name by default.
    kind: str = ""

    def __init__(
        self,
        name: str,
        condition: Q,
        *,
        field: str = "",
        severity: str = "warning",
        reason: str = "",
        kind: str = "",
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
        object.__setattr__(self, "kind", kind or name)

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every ``kind`` the rule's flags may have."""
        return (self.kind,)

    @property
    def reads(self) -> tuple[str, ...]:
        """The fields whose values the rule needs (dotted paths): for its evidence, or,
        for a :class:`RecordRule`, to decide."""
        return (self.field,) if self.field else ()

    def flag(self, values: Mapping[str, Any] | Any = None) -> dict[str, Any]:
        """The flag of a record the rule holds for; ``values``: what :attr:`reads`
        found, by path."""
        if not isinstance(values, Mapping):  # the value of ``field`` itself
            values = {self.field: values}
        return {
            "kind": self.kind,
            "field": self.field,
            "severity": self.severity,
            "reason": self.reason,
            "source": self.source,
            "rule": self.name,
            "value": _json_value(values.get(self.field)) if self.field else None,
        }


@dataclass(frozen=True, init=False)
class Compare(Rule):
    """``left OP right`` (times ``factor``) must hold; a record where it does not is
    flagged, with both values. Records where either is NULL are not.

    ``Compare("negative_margin", "cost", "<=", "price")`` flags a cost above the price;
    ``Compare("markup", "price", "<=", "cost", factor=10)`` a price above ten times the
    cost.
    """

    left: str = ""
    op: str = "<="
    right: str = ""
    factor: float = 1.0

    def __init__(
        self,
        name: str,
        left: str,
        op: str,
        right: str,
        *,
        factor: float = 1,
        severity: str = "warning",
        reason: str = "",
        kind: str = "",
    ) -> None:
        if op not in _VIOLATED_BY:
            raise ToolkitConfigurationError(
                f"Compare {name!r}: the operator must be one of {', '.join(_VIOLATED_BY)}, "
                f"not {op!r}."
            )
        if not factor > 0:
            raise ToolkitConfigurationError(f"Compare {name!r}: factor must be positive.")
        limit: Any = F(right.replace(".", "__"))
        if factor != 1:
            limit = models.ExpressionWrapper(
                limit * models.Value(float(factor)), output_field=models.FloatField()
            )
        condition = Q(**{f"{left.replace('.', '__')}__{_VIOLATED_BY[op]}": limit})
        super().__init__(name, condition, field=left, severity=severity, reason=reason, kind=kind)
        object.__setattr__(self, "left", left)
        object.__setattr__(self, "op", op)
        object.__setattr__(self, "right", right)
        object.__setattr__(self, "factor", float(factor))
        if not reason:
            times = "" if factor == 1 else f"{factor:g} x "
            object.__setattr__(
                self, "reason", f"{left} should be {op} {times}{right}, and it is not."
            )

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.left, self.right)

    def flag(self, values: Mapping[str, Any] | Any = None) -> dict[str, Any]:
        flag = super().flag(values)
        if isinstance(values, Mapping):
            other = values.get(self.right)
            flag["against"] = self.right
            flag["limit"] = (
                _json_value(other)
                if self.factor == 1 or other is None
                else round(float(other) * self.factor, 4)
            )
            flag["reason"] = (
                f"{self.reason} ({self.left} {flag['value']}, {self.right} {_json_value(other)})"
            )
        return flag


class RecordRule(Rule):
    """A rule that decides in Python, from the values of :attr:`reads` (read in the
    same query as the database rules'). Subclass it and implement :meth:`check`."""

    in_database = False

    def check(self, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The flags of one record, from the values of :attr:`reads` by path (a record
        with several related rows is checked once per row, and its flags merged)."""
        raise NotImplementedError(f"{type(self).__name__} must implement check().")


def evaluate_rules(
    model: type[models.Model], rules: Sequence[Rule], pks: Sequence[Any]
) -> dict[str, list[dict[str, Any]]]:
    """Flags of ``rules`` for each record of ``pks`` (by ``str(pk)``), in one query."""
    if not rules or not pks:
        return {}
    annotations: dict[str, Any] = {}
    for index, rule in enumerate(rules):
        if rule.in_database:
            annotations[f"_toolkit_rule_{index}"] = models.ExpressionWrapper(
                rule.condition, output_field=models.BooleanField()
            )
    paths = list(dict.fromkeys(path for rule in rules for path in rule.reads))
    lookups = {path: path.replace(".", "__") for path in paths}
    try:
        rows = list(
            model._default_manager.filter(pk__in=list(pks))
            .order_by()
            .annotate(**annotations)
            .values("pk", *annotations, *dict.fromkeys(lookups.values()))
        )
    except FieldError as exc:
        names = ", ".join(rule.name for rule in rules)
        raise ToolkitConfigurationError(
            f"The rules of {model._meta.label} ({names}) name a field it does not have: {exc}"
        ) from exc
    found: dict[str, dict[tuple[int, str, str], dict[str, Any]]] = {}
    for row in rows:
        # A record with several related rows comes as one row per related row (a
        # condition across a to-many relation, or a related path a rule reads): a rule
        # holds for the record when it holds on any of them, and flags it once.
        hits = found.setdefault(str(row["pk"]), {})
        values = {path: row[lookup] for path, lookup in lookups.items()}
        for index, rule in enumerate(rules):
            if rule.in_database:
                if row[f"_toolkit_rule_{index}"] and (index, "", "") not in hits:
                    hits[index, "", ""] = rule.flag(values)
            elif isinstance(rule, RecordRule):
                for flag in rule.check(values):
                    hits.setdefault((index, flag.get("kind", ""), flag.get("field", "")), flag)
    return {pk: [hits[key] for key in sorted(hits)] for pk, hits in found.items() if hits}


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
