"""A totals row under the changelist: sums, averages, extremes and counts.

``TotalsMixin`` aggregates the changelist's filtered queryset (after search and
filters, before paging) in one query, and shows the results in a ``<tfoot>`` row of
the result table, each under its own column and formatted like it (its changelist part,
:class:`TotalsPart`). :class:`TotalsChecks` checks ``list_totals`` (``toolkit.E031``,
``W030``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.admin.checks import ModelAdminChecks
from django.contrib.admin.utils import display_for_field
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import formats
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from toolkit.exceptions import ToolkitConfigurationError

from ..base import ToolkitAdminMixin
from ..parts import ChangeListPart, ChangeListParts
from .rows import result_list
from .template import use_toolkit_change_list

if TYPE_CHECKING:
    from django.contrib.admin.views.main import ChangeList
    from django.utils.functional import _StrOrPromise

__all__ = [
    "AGGREGATES",
    "ChangeListTotals",
    "TotalCell",
    "TotalsChecks",
    "TotalsMixin",
    "TotalsPart",
]

#: Aggregate names a ``list_totals`` entry may use, and the function each one runs.
AGGREGATES: dict[str, type[models.Aggregate]] = {
    "sum": models.Sum,
    "avg": models.Avg,
    "min": models.Min,
    "max": models.Max,
    "count": models.Count,
}

#: How each aggregate is labelled in its cell.
AGGREGATE_LABELS: dict[str, _StrOrPromise] = {
    "sum": _("Sum"),
    "avg": _("Average"),
    "min": _("Minimum"),
    "max": _("Maximum"),
    "count": _("Count"),
}

#: Aggregates that only make sense on numbers (and durations).
NUMERIC_AGGREGATES = frozenset({"sum", "avg"})
NUMERIC_FIELDS = (models.IntegerField, models.FloatField, models.DecimalField, models.DurationField)


def totals_field_problem(model: type[models.Model], name: str, aggregate: object) -> str | None:
    """Why ``{name: aggregate}`` cannot be a total of ``model``, or ``None`` if it can."""
    if aggregate not in AGGREGATES:
        return (
            f"{aggregate!r} is not a supported aggregate for {name!r} "
            f"(use one of: {', '.join(AGGREGATES)})."
        )
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return f"{model._meta.label} has no field {name!r}."
    if not getattr(field, "concrete", False) or field.many_to_many:
        return f"{model._meta.label}.{name} is not a column of the model's own table."
    if aggregate in NUMERIC_AGGREGATES and not isinstance(field, NUMERIC_FIELDS):
        return (
            f"{aggregate!r} needs a numeric field, but {model._meta.label}.{name} is a "
            f"{type(field).__name__}."
        )
    return None


def total_aliases(spec: Mapping[str, str]) -> dict[str, str]:
    """``{alias: field name}`` of a totals ``spec``, the names its aggregates go by."""
    return {f"toolkit_total_{index}": name for index, name in enumerate(spec)}


def total_aggregates(spec: Mapping[str, str]) -> dict[str, models.Aggregate]:
    """``{alias: Sum(field)}`` for each total of ``spec``."""
    return {alias: AGGREGATES[spec[name]](name) for alias, name in total_aliases(spec).items()}


@dataclass(frozen=True)
class TotalCell:
    """One column's cell in the totals row (``aggregate`` is ``None`` when it has none)."""

    column: str
    aggregate: str | None = None
    label: _StrOrPromise = ""
    display: str = ""


