"""What a qualifier term means: ``price>=10``, ``tag:sale``, ``created=2025-01-01``.

:func:`qualifier_condition` turns a parsed :class:`~.syntax.QualifiedTerm` and the
lookup path it is declared with into a condition for ``QuerySet.filter()``. Values are
converted by the field's own form field, so a value the field cannot hold is a message
for the person (:class:`TermProblem` or ``ValidationError``), never a database error.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from toolkit.exceptions import TermProblem

from .paths import PathError, resolve_path
from .syntax import QualifiedTerm

__all__ = [
    "COMPARABLE_FIELDS",
    "TEXT_FIELDS",
    "TermProblem",
    "convert",
    "error_text",
    "in_range",
    "qualifier_condition",
]

# Lookups whose right-hand side is text whatever the field's type.
_TEXT_LOOKUPS = frozenset(
    {
        "contains",
        "icontains",
        "startswith",
        "istartswith",
        "endswith",
        "iendswith",
        "regex",
        "iregex",
        "search",
        "trigram_similar",
        "trigram_word_similar",
        "trigram_strict_word_similar",
        "unaccent",
    }
)
_COMPARISON_LOOKUPS = {"=": "exact", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
TEXT_FIELDS = (models.CharField, models.TextField)
COMPARABLE_FIELDS = (
    models.IntegerField,
    models.FloatField,
    models.DecimalField,
    models.DateField,
    models.TimeField,
)
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})
# Conditions for "no row" and "every row with a value", for comparisons past the end
# of the calendar.
_NOTHING: list[tuple[str, Any]] = [("in", [])]
_ANY_VALUE: list[tuple[str, Any]] = [("isnull", False)]


def qualifier_condition(model: type[models.Model], term: QualifiedTerm, path: str) -> Any:
    """The condition ``term`` stands for, where its qualifier is declared as ``path``.

    Raises TermProblem or ValidationError (with a message for the person) when the
    term cannot be used; FieldError, ValueError and TypeError may come from unusual
    custom lookups, and are reported the same way by the caller.
    """
    try:
        target = resolve_path(model, path)
    except PathError:
        raise TermProblem(
            _("the %(name)s: qualifier is misconfigured (see manage.py check).")
            % {"name": term.name}
        ) from None
    field, lookup, operator, raw = target.field, target.lookup, term.operator, term.value
    suffixes: list[tuple[str, Any]]
    value: Any = None
    if lookup is None:
        if isinstance(field, COMPARABLE_FIELDS) and not field.choices:
            suffixes = _comparison(field, operator, raw)
        elif operator != "=":
            raise TermProblem(comparison_refused(term.name))
        elif isinstance(field, TEXT_FIELDS) and not field.choices:
            suffixes = [("icontains", raw)]
        else:
            suffixes = [("exact", convert(field, raw))]
    else:
        if operator != "=":
            raise TermProblem(comparison_refused(term.name))
        if lookup in _TEXT_LOOKUPS or isinstance(field, TEXT_FIELDS):
            value = raw
        elif lookup == "isnull":
            value = strict_bool(raw)
        elif lookup == "in":
            value = [convert(field, part) for part in raw.split(",") if part.strip()]
        else:
            value = convert(field, raw)
        suffixes = [(lookup, value)]
    condition: Any
    if target.multi_valued and target.relation_only and lookup == "isnull":
        # reviews__isnull=True means "has no review": no related row exists.
        condition = ~target.exists() if value else target.exists()
    elif target.multi_valued:
        condition = target.exists(target.condition(suffixes))
    else:
        condition = target.condition(suffixes)
    return ~condition if term.negated else condition


def strict_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValidationError(_("Use yes or no."))


def convert(field: Any, raw: str) -> Any:
    """``raw`` as a Python value for ``field``, validated by the field's own form field.

    Raises ValidationError with a message fit for the person.
    """
    if field.is_relation:
        field = field.target_field
    if isinstance(field, models.BooleanField):
        return strict_bool(raw)
    if field.choices:
        return _choice(field, raw)
    formfield = field.formfield()
    if formfield is None:
        # Fields like AutoField have no form field.
        return field.to_python(raw)
    value = formfield.to_python(raw)
    # validate() rejects NaN and infinity for numbers; validators (max_digits, ranges)
    # are skipped on purpose: price<1000000000 is a fine comparison.
    formfield.validate(value)
    if isinstance(value, datetime.datetime) and not in_range(value):
        raise ValidationError(_("This date and time is out of range."))
    return value


def in_range(value: datetime.datetime) -> bool:
    """Whether the database can store ``value``: an aware datetime is stored in UTC,
    and 0001-01-01 00:00 in Tokyo is still year 0 there, which Python cannot hold."""
    if value.tzinfo is None:
        return True
    try:
        value.astimezone(datetime.UTC)
    except OverflowError:
        return False
    return True


def _choice(field: Any, raw: str) -> Any:
    wanted = raw.strip().lower()
    for key, label in field.flatchoices:
        if wanted in (str(key).lower(), str(label).lower()):
            return key
    raise ValidationError(
        _("Choose one of: %(choices)s.")
        % {"choices": ", ".join(str(key) for key, _label in field.flatchoices)}
    )


def _day_bounds(raw: str) -> tuple[datetime.datetime | None, datetime.datetime | None] | None:
    """Start of the day ``raw`` names and of the next day, in the current time zone;
    None when ``raw`` is not a date alone. A bound past the end of the calendar
    (the day after 9999-12-31; the start of 0001-01-01 east of UTC) is None: no limit."""
    try:
        day = forms.DateField().to_python(raw)
    except ValidationError:
        return None
    if day is None:
        return None
    to_datetime = forms.DateTimeField().to_python
    start: datetime.datetime | None = to_datetime(day)
    end: datetime.datetime | None = None
    if day < datetime.date.max:
        end = to_datetime(day + datetime.timedelta(days=1))
    if start is not None and not in_range(start):
        start = None
    if end is not None and not in_range(end):
        end = None
    return start, end


def _comparison(field: Any, operator: str, raw: str) -> list[tuple[str, Any]]:
    """Lookup suffixes and values for ``<field> <operator> raw`` on a number or date."""
    if isinstance(field, models.DateTimeField):
        bounds = _day_bounds(raw)
        if bounds is not None:
            # A date alone means the whole day: created=2025-01-01 is that day,
            # created<=2025-01-01 includes it, created>2025-01-01 starts the next day.
            start, end = bounds
            after_start = [("gte", start)] if start else _ANY_VALUE
            before_end = [("lt", end)] if end else _ANY_VALUE
            return {
                "=": [*after_start, *before_end],
                ">": [("gte", end)] if end else _NOTHING,
                ">=": after_start,
                "<": [("lt", start)] if start else _NOTHING,
                "<=": before_end,
            }[operator]
    return [(_COMPARISON_LOOKUPS[operator], convert(field, raw))]


def comparison_refused(name: str) -> str:
    return _("%(name)s: does not compare with <, >, <= or >=; use %(name)s:value.") % {"name": name}


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(message) for message in exc.messages)
    return _("this value cannot be searched.")
