"""List filters for changelists of large tables, and the hook that keeps bad input harmless.

Filters (each a ``FieldListFilter``; name the field explicitly in ``list_filter``)::

    list_filter = [
        ("price", NumericRangeFilter),       # ?price__gte=10&price__lte=50
        ("created", DateRangeFilter),        # ?created__gte=2025-01-01&created__lte=2025-01-31
        ("status", MultiSelectFilter),       # ?status__in=active,draft  (OR within the filter)
        ("supplier", RelatedAutocompleteFilter),  # ?supplier__id__exact=7, select2 + autocomplete
        ("description", IsEmptyFilter),      # ?description__isempty=1
    ]

Every filter validates its own parameters: a value it cannot use becomes an admin
warning (``messages.WARNING``) and is ignored, while the rest of the query string keeps
working. ``FiltersMixin`` extends that to the whole changelist (Django's own filters, raw
lookups, disallowed lookups, the date hierarchy), drops the ignored values from every
link on the page, and adds the filters' JavaScript and CSS to the page media.

Parameters stay in Django's own lookup syntax, so a filtered URL reads like any other
admin URL and ``lookup_allowed`` applies to it unchanged.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime
import decimal
import math
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict, TypeVar, cast
from weakref import WeakKeyDictionary

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.filters import EmptyFieldListFilter, FieldListFilter
from django.contrib.admin.options import IS_FACETS_VAR, IncorrectLookupParameters, ModelAdmin
from django.contrib.admin.utils import (
    build_q_object_from_lookup_parameters,
    get_fields_from_path,
    lookup_spawns_duplicates,
)
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core import checks
from django.core.exceptions import (
    FieldError,
    ImproperlyConfigured,
    SuspiciousOperation,
    ValidationError,
)
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from toolkit.query_input import drop_unusable_parameters

from .in_page import log_disallowed_lookup, mark_changelist_page, on_changelist_page
from .search import PathError, resolve_path

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices

    _ModelAdminBase = ModelAdmin[Any]
    _ChangeListBase = ChangeList

    class FilterChoice(_ListFilterChoices, total=False):
        """A choice of the sidebar; ``form`` is set on the one that renders a form."""

        form: FilterForm
else:
    _ModelAdminBase = object
    _ChangeListBase = object
    FilterChoice = dict

__all__ = [
    "DateRangeFilter",
    "FiltersMixin",
    "IsEmptyFilter",
    "MultiSelectFilter",
    "NumericRangeFilter",
    "RelatedAutocompleteFilter",
    "ToolkitFieldListFilter",
]

#: Static files every toolkit filter needs on the page (added by ``FiltersMixin``).
FILTERS_MEDIA = forms.Media(
    js=["toolkit/admin_ext/filters.js"],
    css={"all": ["toolkit/admin_ext/filters.css"]},
)

_T = TypeVar("_T")

# Per-request state shared by the many filter instances of one request: Django builds
# every filter again for each facet count and for each ChangeList.get_queryset() call.
_request_state: WeakKeyDictionary[HttpRequest, dict[Hashable, Any]] = WeakKeyDictionary()


def request_memo(request: HttpRequest, key: Hashable, compute: Callable[[], _T]) -> _T:
    """Compute a value once per request (the related rows a filter looks up, say).

    Filters are instantiated again for every facet count; without this, each of those
    instances would repeat the same database query.
    """
    state = _request_state.setdefault(request, {})
    if key not in state:
        state[key] = compute()
    return cast(_T, state[key])


def warn_once(request: HttpRequest, message: str) -> None:
    """Add an admin warning unless this request already carries the same one."""
    seen: set[str] = request_memo(request, ("toolkit.filters", "warnings"), set)
    if message in seen:
        return
    seen.add(message)
    # fail_silently: a request built without the messages middleware (a RequestFactory
    # in someone's test, an API view reusing a ChangeList) must still get its results.
    messages.warning(request, message, fail_silently=True)


def _shorten(value: object, length: int = 60) -> str:
    """Query-string values are quoted back to the person; a hostile one can be huge."""
    return Truncator(str(value)).chars(length)


def _reason(exc: BaseException) -> str:
    """One readable sentence out of the exceptions Django raises for a bad lookup value."""
    while isinstance(exc, IncorrectLookupParameters) and (exc.__cause__ or exc.args):
        inner = exc.__cause__ or exc.args[0]
        if not isinstance(inner, BaseException):
            break
        exc = inner
    if isinstance(exc, ValidationError):
        return _shorten(" ".join(str(m) for m in exc.messages), 200)
    return _shorten(str(exc), 200) or _("the value is not valid")


class FormField(TypedDict):
    id: str
    name: str
    label: str
    value: str
    type: str
    step: str
    inputmode: str


class FilterForm(TypedDict, total=False):
    legend: str
    hidden: list[tuple[str, str]]
    fields: list[FormField]
    submit_label: str
    widget: str
    widget_id: str
    widget_label: str


class ToolkitFieldListFilter(FieldListFilter):
    """Base of the toolkit's filters: validated parameters, assets and form helpers.

    Subclasses set their lookup parameter names before calling ``super().__init__``
    (as Django's own field filters do), then implement :meth:`validate`, which reads
    :attr:`raw_parameters` and either accepts each value (:meth:`accept`) or rejects it
    (:meth:`reject`). A rejected value is reported once per request as an admin warning
    and never reaches the queryset; ``FiltersMixin`` also removes it from the links.
    """

    template = "admin/filter.html"

    #: True when the filter's condition never lists a row twice even on a many-valued
    #: relation (it matches through ``EXISTS``): ``FiltersMixin`` then spares the whole
    #: changelist Django's ``DISTINCT``.
    avoids_duplicates: ClassVar[bool] = False

    def __init__(
        self,
        field: models.Field[Any, Any],
        request: HttpRequest,
        params: dict[str, list[str]],
        model: type[models.Model],
        model_admin: ModelAdmin[Any],
        field_path: str,
    ) -> None:
        # FieldListFilter pops our parameters out of ``params``; keep them as sent.
        self.raw_parameters: dict[str, list[str]] = {}
        for name in self.expected_parameters():
            if name is not None and name in params:
                values = params[name]
                self.raw_parameters[name] = (
                    [str(v) for v in values] if isinstance(values, list) else [str(values)]
                )
        #: Parameters this filter could not use, each with the value to keep in links
        #: instead (``None``: drop it). ``FiltersMixin`` applies these to the page.
        self.invalid_parameters: dict[str, str | None] = {}
        self.model_admin = model_admin
        super().__init__(field, request, params, model, model_admin, field_path)
        self.used_parameters = {}
        self.validate()

    # --- what subclasses implement -------------------------------------------------

    def validate(self) -> None:
        """Check :attr:`raw_parameters`, then :meth:`accept` or :meth:`reject` each one."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement validate() (see ToolkitFieldListFilter)."
        )

    @classmethod
    def check_field(
        cls,
        field: models.Field[Any, Any],
        model_admin: ModelAdmin[Any],
        field_path: str,
        label: str,
    ) -> list[checks.CheckMessage]:
        """System-check messages if this filter cannot work on ``field``.

        Called by ``FiltersMixin.check()`` for each ``(field_path, FilterClass)`` entry
        of ``list_filter``; ``label`` names the entry (``"list_filter[2]"``).
        """
        return []

    # --- helpers for subclasses ----------------------------------------------------

    def last_value(self, name: str) -> str | None:
        """The last non-blank value sent for ``name`` (as Django's own filters use)."""
        values = self.raw_parameters.get(name)
        if not values:
            return None
        value = values[-1].strip()
        return value or None

    def accept(self, name: str, values: list[str]) -> None:
        self.used_parameters[name] = values

    def reject(self, name: str, value: str, reason: str, keep: str | None = None) -> None:
        """Ignore ``name=value`` and tell the person why, once per request.

        ``keep`` is what remains usable of the parameter (a multi-select keeps its valid
        values); ``FiltersMixin`` writes it back into the page's links.
        """
        self.invalid_parameters[name] = keep
        warn_once(
            self.request,
            _("The “%(title)s” filter ignored %(param)s=%(value)s: %(reason)s")
            % {
                "title": self.title,
                "param": _shorten(name),
                "value": _shorten(value),
                "reason": reason,
            },
        )

    def hidden_parameters(self, changelist: ChangeList) -> list[tuple[str, str]]:
        """Every other parameter of the page, for the hidden inputs of this filter's form.

        A GET form replaces the whole query string, so the search, the ordering, the
        facets switch and the other filters must travel with it.
        """
        own = [p for p in self.expected_parameters() if p]
        hidden: list[tuple[str, str]] = []
        for name, values in sorted(changelist.filter_params.items()):
            if any(name.startswith(p) for p in own):
                continue
            for value in values if isinstance(values, list) else [values]:
                hidden.append((name, str(value)))
        return hidden

    def facet_counts(self, changelist: ChangeList) -> dict[str, int] | None:
        """Facet counts when the changelist shows them and this filter has any to show."""
        if not changelist.add_facets:
            return None
        if not self.get_facet_counts(changelist.pk_attname, changelist.root_queryset):
            # Nothing to count: skip building the facet queryset (and its filters) at all.
            return {}
        return self.get_facet_queryset(changelist)

    def field_id(self, suffix: str) -> str:
        return f"toolkit-filter-{self.field_path}-{suffix}"

    def clear_choice(self, changelist: ChangeList, selected: bool) -> FilterChoice:
        return {
            "selected": selected,
            "query_string": changelist.get_query_string(
                remove=[p for p in self.expected_parameters() if p]
            ),
            "display": _("All"),
        }

    @property
    def media(self) -> forms.Media:
        """Static files this filter needs; ``FiltersMixin`` adds them to the page."""
        return FILTERS_MEDIA

    def queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> Any:
        return queryset.filter(self.get_condition()) if self.used_parameters else queryset

    def get_condition(self) -> models.Q:
        """The condition the accepted parameters stand for (facet counts use it too)."""
        return build_q_object_from_lookup_parameters(cast(Any, self.used_parameters))


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
                self.reject(name, raw, _reason(exc))
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


