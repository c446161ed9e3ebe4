"""What every toolkit filter shares: validated parameters, one warning per request.

:class:`ToolkitFieldListFilter` is the base of the toolkit's filters. Its subclasses
implement :meth:`~ToolkitFieldListFilter.validate`, which accepts or rejects each value
of the query string; a rejected value becomes one admin warning per request and never
reaches the queryset. The helpers beside it (:func:`request_memo`, :func:`warn_once`,
:func:`error_reason`) are shared with ``FilterValidationMixin``, which applies the same
treatment to the rest of the changelist.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict, TypeVar, cast
from weakref import WeakKeyDictionary

from django import forms
from django.contrib import messages
from django.contrib.admin.filters import FieldListFilter
from django.contrib.admin.options import IncorrectLookupParameters, ModelAdmin
from django.contrib.admin.utils import build_q_object_from_lookup_parameters
from django.contrib.admin.views.main import ChangeList
from django.core import checks
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices

    class FilterChoice(_ListFilterChoices, total=False):
        """A choice of the sidebar; ``form`` is set on the one that renders a form."""

        form: FilterForm
else:
    FilterChoice = dict

__all__ = [
    "FILTERS_MEDIA",
    "FilterChoice",
    "FilterForm",
    "FormField",
    "ToolkitFieldListFilter",
    "error_reason",
    "request_memo",
    "shorten",
    "toolkit_filter_entries",
    "warn_once",
]

#: Static files every toolkit filter needs on the page (added by ``FiltersMixin``).
FILTERS_MEDIA = forms.Media(
    js=["toolkit/admin_ext/filters.js", "toolkit/admin_ext/autocomplete_labels.js"],
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


def shorten(value: object, length: int = 60) -> str:
    """Query-string values are quoted back to the person; a hostile one can be huge."""
    return Truncator(str(value)).chars(length)


def error_reason(exc: BaseException) -> str:
    """One readable sentence out of the exceptions Django raises for a bad lookup value."""
    while isinstance(exc, IncorrectLookupParameters) and (exc.__cause__ or exc.args):
        inner = exc.__cause__ or exc.args[0]
        if not isinstance(inner, BaseException):
            break
        exc = inner
    if isinstance(exc, ValidationError):
        return shorten(" ".join(str(m) for m in exc.messages), 200)
    return shorten(str(exc), 200) or _("the value is not valid")


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

        Called by ``FiltersMixin``'s checks (:class:`~.checks.FiltersChecks`) for each
        ``(field_path, FilterClass)`` entry of ``list_filter``; ``label`` names the entry
        (``"list_filter[2]"``).
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
                "param": shorten(name),
                "value": shorten(value),
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


def toolkit_filter_entries(
    list_filter: Iterable[Any],
) -> Iterator[tuple[int, Any, type[ToolkitFieldListFilter]]]:
    """``(index, field or path, filter class)`` of each toolkit filter in ``list_filter``.

    What the system checks look at: :class:`~.checks.FiltersChecks` to ask each filter about
    its field, ``toolkit.W020`` to find the admins that use one without the mixin.
    """
    for index, item in enumerate(list_filter):
        if (
            isinstance(item, list | tuple)
            and len(item) == 2
            and isinstance(item[1], type)
            and issubclass(item[1], ToolkitFieldListFilter)
        ):
            yield index, item[0], item[1]
