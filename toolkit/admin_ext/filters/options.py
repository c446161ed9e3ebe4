"""``FiltersMixin``: the ModelAdmin side of the toolkit's filters.

It swaps in the validating ChangeList (:mod:`.validation`), adds the filters' media to
the changelist page, and asks each toolkit filter of ``list_filter`` whether it can work
on its field (``toolkit.E020``-``E025``, from each filter's ``check_field``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.admin.options import ModelAdmin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ChangeList
from django.core import checks
from django.db import models
from django.http import HttpRequest, HttpResponse

from toolkit.query_input import drop_unusable_parameters

from ..changelist.in_page import mark_changelist_page
from .base import toolkit_filter_entries
from .validation import with_filter_validation

if TYPE_CHECKING:
    _ModelAdminBase = ModelAdmin[Any]
else:
    _ModelAdminBase = object

__all__ = ["FiltersMixin"]


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
        for index, path, filter_class in toolkit_filter_entries(self.list_filter):
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