class DateRangeFilter(_RangeFilter):
    """Rows whose date lies within a range, with presets: today, last 7 days, this month.

    ``?created__gte=2025-01-01&created__lte=2025-01-31`` includes both days. On a
    ``DateTimeField`` the days are those of the current time zone (``timezone.activate``),
    and a full ISO datetime (``2025-01-01T09:30``) may be given instead of a day.
    Override :meth:`get_presets` to offer other ranges.
    """

    input_type = "date"
    accepted_kind = "date"
    wrong_field_hint = (
        "Use DateRangeFilter on a DateField or DateTimeField (NumericRangeFilter for numbers)."
    )

    @classmethod
    def accepts_field(cls, field: models.Field[Any, Any]) -> bool:
        return isinstance(field, models.DateField)

    @property
    def is_datetime(self) -> bool:
        return isinstance(self.field, models.DateTimeField)

    def today(self) -> datetime.date:
        """Today in the current time zone (what "today" means to the person)."""
        return timezone.localdate() if settings.USE_TZ else datetime.date.today()

    def get_presets(self, today: datetime.date) -> list[tuple[str, datetime.date, datetime.date]]:
        """Ranges offered as links: ``(label, first day, last day)``, both days included.

        Override to add or replace presets, e.g. ``("This year", today.replace(month=1,
        day=1), today.replace(month=12, day=31))``.
        """
        first_of_month = today.replace(day=1)
        last_of_month = today.replace(day=calendar.monthrange(today.year, today.month)[1])
        return [
            (_("Today"), today, today),
            (_("Last 7 days"), today - datetime.timedelta(days=6), today),
            (_("This month"), first_of_month, last_of_month),
        ]

    def parse(self, raw: str) -> datetime.date | datetime.datetime:
        bad = ValidationError(_("enter a date as YYYY-MM-DD."))
        try:
            day = parse_date(raw)
        except ValueError as exc:
            raise ValidationError(_("that day does not exist (use YYYY-MM-DD).")) from exc
        if day is not None:
            return day
        if not self.is_datetime:
            raise bad
        try:
            moment = parse_datetime(raw)
        except ValueError as exc:
            raise ValidationError(_("that date and time does not exist.")) from exc
        if moment is None:
            raise bad
        return moment

    def _moment(self, value: datetime.datetime) -> datetime.datetime:
        """``value`` as the database will compare it, or ``ValidationError``."""
        if settings.USE_TZ:
            if timezone.is_naive(value):
                value = timezone.make_aware(value, timezone.get_current_timezone())
            try:
                value.astimezone(datetime.UTC)
            except OverflowError as exc:
                raise ValidationError(_("the date is out of range.")) from exc
        elif timezone.is_aware(value):
            value = timezone.make_naive(value)
        return value

    def _start_of(self, day: datetime.date) -> datetime.datetime:
        return self._moment(datetime.datetime.combine(day, datetime.time.min))

    def lookups_for(
        self,
        since: datetime.date | datetime.datetime | None,
        until: datetime.date | datetime.datetime | None,
    ) -> dict[str, Any]:
        """Lookups for a range whose ends are days (inclusive) or exact moments."""
        lookups: dict[str, Any] = {}
        path = self.field_path
        if since is not None:
            if isinstance(since, datetime.datetime):
                lookups[f"{path}__gte"] = self._moment(since)
            elif self.is_datetime:
                lookups[f"{path}__gte"] = self._start_of(since)
            else:
                lookups[f"{path}__gte"] = since
        if until is not None:
            if isinstance(until, datetime.datetime):
                lookups[f"{path}__lte"] = self._moment(until)
            elif self.is_datetime:
                # The whole last day: up to the next midnight of the current time zone.
                # On 9999-12-31 there is no next day: every moment is before its end.
                with contextlib.suppress(OverflowError):
                    lookups[f"{path}__lt"] = self._start_of(until + datetime.timedelta(days=1))
            else:
                lookups[f"{path}__lte"] = until
        return lookups

    def validate(self) -> None:
        ends: dict[str, datetime.date | datetime.datetime] = {}
        for name in (self.lookup_kwarg_min, self.lookup_kwarg_max):
            raw = self.last_value(name)
            if raw is None:
                continue
            try:
                end = self.parse(raw)
                # Build the lookups now: an out-of-range moment must fail here, not in SQL.
                if name == self.lookup_kwarg_min:
                    self.lookups_for(end, None)
                else:
                    self.lookups_for(None, end)
            except ValidationError as exc:
                self.reject(name, raw, _reason(exc))
            else:
                ends[name] = end
                self.accept(name, [raw])
        self.bounds = self.lookups_for(
            ends.get(self.lookup_kwarg_min), ends.get(self.lookup_kwarg_max)
        )

    def preset_links(self) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
        links = []
        for label, first, last in self.get_presets(self.today()):
            params = {
                self.lookup_kwarg_min: first.isoformat(),
                self.lookup_kwarg_max: last.isoformat(),
            }
            links.append((label, params, self.lookups_for(first, last)))
        return links

    def get_facet_counts(self, pk_attname: str, filtered_qs: Any) -> dict[str, Any]:
        counts = super().get_facet_counts(pk_attname, filtered_qs)
        for i, (_label, _params, lookups) in enumerate(self.preset_links()):
            counts[f"{i}__c"] = models.Count(pk_attname, filter=models.Q(**lookups))
        return counts

    def extra_choices(
        self, changelist: ChangeList, counts: dict[str, int] | None
    ) -> Iterator[FilterChoice]:
        current = {
            name: values[-1]
            for name, values in self.used_parameters.items()
            if isinstance(values, list) and values
        }
        for i, (label, params, _lookups) in enumerate(self.preset_links()):
            display = label
            if counts is not None and f"{i}__c" in counts:
                display = f"{label} ({counts[f'{i}__c']})"
            yield {
                "selected": current == params,
                "query_string": changelist.get_query_string(
                    params, remove=[self.lookup_kwarg_min, self.lookup_kwarg_max]
                ),
                "display": display,
            }


