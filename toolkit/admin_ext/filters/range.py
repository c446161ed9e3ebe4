"""Range filters: a lower and an upper bound, either optional.

:class:`NumericRangeFilter` is here with ``_RangeFilter``, the base it shares with
``DateRangeFilter`` (in :mod:`.date_range`): the sidebar form with its two labelled
inputs, the "from ... to ..." choice, the facet count and the check that the field is of
the right kind (``toolkit.E020``).
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Iterator
from typing import Any, cast

from django.contrib.admin.options import ModelAdmin
from django.contrib.admin.views.main import ChangeList
from django.core import checks
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .base import FilterChoice, FormField, ToolkitFieldListFilter, error_reason

__all__ = ["NumericRangeFilter"]


class _RangeFilter(ToolkitFieldListFilter):
    """Shared by the numeric and date range filters: a lower and an upper bound."""

    template = "toolkit/admin_ext/filters/range.html"
    input_type = "text"
    #: What toolkit.E020 calls the fields this filter accepts, and how to fix a wrong one.
    accepted_kind = ""
    wrong_field_hint = ""

    @classmethod
    def check_field(
        cls,
        field: models.Field[Any, Any],
        model_admin: ModelAdmin[Any],
        field_path: str,
        label: str,
    ) -> list[checks.CheckMessage]:
        if cls.accepts_field(field):
            return []
        return [
            checks.Error(
                f"{label} uses {cls.__name__} on {field_path!r}, which is not a "
                f"{cls.accepted_kind} field ({type(field).__name__}).",
                hint=cls.wrong_field_hint,
                obj=type(model_admin),
                id="toolkit.E020",
            )
        ]

    def __init__(
        self,
        field: models.Field[Any, Any],
        request: HttpRequest,
        params: dict[str, list[str]],
        model: type[models.Model],
        model_admin: ModelAdmin[Any],
        field_path: str,
    ) -> None:
        self.lookup_kwarg_min = f"{field_path}__gte"
        self.lookup_kwarg_max = f"{field_path}__lte"
        #: The lookups applied to the queryset, by lookup name.
        self.bounds: dict[str, Any] = {}
        super().__init__(field, request, params, model, model_admin, field_path)

    def expected_parameters(self) -> list[str | None]:
        return [self.lookup_kwarg_min, self.lookup_kwarg_max]

    @classmethod
    def accepts_field(cls, field: models.Field[Any, Any]) -> bool:
        raise NotImplementedError

    def get_condition(self) -> models.Q:
        return models.Q(**self.bounds)

    def get_facet_counts(self, pk_attname: str, filtered_qs: Any) -> dict[str, Any]:
        if not self.bounds:
            return {}
        return {"range__c": models.Count(pk_attname, filter=self.get_condition())}

    def form_fields(self) -> list[FormField]:
        fields: list[FormField] = []
        for name, suffix, label in (
            (self.lookup_kwarg_min, "min", self.lower_label()),
            (self.lookup_kwarg_max, "max", self.upper_label()),
        ):
            value = self.used_parameters.get(name)
            fields.append(
                {
                    "id": self.field_id(suffix),
                    "name": name,
                    "label": label,
                    "value": value[-1] if isinstance(value, list) and value else "",
                    "type": self.input_type,
                    "step": self.input_step(),
                    "inputmode": self.input_mode(),
                }
            )
        return fields

    def lower_label(self) -> str:
        return _("From")

    def upper_label(self) -> str:
        return _("To")

    def input_step(self) -> str:
        return ""

    def input_mode(self) -> str:
        return ""

    def describe_range(self) -> str:
        low = self.used_parameters.get(self.lookup_kwarg_min)
        high = self.used_parameters.get(self.lookup_kwarg_max)
        low_text = low[-1] if isinstance(low, list) and low else None
        high_text = high[-1] if isinstance(high, list) and high else None
        if low_text and high_text:
            return _("%(low)s to %(high)s") % {"low": low_text, "high": high_text}
        if low_text:
            return _("From %(low)s") % {"low": low_text}
        return _("Up to %(high)s") % {"high": high_text}

    def extra_choices(
        self, changelist: ChangeList, counts: dict[str, int] | None
    ) -> Iterator[FilterChoice]:
        return iter(())

    def choices(self, changelist: ChangeList) -> Iterator[FilterChoice]:
        counts = self.facet_counts(changelist)
        yield self.clear_choice(changelist, selected=not self.bounds)
        extra = list(self.extra_choices(changelist, counts))
        yield from extra
        if self.bounds and not any(choice["selected"] for choice in extra):
            display = self.describe_range()
            if counts is not None and "range__c" in counts:
                display = f"{display} ({counts['range__c']})"
            yield {
                "selected": True,
                "query_string": changelist.get_query_string(),
                "display": display,
            }
        yield {
            "selected": False,
            "query_string": changelist.get_query_string(),
            "display": _("Custom range"),
            "form": {
                "legend": _("%(title)s range") % {"title": self.title},
                "hidden": self.hidden_parameters(changelist),
                "fields": self.form_fields(),
                "submit_label": _("Apply"),
            },
        }


class NumericRangeFilter(_RangeFilter):
    """Rows whose number lies within a range: ``?price__gte=10&price__lte=50``.

    For integer, decimal and float fields. Either bound may be left out. Bounds of a
    ``DecimalField`` are rounded to its decimal places in the direction that keeps the
    meaning (``price__gte=9.995`` is ``price >= 10.00``), and a bound the column cannot
    hold is refused rather than sent to the database.
    """

    input_type = "number"
    accepted_kind = "number"
    wrong_field_hint = (
        "Use NumericRangeFilter on an IntegerField, DecimalField or FloatField "
        "(DateRangeFilter for dates)."
    )

    @classmethod
    def accepts_field(cls, field: models.Field[Any, Any]) -> bool:
        return isinstance(field, models.IntegerField | models.DecimalField | models.FloatField)

    def lower_label(self) -> str:
        return _("Minimum")

    def upper_label(self) -> str:
        return _("Maximum")

    def input_step(self) -> str:
        return "1" if isinstance(self.field, models.IntegerField) else "any"

    def input_mode(self) -> str:
        return "numeric" if isinstance(self.field, models.IntegerField) else "decimal"

    def validate(self) -> None:
        for name, rounding in (
            (self.lookup_kwarg_min, decimal.ROUND_CEILING),
            (self.lookup_kwarg_max, decimal.ROUND_FLOOR),
        ):
            raw = self.last_value(name)
            if raw is None:
                continue
            try:
                self.bounds[name] = self.to_bound(raw, rounding)
            except ValidationError as exc:
                self.reject(name, raw, error_reason(exc))
            else:
                self.accept(name, [raw])

    def to_bound(self, raw: str, rounding: str) -> int | float | decimal.Decimal:
        """Parse one bound; raise ``ValidationError`` with a sentence for the person."""
        is_integer = isinstance(self.field, models.IntegerField)
        not_a_number = ValidationError(
            _("enter a whole number.") if is_integer else _("enter a number.")
        )
        try:
            value = self.field.to_python(raw)
        except (ValidationError, ValueError, TypeError, ArithmeticError) as exc:
            raise not_a_number from exc
        if isinstance(value, float) and not math.isfinite(value):
            raise not_a_number
        if isinstance(value, decimal.Decimal):
            if not value.is_finite():
                raise not_a_number
            if isinstance(self.field, models.DecimalField):
                value = self._fit_decimal(value, rounding)
        if not isinstance(value, int | float | decimal.Decimal):
            raise not_a_number
        return value

    def _fit_decimal(self, value: decimal.Decimal, rounding: str) -> decimal.Decimal:
        field = cast(models.DecimalField[Any, Any], self.field)
        max_digits, places = field.max_digits, field.decimal_places
        if max_digits is None or places is None:
            return value
        if value and value.adjusted() >= max_digits - places:
            raise ValidationError(_("the number is out of range for this field."))
        context = decimal.Context(prec=max_digits + 2)
        return value.quantize(
            decimal.Decimal(1).scaleb(-places), rounding=rounding, context=context
        )
