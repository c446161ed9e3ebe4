"""``FiltersMixin``: the ModelAdmin side of the toolkit's filters.

Its changelist parts put the validating ChangeList (:mod:`.validation`) in front of the
admin's own and add the filters' media to the page; its checks
(:class:`~.checks.FiltersChecks`) ask each toolkit filter of ``list_filter`` whether it
can work on its field (``toolkit.E020``-``E026``, from each filter's ``check_field``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest
from django.template.response import TemplateResponse

from ..base import ToolkitAdminMixin
from ..changelist.in_page import AnswerOnPage
from ..parts import ChangeListPart, ChangeListParts, DropUnusableParameters
from .checks import FiltersChecks
from .validation import FilterValidationMixin

__all__ = ["FilterValidation", "FiltersMixin"]


class FilterValidation(ChangeListPart):
    """:class:`~.validation.FilterValidationMixin` in front of the admin's ChangeList; on
    the page, the filters' media, and preserved filters without the values it left out."""

    changelist_mixin = FilterValidationMixin

    def update_page(self, response: TemplateResponse, context: dict[str, Any]) -> None:
        changelist = context["cl"]
        if not isinstance(changelist, ChangeList):
            return
        media = context.get("media") or forms.Media()
        context["media"] = media + self.model_admin.get_filters_media(self.request, changelist)
        if getattr(changelist, "ignored_parameters", None):
            context["preserved_filters"] = changelist.preserved_filters


class FiltersMixin(ToolkitAdminMixin):
    """ModelAdmin mixin for the toolkit's filters, and for bad filter input in general.

    - A filter value that cannot be used (``?price__gte=abc``, ``?category__id__exact=x``,
      an unknown field, a lookup that is not allowed, a bad date drill-down) becomes an
      admin warning and is left out; the page keeps every other filter, the search and
      the ordering, and its links no longer carry the bad value. Plain Django would
      redirect to ``?e=1`` (or answer 400) and drop them all.
    - The filters' JavaScript and CSS (select2 for ``RelatedAutocompleteFilter``) join
      the page media, merged in order with the admin's own jQuery.
    - Its checks validate each toolkit filter of ``list_filter`` (``toolkit.E020`` ...).
    """

    changelist_parts: ClassVar[ChangeListParts] = (
        AnswerOnPage,
        DropUnusableParameters,
        FilterValidation,
    )
    mixin_checks_class: ClassVar[type | None] = FiltersChecks

    def get_filters_media(self, request: HttpRequest, changelist: ChangeList) -> forms.Media:
        """Media of the filters on this page (any filter with a ``media`` attribute)."""
        media = forms.Media()
        # A ChangeList of the admin's own may build its queryset without get_filters().
        for spec in getattr(changelist, "filter_specs", ()):
            spec_media = getattr(spec, "media", None)
            if isinstance(spec_media, forms.Media):
                media += spec_media
        return media