class MultiSelectFilter(ToolkitFieldListFilter):
    """Several values of a choices field or a relation, OR'ed: ``?status__in=active,draft``.

    Repeated parameters (``?status__in=active&status__in=draft``) mean the same. Each
    option is a link that adds its value to the selection or takes it out. Values that
    are not options (a typo, a deleted row) are reported and dropped; the valid ones
    still apply. For a relation with many rows use ``RelatedAutocompleteFilter``.

    On a many-to-many or reverse relation (``tags``) the selection is matched with an
    ``EXISTS`` subquery, so a product with two selected tags is listed once and, with
    ``FiltersMixin``, the changelist needs no ``DISTINCT`` over every row.
    """

    template = "toolkit/admin_ext/filters/multi_select.html"
    avoids_duplicates = True

    def __init__(
        self,
        field: models.Field[Any, Any],
        request: HttpRequest,
        params: dict[str, list[str]],
        model: type[models.Model],
        model_admin: ModelAdmin[Any],
        field_path: str,
    ) -> None:
        if field.is_relation:
            target = cast(Any, field).target_field
            self.lookup_base = f"{field_path}__{target.name}"
        else:
            self.lookup_base = field_path
        self.lookup_kwarg = f"{self.lookup_base}__in"
        #: Selected option values, in the order of the options.
        self.selected: list[str] = []
        self.request = request
        self.field = field
        self.field_path = field_path
        self.model_admin = model_admin
        #: The path crosses a many-valued relation: match it with EXISTS.
        self.spans_many = lookup_spawns_duplicates(model_admin.opts, field_path)
        self.options = self.get_options(request)
        super().__init__(field, request, params, model, model_admin, field_path)

    @classmethod
    def check_field(
        cls,
        field: models.Field[Any, Any],
        model_admin: ModelAdmin[Any],
        field_path: str,
        label: str,
    ) -> list[checks.CheckMessage]:
        if field.is_relation or getattr(field, "choices", None):
            return []
        return [
            checks.Error(
                f"{label} uses {cls.__name__} on {field_path!r}, which has neither choices "
                "nor a relation to list as options.",
                hint="Use MultiSelectFilter on a field with choices, a ForeignKey or a "
                "ManyToManyField.",
                obj=type(model_admin),
                id="toolkit.E024",
            )
        ]

    def expected_parameters(self) -> list[str | None]:
        return [self.lookup_kwarg]

    def get_options(self, request: HttpRequest) -> list[tuple[str, str]]:
        """``(value, label)`` of every option, computed once per request.

        Relations list the related rows in their admin's ordering (as Django's
        ``RelatedFieldListFilter`` does); choices fields list their choices.
        """
        key = ("toolkit.filters", "options", type(self), type(self.model_admin), self.field_path)
        return request_memo(request, key, lambda: self._load_options(request))

    def _load_options(self, request: HttpRequest) -> list[tuple[str, str]]:
        if self.field.is_relation:
            remote = cast(type[models.Model], self.field.related_model)
            queryset = remote._default_manager.all()
            get_limit_choices_to = getattr(self.field, "get_limit_choices_to", None)
            if get_limit_choices_to is not None:
                queryset = queryset.complex_filter(get_limit_choices_to())
            try:
                related_admin = self.model_admin.admin_site.get_model_admin(remote)
            except NotRegistered:
                pass
            else:
                # The related admin's own changelist settings say how to order its
                # rows and what their __str__ needs joined (one query, not one per row).
                if ordering := related_admin.get_ordering(request):
                    queryset = queryset.order_by(*ordering)
                select_related = related_admin.get_list_select_related(request)
                if select_related is True:
                    queryset = queryset.select_related()
                elif select_related:
                    queryset = queryset.select_related(*select_related)
            attname = cast(Any, self.field).target_field.attname
            return [(str(getattr(obj, attname)), str(obj)) for obj in queryset]
        return [
            (str(value), str(label)) for value, label in self.field.flatchoices if value is not None
        ]

    def has_output(self) -> bool:
        return bool(self.options)

    def validate(self) -> None:
        values: list[str] = []
        for raw in self.raw_parameters.get(self.lookup_kwarg, []):
            for piece in raw.split(self.list_separator):
                piece = piece.strip()
                if piece and piece not in values:
                    values.append(piece)
        known = {value for value, _label in self.options}
        unknown = [v for v in values if v not in known]
        self.selected = [value for value, _label in self.options if value in values]
        if unknown:
            self.reject(
                self.lookup_kwarg,
                ",".join(unknown),
                _("not an option of this filter.")
                if len(unknown) == 1
                else _("these are not options of this filter."),
                keep=self.list_separator.join(self.selected) or None,
            )
        if self.selected:
            self.accept(self.lookup_kwarg, [self.list_separator.join(self.selected)])

    def get_condition(self) -> models.Q:
        if self.spans_many:
            try:
                target = resolve_path(self.model_admin.model, self.lookup_kwarg)
            except PathError:
                target = None  # not a path this filter can correlate: Django's join
            if target is not None and target.multi_valued:
                return models.Q(target.exists(target.condition([("in", self.selected)])))
        return models.Q(**{self.lookup_kwarg: self.selected})

    def get_facet_counts(self, pk_attname: str, filtered_qs: Any) -> dict[str, Any]:
        distinct = lookup_spawns_duplicates(self.model_admin.opts, self.field_path)
        return {
            f"{i}__c": models.Count(
                pk_attname,
                filter=models.Q(**{self.lookup_base: value}),
                distinct=distinct,
            )
            for i, (value, _label) in enumerate(self.options)
        }

    def choices(self, changelist: ChangeList) -> Iterator[FilterChoice]:
        counts = self.facet_counts(changelist)
        yield self.clear_choice(changelist, selected=not self.selected)
        for i, (value, label) in enumerate(self.options):
            is_selected = value in self.selected
            toggled = [
                v
                for v, _label in self.options
                if (v in self.selected) != (v == value)  # XOR: flip this one value
            ]
            display = label
            if counts is not None and f"{i}__c" in counts:
                display = f"{label} ({counts[f'{i}__c']})"
            yield {
                "selected": is_selected,
                "query_string": changelist.get_query_string(
                    {self.lookup_kwarg: self.list_separator.join(toggled) or None},
                    remove=[self.lookup_kwarg],
                ),
                "display": display,
            }