class ChangeListTotals:
    """The totals row of one changelist page, computed on first use.

    The template asks for ``cells`` only when the page has results and the list is
    within ``max_rows``, so an empty page runs no aggregate query; a page with results
    runs exactly one.
    """

    def __init__(
        self,
        model_admin: TotalsMixin,
        request: HttpRequest,
        cl: ChangeList,
        spec: Mapping[str, str],
        max_rows: int | None = None,
    ) -> None:
        self.model_admin = model_admin
        self.request = request
        self.cl = cl
        self.spec = dict(spec)
        self.max_rows = max_rows

    @cached_property
    def skipped(self) -> bool:
        """True when the list matches more than ``max_rows`` rows (by the changelist's
        own count, exact or estimated): the row then says so, and no aggregate runs."""
        count = getattr(self.cl, "result_count", None)
        return self.max_rows is not None and count is not None and count > self.max_rows

    @cached_property
    def values(self) -> dict[str, Any]:
        """``{field name: aggregated value}`` from one query over the filtered queryset,
        or none at all when the paginator counted that queryset exactly and computed
        them with the count (``PerformanceMixin.get_count_aggregates``)."""
        aggregates = total_aggregates(self.spec)
        paginator = getattr(self.cl, "paginator", None)
        found = getattr(paginator, "aggregates", None)
        same_rows = getattr(paginator, "object_list", None) is self.cl.queryset
        if not (same_rows and isinstance(found, dict) and set(aggregates) <= set(found)):
            found = self.cl.queryset.aggregate(**aggregates)
        return {name: found[alias] for alias, name in total_aliases(self.spec).items()}

    @cached_property
    def cells(self) -> list[TotalCell]:
        """One cell per changelist column, in ``cl.list_display`` order."""
        cells = []
        for column in self.cl.list_display:
            aggregate = self.spec.get(column) if isinstance(column, str) else None
            if not isinstance(column, str) or aggregate is None:
                cells.append(TotalCell(column=str(getattr(column, "__name__", column))))
                continue
            display = self.model_admin.format_list_total(
                self.request, column, aggregate, self.values[column]
            )
            cells.append(
                TotalCell(
                    column=column,
                    aggregate=aggregate,
                    label=AGGREGATE_LABELS[aggregate],
                    display=display,
                )
            )
        return cells

    @cached_property
    def label_colspan(self) -> int:
        """Columns before the first total, which the row's heading spans."""
        for index, cell in enumerate(self.cells):
            if cell.aggregate is not None:
                return index
        return len(self.cells)

    @cached_property
    def cells_after_label(self) -> list[TotalCell]:
        return self.cells[self.label_colspan :]

    @cached_property
    def result_list(self) -> dict[str, Any]:
        """The context Django's ``{% result_list %}`` tag would render (with the
        toolkit's rows, :mod:`.rows`), for a table that also carries
        the totals row."""
        return result_list(self.cl)


def _rounded(value: Any, places: int) -> Decimal:
    # number_format() cuts extra decimals off; an average must round them.
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


class TotalsPart(ChangeListPart):
    """The totals row under the list: ``toolkit_totals`` in the page's context."""

    def update_page(self, response: TemplateResponse, context: dict[str, Any]) -> None:
        model_admin, request = self.model_admin, self.request
        spec = dict(model_admin.get_list_totals(request))
        for name, aggregate in spec.items():
            problem = totals_field_problem(model_admin.model, name, aggregate)
            if problem:
                raise ToolkitConfigurationError(
                    f"{type(model_admin).__name__}.get_list_totals(): {problem}"
                )
        if spec:
            context["toolkit_totals"] = ChangeListTotals(
                model_admin,
                request,
                context["cl"],
                spec,
                max_rows=model_admin.get_list_totals_max_rows(request),
            )
            use_toolkit_change_list(response)


class TotalsChecks(ModelAdminChecks):
    """The checks of ``list_totals`` and ``list_totals_max_rows``: ``toolkit.E031``,
    ``W030``."""

    def check(self, admin_obj: Any, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(admin_obj, **kwargs), *self._check_list_totals(admin_obj)]

    def _check_list_totals(self, admin_obj: Any) -> list[checks.CheckMessage]:
        name = type(admin_obj).__name__
        totals = admin_obj.list_totals
        if not isinstance(totals, Mapping):
            return [
                checks.Error(
                    f"{name}.list_totals must be a dict, not {type(totals).__name__}.",
                    hint='Map field names to aggregates, e.g. {"price": "avg", "stock": "sum"}.',
                    obj=type(admin_obj),
                    id="toolkit.E031",
                )
            ]
        messages: list[checks.CheckMessage] = []
        max_rows = admin_obj.list_totals_max_rows
        if max_rows is not None and (
            not isinstance(max_rows, int) or isinstance(max_rows, bool) or max_rows < 0
        ):
            messages.append(
                checks.Error(
                    f"{name}.list_totals_max_rows must be a non-negative integer or None, "
                    f"not {max_rows!r}.",
                    hint="Use a row count such as 100000, or None to always aggregate.",
                    obj=type(admin_obj),
                    id="toolkit.E031",
                )
            )
        shown = admin_obj.list_display if isinstance(admin_obj.list_display, list | tuple) else None
        list_display = [item for item in shown or () if isinstance(item, str)]
        for field_name, aggregate in totals.items():
            problem = totals_field_problem(admin_obj.model, field_name, aggregate)
            if problem:
                messages.append(
                    checks.Error(
                        f"{name}.list_totals: {problem}",
                        hint=(
                            "Use a concrete field of the model with one of "
                            f"{', '.join(AGGREGATES)}; sum and avg need a numeric field."
                        ),
                        obj=type(admin_obj),
                        id="toolkit.E031",
                    )
                )
            elif shown is not None and field_name not in list_display:  # else admin.E107
                messages.append(
                    checks.Warning(
                        f"{name}.list_totals has a total for {field_name!r}, which is not in "
                        "list_display, so it is never shown.",
                        hint=f"Add {field_name!r} to list_display or remove its total.",
                        obj=type(admin_obj),
                        id="toolkit.W030",
                    )
                )
        return messages


