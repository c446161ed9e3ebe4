"""The ChangeList of :class:`~toolkit.admin_ext.PerformanceMixin`.

Django's ``ChangeList`` (``django/contrib/admin/views/main.py``) reads the query string,
builds the queryset and fetches the page. :class:`PerformanceChangeListMixin` goes in
front of it, or of a project's own ChangeList (the part ``PerformancePart`` of
:mod:`.performance` names it, :func:`~toolkit.admin_ext.parts.compose_changelist`
composes it), and:

- leaves a bad page, sort or disallowed lookup out with a message (:mod:`.parameters`)
  before Django reads the query string;
- counts and pages (:mod:`.results`): estimated counts, keyset pagination, a missing
  page answered with the nearest one;
- keeps the keyset cursor out of every link that starts the list again;
- reverses the row's change URL once a page (:mod:`.row_urls`);
- gives the templates their pagination (``toolkit_pagination``) and rows
  (``toolkit_result_list_context()``, drawn by :mod:`.rows`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.admin.options import ModelAdmin
from django.contrib.admin.templatetags.admin_list import pagination as admin_pagination
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ALL_VAR, ChangeList
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .in_page import on_changelist_page
from .keyset import CURSOR_VAR
from .parameters import reject_bad_parameters
from .results import PagedResultsMixin, admin_hook
from .row_urls import pk_url_builder
from .rows import result_list

__all__ = ["PerformanceChangeList", "PerformanceChangeListMixin"]


class PerformanceChangeListMixin(PagedResultsMixin):
    """Mixed into the admin's ``ChangeList`` by :class:`~toolkit.admin_ext.PerformanceMixin`.

    Adds, for the template: ``result_count_is_estimated``,
    ``full_result_count_is_estimated``, ``keyset_pagination`` with the
    ``keyset_first_url`` / ``keyset_previous_url`` / ``keyset_next_url`` /
    ``keyset_last_url`` links (all set by :class:`~.results.PagedResultsMixin`),
    ``toolkit_pagination`` (what ``toolkit/admin_ext/pagination.html`` renders) and
    ``toolkit_result_list_context()`` (what ``{% toolkit_result_list %}`` renders).
    """

    fast_result_rows = False

    def __init__(
        self,
        request: HttpRequest,
        model: type[models.Model],
        list_display: Any,
        list_display_links: Any,
        list_filter: Any,
        date_hierarchy: Any,
        search_fields: Any,
        list_select_related: Any,
        list_per_page: int,
        list_max_show_all: int,
        list_editable: Any,
        model_admin: ModelAdmin[Any],
        sortable_by: Any,
        search_help_text: Any,
    ) -> None:
        # What the checks below need, before Django reads the query string.
        self.model = model
        self.opts = self.lookup_opts = model._meta
        self.model_admin = model_admin
        self.list_display = list_display
        self.keyset_pagination = admin_hook(model_admin, "get_keyset_pagination", request)
        #: Draw the rows with .rows (see toolkit_result_list_context()).
        self.fast_result_rows = admin_hook(model_admin, "get_fast_result_rows", request)
        if on_changelist_page(request):
            reject_bad_parameters(self, request, numbered_pages=not self.keyset_pagination)
        super().__init__(
            request,
            model,
            list_display,
            list_display_links,
            list_filter,
            date_hierarchy,
            search_fields,
            list_select_related,
            list_per_page,
            list_max_show_all,
            list_editable,
            model_admin,
            sortable_by,
            search_help_text,
        )

    # --- query string -------------------------------------------------------------------

    def get_filters_params(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(CURSOR_VAR, None)
        return lookup_params

    def get_query_string(
        self, new_params: dict[str, Any] | None = None, remove: Iterable[str] | None = None
    ) -> str:
        # Every link of the page (a filter, a column to sort by, facets) starts again at
        # the first page: a cursor only means something for the ordering it came from.
        if not new_params or CURSOR_VAR not in new_params:
            remove = [*(remove or []), CURSOR_VAR]
        return super().get_query_string(new_params, remove)

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> Any:
        # The search form repeats self.params as hidden inputs: a new search must not
        # carry the cursor of the old one.
        self.params.pop(CURSOR_VAR, None)
        return super().get_queryset(request, exclude_parameters)

    # --- rows ---------------------------------------------------------------------------

    def url_for_result(self, result: Any) -> str:
        """Django's change URL of a row, reversed once per page (:mod:`.row_urls`)."""
        builder = self.__dict__.get("_toolkit_url_for_pk")
        if builder is None:
            builder = self._toolkit_url_for_pk = pk_url_builder(self._reverse_change_url)
        return builder(getattr(result, self.pk_attname))

    def _reverse_change_url(self, pk: Any) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=(quote(pk),),
            current_app=self.model_admin.admin_site.name,
        )

    # --- template -----------------------------------------------------------------------

    def toolkit_result_list_context(self) -> dict[str, Any]:
        """The context of ``{% toolkit_result_list cl %}``: Django's ``{% result_list %}``
        context, with the rows of :mod:`.rows` where ``fast_result_rows`` allows."""
        return result_list(self)

    @property
    def toolkit_pagination(self) -> dict[str, Any] | None:
        """What ``toolkit/admin_ext/pagination.html`` renders: keyset links, or page
        numbers with an estimated count. ``None`` for exactly counted pages by number,
        which Django's own ``{% pagination %}`` draws (a model's or an app's
        ``pagination.html`` included)."""
        if not (self.keyset_pagination or self.result_count_is_estimated):
            return None
        count = (
            number_format(self.result_count, force_grouping=True)
            if self.result_count_is_estimated
            else self.result_count
        )
        if not self.keyset_pagination:
            return {**admin_pagination(self), "count": count, "keyset": False}
        show_all = self.can_show_all and not self.show_all and self.multi_page
        return {
            "cl": self,
            "count": count,
            "keyset": True,
            "pagination_required": False,
            "show_all_url": show_all and self.get_query_string({ALL_VAR: ""}),
            "links": [
                {"url": self.keyset_first_url, "rel": "first", "label": _("« First")},
                {"url": self.keyset_previous_url, "rel": "prev", "label": _("← Previous")},
                {"url": self.keyset_next_url, "rel": "next", "label": _("Next →")},
                {"url": self.keyset_last_url, "rel": "last", "label": _("Last »")},
            ],
        }


class PerformanceChangeList(PerformanceChangeListMixin, ChangeList):
    """Django's ``ChangeList`` with :class:`PerformanceChangeListMixin`."""