class _SelectedOnlyAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget, given the selected row instead of querying for it.

    The filter has already loaded (and validated) the selected row; the stock widget
    would query for it a second time.
    """

    def __init__(
        self,
        field: models.Field[Any, Any],
        admin_site: Any,
        selected: tuple[str, str] | None,
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(field, admin_site, attrs=attrs)
        self.selected = selected

    def optgroups(self, name: str, value: Any, attrs: dict[str, Any] | None = None) -> Any:
        options = [self.create_option(name, "", "", False, 0)]
        if self.selected is not None:
            option_value, option_label = self.selected
            options.append(self.create_option(name, option_value, option_label, True, 1))
        return [(None, options, 0)]


class RelatedAutocompleteFilter(ToolkitFieldListFilter):
    """One related row, picked with the admin's autocomplete: ``?supplier__id__exact=7``.

    The sidebar holds a select2 box fed by the admin site's own ``autocomplete`` view
    (as ``autocomplete_fields`` does), so a related table of any size is never rendered
    into the page; the related ModelAdmin needs ``search_fields`` (``toolkit.E021``).
    Picking a row reloads the list filtered by it (``filters.js``). The filter costs
    one query, for the selected row, whatever the size of the related table.
    """

    template = "toolkit/admin_ext/filters/autocomplete.html"

    def __init__(
        self,
        field: models.Field[Any, Any],
        request: HttpRequest,
        params: dict[str, list[str]],
        model: type[models.Model],
        model_admin: ModelAdmin[Any],
        field_path: str,
    ) -> None:
        target = cast(Any, field).target_field
        self.target_field: models.Field[Any, Any] = target
        self.lookup_kwarg = f"{field_path}__{target.name}__exact"
        #: ``(value, label)`` of the selected related row, if any.
        self.selected: tuple[str, str] | None = None
        self.value: Any = None
        super().__init__(field, request, params, model, model_admin, field_path)

    @classmethod
    def check_field(
        cls,
        field: models.Field[Any, Any],
        model_admin: ModelAdmin[Any],
        field_path: str,
        label: str,
    ) -> list[checks.CheckMessage]:
        if not (isinstance(field, models.ForeignKey)):
            return [
                checks.Error(
                    f"{label} uses {cls.__name__} on {field_path!r}, which is not a ForeignKey.",
                    hint="Use RelatedAutocompleteFilter on a ForeignKey or OneToOneField "
                    "(MultiSelectFilter for many-to-many relations).",
                    obj=type(model_admin),
                    id="toolkit.E023",
                )
            ]
        remote = cast(type[models.Model], field.related_model)
        try:
            related_admin = model_admin.admin_site.get_model_admin(remote)
        except NotRegistered:
            return [
                checks.Error(
                    f"{label} uses {cls.__name__} on {field_path!r}, but "
                    f"{remote._meta.label} is not registered in the admin site "
                    f"{model_admin.admin_site.name!r}.",
                    hint=f"Register a ModelAdmin with search_fields for {remote._meta.label} "
                    "in the same admin site: its autocomplete view feeds the filter.",
                    obj=type(model_admin),
                    id="toolkit.E022",
                )
            ]
        if not related_admin.search_fields:
            return [
                checks.Error(
                    f"{type(related_admin).__name__} must define search_fields, because "
                    f"{type(model_admin).__name__}.{label} uses {cls.__name__} on "
                    f"{field_path!r}.",
                    hint=f"Add search_fields to {type(related_admin).__name__} (as "
                    "autocomplete_fields requires, admin.E040).",
                    obj=type(model_admin),
                    id="toolkit.E021",
                )
            ]
        return []

    def expected_parameters(self) -> list[str | None]:
        return [self.lookup_kwarg]

    @property
    def related_admin(self) -> ModelAdmin[Any] | None:
        try:
            return self.model_admin.admin_site.get_model_admin(
                cast(type[models.Model], self.field.related_model)
            )
        except NotRegistered:
            return None

    def can_search(self) -> bool:
        """Whether the person may use the autocomplete view for the related model."""
        related_admin = self.related_admin
        return (
            related_admin is not None
            and bool(related_admin.get_search_fields(self.request))
            and related_admin.has_view_permission(self.request)
        )

    def get_related_queryset(self) -> models.QuerySet[Any]:
        """Where the selected row is looked up: the related admin's queryset, so the
        filter shows no row that the related admin itself would hide."""
        related_admin = self.related_admin
        if related_admin is not None:
            return related_admin.get_queryset(self.request)
        remote = cast(type[models.Model], self.field.related_model)
        return remote._default_manager.all()

    def validate(self) -> None:
        raw = self.last_value(self.lookup_kwarg)
        if raw is None:
            return
        try:
            value = self.target_field.to_python(raw)
            self.target_field.get_prep_value(value)
        except (ValidationError, ValueError, TypeError):
            self.reject(self.lookup_kwarg, raw, _("not a valid id."))
            return
        remote = cast(type[models.Model], self.field.related_model)
        key = ("toolkit.filters", "related", remote, self.target_field.name, str(value))

        def load() -> tuple[str, str] | None:
            obj = (
                self.get_related_queryset()
                .filter(**{self.target_field.name: value})
                .order_by()
                .first()
            )
            return None if obj is None else (str(value), str(obj))

        selected = request_memo(self.request, key, load)
        if selected is None:
            self.reject(
                self.lookup_kwarg,
                raw,
                _("there is no %(name)s with that id.") % {"name": remote._meta.verbose_name},
            )
            return
        self.selected = selected
        self.value = value
        self.accept(self.lookup_kwarg, [raw])

    def get_condition(self) -> models.Q:
        return models.Q(**{self.lookup_kwarg: self.value})

    def get_facet_counts(self, pk_attname: str, filtered_qs: Any) -> dict[str, Any]:
        if self.selected is None:
            return {}
        return {"selected__c": models.Count(pk_attname, filter=self.get_condition())}

    @property
    def media(self) -> forms.Media:
        widget = AutocompleteSelect(self.field, self.model_admin.admin_site)
        return widget.media + FILTERS_MEDIA

    def render_widget(self) -> str:
        widget = _SelectedOnlyAutocompleteSelect(
            self.field,
            self.model_admin.admin_site,
            self.selected,
            attrs={"data-toolkit-autocomplete-filter": ""},
        )
        return widget.render(
            self.lookup_kwarg,
            self.selected[0] if self.selected else "",
            attrs={"id": self.field_id("select")},
        )

    def choices(self, changelist: ChangeList) -> Iterator[FilterChoice]:
        counts = self.facet_counts(changelist)
        yield self.clear_choice(changelist, selected=self.selected is None)
        if self.selected is not None:
            display = self.selected[1]
            if counts is not None and "selected__c" in counts:
                display = f"{display} ({counts['selected__c']})"
            yield {
                "selected": True,
                "query_string": changelist.get_query_string({self.lookup_kwarg: self.selected[0]}),
                "display": display,
            }
        if self.can_search():
            remote = cast(type[models.Model], self.field.related_model)
            yield {
                "selected": False,
                "query_string": changelist.get_query_string(),
                "display": _("Search"),
                "form": {
                    "hidden": self.hidden_parameters(changelist),
                    "widget": self.render_widget(),
                    "widget_id": self.field_id("select"),
                    "widget_label": _("Search %(name)s")
                    % {"name": remote._meta.verbose_name_plural},
                    "submit_label": _("Apply"),
                },
            }


class IsEmptyFilter(ToolkitFieldListFilter, EmptyFieldListFilter):
    """ "Empty" or "not empty": ``?description__isempty=1`` (or ``0``).

    Django's ``EmptyFieldListFilter``, so empty means ``''`` or NULL, whichever the
    field can hold (text, numbers, foreign keys), with a value that is neither ``1`` nor
    ``0`` reported and ignored instead of sending the person to ``?e=1``.
    """

    def __init__(
        self,
        field: models.Field[Any, Any],
        request: HttpRequest,
        params: dict[str, list[str]],
        model: type[models.Model],
        model_admin: ModelAdmin[Any],
        field_path: str,
    ) -> None:
        self.lookup_kwarg = f"{field_path}__isempty"
        super().__init__(field, request, params, model, model_admin, field_path)

    @classmethod
    def check_field(
        cls,
        field: models.Field[Any, Any],
        model_admin: ModelAdmin[Any],
        field_path: str,
        label: str,
    ) -> list[checks.CheckMessage]:
        if field.empty_strings_allowed or field.null:
            return []
        return [
            checks.Error(
                f"{label} uses {cls.__name__} on {field_path!r}, which can never be empty "
                "(it allows neither NULL nor empty strings).",
                hint="Use IsEmptyFilter on a text field, or on a field with null=True.",
                obj=type(model_admin),
                id="toolkit.E025",
            )
        ]

    def expected_parameters(self) -> list[str | None]:
        return [self.lookup_kwarg]

    def validate(self) -> None:
        raw = self.last_value(self.lookup_kwarg)
        self.lookup_val = None
        if raw is None:
            return
        if raw not in ("0", "1"):
            self.reject(self.lookup_kwarg, raw, _("use 1 for empty or 0 for not empty."))
            return
        self.lookup_val = raw
        self.accept(self.lookup_kwarg, [raw])

    def get_condition(self) -> models.Q:
        condition = self.get_lookup_condition()
        return condition if self.lookup_val == "1" else ~condition


# --- the ModelAdmin side --------------------------------------------------------------


def _toolkit_filter_entries(
    list_filter: Iterable[Any],
) -> Iterator[tuple[int, Any, type[ToolkitFieldListFilter]]]:
    for index, item in enumerate(list_filter):
        if (
            isinstance(item, list | tuple)
            and len(item) == 2
            and isinstance(item[1], type)
            and issubclass(item[1], ToolkitFieldListFilter)
        ):
            yield index, item[0], item[1]


class FilterValidationMixin(_ChangeListBase):
    """Mixed into the admin's ``ChangeList`` by ``FiltersMixin``.

    Django turns any unusable filter parameter into a redirect to ``?e=1`` that drops
    the whole query string (or a 400 for a lookup that is not allowed). Here each
    unusable parameter is reported as an admin warning and removed, the filters are
    built again without it, and the page renders with everything else applied.
    """

    #: Enough rounds for a query string full of bad parameters; each round drops one
    #: or more. Past it, Django's own handling takes over.
    max_filter_rounds: ClassVar[int] = 20

    @property
    def ignored_parameters(self) -> dict[str, str | None]:
        """Parameters left out or corrected, each with the value kept (``None``: none)."""
        return self.__dict__.setdefault("_toolkit_ignored_parameters", {})

    def get_filters(self, request: HttpRequest) -> Any:
        if not on_changelist_page(request):
            result = super().get_filters(request)
            for spec in result[0]:
                # A toolkit filter checks its own values; Django's would raise here.
                invalid = getattr(spec, "invalid_parameters", None)
                if invalid:
                    raise IncorrectLookupParameters(f"Bad value for {', '.join(invalid)}.")
            return self._toolkit_without_needless_distinct(result)
        for _round in range(self.max_filter_rounds):
            self._toolkit_drop_disallowed(request)
            self._toolkit_drop_bad_drilldown(request)
            result = super().get_filters(request)
            if self._toolkit_drop_failing(request, result):
                continue
            return self._toolkit_without_needless_distinct(result)
        return self._toolkit_without_needless_distinct(super().get_filters(request))

    def _toolkit_without_needless_distinct(self, result: Sequence[Any]) -> Any:
        """Django asks for ``DISTINCT`` over the whole changelist whenever a used filter
        crosses a many-valued relation; filters that match through ``EXISTS``
        (``avoids_duplicates``) cannot repeat a row, so only the others count."""
        specs, has_filters, remaining, may_have_duplicates, has_active = result
        if may_have_duplicates and not self._toolkit_may_repeat_rows(remaining):
            may_have_duplicates = False
        return specs, has_filters, remaining, may_have_duplicates, has_active

    def _toolkit_may_repeat_rows(self, remaining: dict[str, Any]) -> bool:
        """Django's test of ``get_filters``, leaving out the filters that avoid duplicates."""
        opts = self.lookup_opts
        if any(lookup_spawns_duplicates(opts, name) for name in remaining):
            return True
        sent = list(self.get_filters_params())
        for item in self.list_filter:
            if not isinstance(item, list | tuple | str):
                continue  # a SimpleListFilter class: Django does not look at those either
            path, filter_class = (item, None) if isinstance(item, str) else item
            if getattr(filter_class, "avoids_duplicates", False):
                continue
            if not isinstance(path, str):
                return True  # a Field instance: keep Django's answer
            if not lookup_spawns_duplicates(opts, path):
                continue
            if any(name == path or name.startswith(f"{path}__") for name in sent):
                return True
        return False

    def get_queryset(
        self, request: HttpRequest, exclude_parameters: list[str | None] | None = None
    ) -> Any:
        queryset = super().get_queryset(request, exclude_parameters)
        if self.ignored_parameters:
            # These were computed in __init__ from the query string as sent.
            self.remove_facet_link = self.get_query_string(remove=[IS_FACETS_VAR])
            self.add_facet_link = self.get_query_string({IS_FACETS_VAR: True})
            if self.preserved_filters:
                # Links to the change pages bring the person back to this list.
                kept = request.GET.copy()
                for name, keep in self.ignored_parameters.items():
                    if keep is None:
                        kept.pop(name, None)
                    else:
                        kept.setlist(name, [keep])
                self.preserved_filters = urlencode({"_changelist_filters": kept.urlencode()})
        return queryset

    # --- what gets dropped, and how ----------------------------------------------------

    def _toolkit_set(self, request: HttpRequest, name: str, keep: str | None) -> bool:
        """Replace (or with ``None`` remove) a parameter everywhere the page reads it."""
        current = self.filter_params.get(name)
        if keep is None:
            if name not in self.filter_params and name not in self.params:
                return False
            self.filter_params.pop(name, None)
            self.params.pop(name, None)
        else:
            if current == [keep]:
                return False
            self.filter_params[name] = [keep]
            self.params[name] = keep
        self.ignored_parameters[name] = keep
        return True

    def _toolkit_ignore(self, request: HttpRequest, names: Iterable[str], message: str) -> bool:
        changed = False
        for name in names:
            changed |= self._toolkit_set(request, name, None)
        if changed:
            warn_once(request, message)
        return changed

    def _toolkit_drop_disallowed(self, request: HttpRequest) -> None:
        """Mirror the ``lookup_allowed`` loop of ``get_filters``, minus the 400."""
        for name, values in list(self.get_filters_params().items()):
            for value in values if isinstance(values, list) else [values]:
                if not self.model_admin.lookup_allowed(name, value, request):
                    log_disallowed_lookup(request, name)
                    self._toolkit_ignore(
                        request,
                        [name],
                        _("Filtering by %(name)s is not allowed; it was ignored.")
                        % {"name": _shorten(name)},
                    )
                    break

    def _toolkit_drop_bad_drilldown(self, request: HttpRequest) -> None:
        """Check the date hierarchy's year, month and day as ``get_filters`` will use them.

        Django answers a day that does not exist with ``?e=1``, and the last year or
        month of the calendar (no next one to end the range) with a server error.
        """
        hierarchy = self.date_hierarchy
        if not hierarchy:
            return
        names = [f"{hierarchy}__{part}" for part in ("year", "month", "day")]
        if names[0] not in self.filter_params:
            return  # without a year Django leaves month and day to the plain lookups
        try:
            year, month, day = (
                int(values[-1]) if (values := self.filter_params.get(name)) else None
                for name in names
            )
            start = datetime.datetime(cast(int, year), month or 1, day or 1)
            if day:
                end = start + datetime.timedelta(days=1)
            elif month:
                end = (start + datetime.timedelta(days=32)).replace(day=1)
            else:
                end = start.replace(year=start.year + 1)
            if settings.USE_TZ:
                for moment in (start, end):
                    timezone.make_aware(moment).astimezone(datetime.UTC)
        except (ValueError, OverflowError, TypeError) as exc:
            self._toolkit_ignore(
                request,
                names,
                _("The date drill-down was ignored: %(reason)s") % {"reason": _reason(exc)},
            )

    def _toolkit_drop_failing(self, request: HttpRequest, result: Sequence[Any]) -> bool:
        """Try each active filter and each remaining lookup on its own; drop the failures.

        Building a filtered queryset raises for a value of the wrong type without
        touching the database, so trying costs no query for Django's own filters.
        """
        filter_specs, _has_filters, remaining, _duplicates, _active = result
        changed = False
        for spec in filter_specs:
            corrections = getattr(spec, "invalid_parameters", None)
            if corrections is not None:
                # A toolkit filter: it has validated (and warned) already.
                for name, keep in corrections.items():
                    changed |= self._toolkit_set(request, name, keep)
                continue
            if not spec.used_parameters:
                continue
            try:
                spec.queryset(request, self.root_queryset)
            except (IncorrectLookupParameters, ValidationError, ValueError) as exc:
                names = [p for p in spec.expected_parameters() if p and p in self.filter_params]
                changed |= self._toolkit_ignore(
                    request,
                    names,
                    _("The “%(title)s” filter was ignored: %(reason)s")
                    % {"title": spec.title, "reason": _reason(exc)},
                )
        for name, value in remaining.items():
            try:
                self.root_queryset.filter(build_q_object_from_lookup_parameters({name: value}))
            except (SuspiciousOperation, ImproperlyConfigured):
                raise
            except FieldError:
                # An unknown field or an unsupported lookup: nothing the list filters by.
                changed |= self._toolkit_ignore(
                    request,
                    [name],
                    _("%(name)s is not a filter of this list; it was ignored.")
                    % {"name": _shorten(name)},
                )
            except Exception as exc:
                # Django's own get_queryset() catches everything here too: a value of
                # the wrong type may raise nearly anything from a field's conversion.
                changed |= self._toolkit_ignore(
                    request,
                    [name],
                    _("The filter %(name)s was ignored: %(reason)s")
                    % {"name": _shorten(name), "reason": _reason(exc)},
                )
        return changed