class TotalsMixin(ToolkitAdminMixin):
    """Show a totals row under the changelist.

    ::

        class ProductAdmin(TotalsMixin, admin.ModelAdmin):
            list_display = ["sku", "price", "stock"]
            list_totals = {"price": "avg", "stock": "sum"}
    """

    changelist_parts: ClassVar[ChangeListParts] = (TotalsPart,)
    mixin_checks_class: ClassVar[type | None] = TotalsChecks

    #: ``{model field name: aggregate}``; aggregates are ``sum``, ``avg``, ``min``,
    #: ``max`` and ``count``. Shown under the field's ``list_display`` column.
    list_totals: Mapping[str, str] = {}
    #: Group the digits of numeric totals by thousands with the locale's separator
    #: (``number_format(..., force_grouping=True)``), even where ``USE_THOUSAND_SEPARATOR``
    #: is off: a total over many rows is a long number. ``False`` formats totals exactly
    #: like the column's cells (grouped only with ``USE_THOUSAND_SEPARATOR``).
    list_totals_grouping: bool = True
    #: Above this many matching rows the totals row asks for a filter instead of
    #: aggregating: an exact total reads every matching row (about 0.3 s for a million
    #: on PostgreSQL). ``None`` always aggregates.
    list_totals_max_rows: int | None = None

    def get_list_totals(self, request: HttpRequest) -> Mapping[str, str]:
        """The totals for this request (e.g. margins only for some groups)."""
        return self.list_totals

    def get_list_totals_max_rows(self, request: HttpRequest) -> int | None:
        """The row limit of the totals for this request (``list_totals_max_rows``)."""
        return self.list_totals_max_rows

    def get_list_totals_grouping(self, request: HttpRequest) -> bool:
        """Whether numeric totals are grouped by thousands. See ``list_totals_grouping``."""
        return self.list_totals_grouping

    def get_count_aggregates(self, request: HttpRequest) -> dict[str, Any]:
        """The totals, for :class:`~toolkit.admin_ext.PerformanceMixin` to compute with
        its exact count of the same rows (see its ``get_count_aggregates``)."""
        parent = getattr(super(), "get_count_aggregates", None)
        aggregates = dict(parent(request)) if parent is not None else {}
        spec = self.get_list_totals(request)
        if all(totals_field_problem(self.model, name, agg) is None for name, agg in spec.items()):
            aggregates.update(total_aggregates(spec))
        return aggregates

    def format_list_total(
        self, request: HttpRequest, field_name: str, aggregate: str, value: Any
    ) -> str:
        """The text of one total: like the column's own cells (decimal places,
        localization, choices, dates), averages of whole numbers with two decimals, and
        counts as plain numbers; numbers grouped by thousands with the locale's separator
        unless ``get_list_totals_grouping()`` says not to. The template escapes it."""
        empty = self.get_empty_value_display()
        if value is None:
            return str(empty)
        grouping = self.get_list_totals_grouping(request)
        if aggregate == "count":
            return formats.number_format(value, force_grouping=grouping)
        field = self.model._meta.get_field(field_name)
        if isinstance(value, timedelta) or getattr(field, "flatchoices", None):
            return str(display_for_field(value, field, empty))
        if isinstance(field, models.DecimalField):
            places = field.decimal_places
            return formats.number_format(_rounded(value, places), places, force_grouping=grouping)
        if isinstance(field, models.IntegerField):
            if aggregate == "avg":
                return formats.number_format(_rounded(value, 2), 2, force_grouping=grouping)
            return formats.number_format(value, force_grouping=grouping)
        if isinstance(field, models.FloatField):
            return formats.number_format(value, force_grouping=grouping)
        return str(display_for_field(value, field, empty))
