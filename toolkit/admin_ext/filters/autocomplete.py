"""``RelatedAutocompleteFilter``: one related row, picked with the admin's autocomplete.

The select2 box asks the admin site's own ``autocomplete`` view for rows, so the
related table is never rendered into the page; the filter itself loads only the row
that is selected, once per request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from django import forms
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.options import ModelAdmin
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core import checks
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .base import FILTERS_MEDIA, FilterChoice, ToolkitFieldListFilter, request_memo

__all__ = ["RelatedAutocompleteFilter"]


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