_validating_classes: dict[type[ChangeList], type[ChangeList]] = {}


def with_filter_validation(changelist_class: type[ChangeList]) -> type[ChangeList]:
    """``changelist_class`` with ``FilterValidationMixin`` in front (made once per class).

    Composing instead of subclassing ``ChangeList`` keeps other mixins free to return
    their own ChangeList subclass from ``get_changelist``.
    """
    if issubclass(changelist_class, FilterValidationMixin):
        return changelist_class
    if changelist_class not in _validating_classes:
        _validating_classes[changelist_class] = cast(
            type[ChangeList],
            type(
                changelist_class.__name__,
                (FilterValidationMixin, changelist_class),
                {
                    "__module__": changelist_class.__module__,
                    "__qualname__": changelist_class.__qualname__,
                    "__doc__": changelist_class.__doc__,
                },
            ),
        )
    return _validating_classes[changelist_class]


class FiltersMixin(_ModelAdminBase):
    """ModelAdmin mixin for the toolkit's filters, and for bad filter input in general.

    - A filter value that cannot be used (``?price__gte=abc``, ``?category__id__exact=x``,
      an unknown field, a lookup that is not allowed, a bad date drill-down) becomes an
      admin warning and is left out; the page keeps every other filter, the search and
      the ordering, and its links no longer carry the bad value. Plain Django would
      redirect to ``?e=1`` (or answer 400) and drop them all.
    - The filters' JavaScript and CSS (select2 for ``RelatedAutocompleteFilter``) join
      the page media, merged in order with the admin's own jQuery.
    - ``check()`` validates each toolkit filter of ``list_filter`` (``toolkit.E020`` ...).
    """

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return with_filter_validation(super().get_changelist(request, **kwargs))

    def get_filters_media(self, request: HttpRequest, changelist: ChangeList) -> forms.Media:
        """Media of the filters on this page (any filter with a ``media`` attribute)."""
        media = forms.Media()
        # A ChangeList of the admin's own may build its queryset without get_filters().
        for spec in getattr(changelist, "filter_specs", ()):
            spec_media = getattr(spec, "media", None)
            if isinstance(spec_media, forms.Media):
                media += spec_media
        return media

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        mark_changelist_page(request)
        drop_unusable_parameters(request, self.model)
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if isinstance(context, dict) and isinstance(context.get("cl"), ChangeList):
            changelist = context["cl"]
            media = context.get("media") or forms.Media()
            context["media"] = media + self.get_filters_media(request, changelist)
            if getattr(changelist, "ignored_parameters", None):
                context["preserved_filters"] = changelist.preserved_filters
        return response

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(**kwargs), *self._check_toolkit_filters()]

    def _check_toolkit_filters(self) -> list[checks.CheckMessage]:
        errors: list[checks.CheckMessage] = []
        if not isinstance(self.list_filter, list | tuple):
            return errors  # admin.E112 reports it
        for index, path, filter_class in _toolkit_filter_entries(self.list_filter):
            if isinstance(path, models.Field):
                field, field_path = path, path.name
            else:
                try:
                    field = get_fields_from_path(self.model, path)[-1]
                except Exception:
                    continue  # admin.E116 reports it
                field_path = path
            errors.extend(
                filter_class.check_field(field, self, field_path, f"list_filter[{index}]")
            )
        return errors


@checks.register(checks.Tags.admin)
def check_filters_mixin(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn about toolkit filters on a ModelAdmin without ``FiltersMixin``.

    Registered when this module is imported, which every site using these filters does.
    """
    from django.contrib.admin.sites import all_sites

    warnings: list[checks.CheckMessage] = []
    for site in all_sites:
        for model, model_admin in list(site._registry.items()):
            if app_configs is not None and model._meta.app_config not in app_configs:
                continue
            if isinstance(model_admin, FiltersMixin):
                continue
            list_filter = getattr(model_admin, "list_filter", ())
            if not isinstance(list_filter, list | tuple):
                continue
            names = sorted({cls.__name__ for _i, _p, cls in _toolkit_filter_entries(list_filter)})
            if names:
                warnings.append(
                    checks.Warning(
                        f"{type(model_admin).__name__} uses {', '.join(names)} without "
                        "FiltersMixin.",
                        hint="Add toolkit.admin_ext.FiltersMixin to its bases: it loads the "
                        "filters' scripts (the autocomplete filter needs them) and keeps bad "
                        "filter values from sending people to ?e=1.",
                        obj=type(model_admin),
                        id="toolkit.W020",
                    )
                )
    return warnings
