"""``MultiSelectFilter``: several options of a choices field or a relation, OR'ed.

The options are loaded once per request, however many times Django builds the filter
(facet counts build it again for each option); on a many-valued relation the selection
is matched with ``EXISTS``, so the changelist needs no ``DISTINCT``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, cast

from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.options import ModelAdmin
from django.contrib.admin.utils import lookup_spawns_duplicates
from django.contrib.admin.views.main import ChangeList
from django.core import checks
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ..search.paths import PathError, resolve_path
from .base import FilterChoice, ToolkitFieldListFilter, request_memo

__all__ = ["MultiSelectFilter"]


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

    #: The parameter is ``<field>__<target>__<lookup_suffix>`` (``category__id__in``).
    lookup_suffix: ClassVar[str] = "in"

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
        self.lookup_kwarg = f"{self.lookup_base}__{self.lookup_suffix}"
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

    def matched_values(self) -> list[str]:
        """The values rows are matched against: the selection."""
        return self.selected

    def get_condition(self) -> models.Q:
        values = self.matched_values()
        path = f"{self.lookup_base}__in"
        if self.spans_many:
            try:
                target = resolve_path(self.model_admin.model, path)
            except PathError:
                target = None  # not a path this filter can correlate: Django's join
            if target is not None and target.multi_valued:
                return models.Q(target.exists(target.condition([("in", values)])))
        return models.Q(**{path: values})

    def get_facet_counts(self, pk_attname: str, filtered_qs: Any) -> dict[str, Any]:
        distinct = lookup_spawns_duplicates(self.model_admin.opts, self.field_path)
        return {
            f"{i}__c": models.Count(
                pk_attname,
                filter=self.option_condition(value),
                distinct=distinct,
            )
            for i, (value, _label) in enumerate(self.options)
        }

    def option_condition(self, value: str) -> models.Q:
        """The rows one option matches (what its facet counts)."""
        return models.Q(**{self.lookup_base: value})

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
