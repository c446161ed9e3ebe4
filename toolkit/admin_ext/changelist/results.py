"""Which rows a changelist page shows, and how many there are.

:class:`PagedResultsMixin` answers the ChangeList's ``get_results()``: it counts through
the admin's paginator (so an :class:`~.pagination.EstimatedCountPaginator` may answer
"about N" instead of running ``COUNT(*)``), pages by number or, with keyset pagination,
by cursor (:mod:`.keyset`), and answers a page that does not exist with the nearest one
and a message instead of Django's redirect to ``?e=1``. The page's rows are fetched in
the admin's fetch mode (``FETCH_PEERS`` on Django 6.1).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.paginator import InvalidPage, Paginator
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _

from toolkit.compat import fetch_peers

from .in_page import on_changelist_page
from .keyset import CURSOR_VAR, InvalidCursor, Keyset, KeysetCursor
from .ordering import UnsupportedOrdering
from .pagination import EstimatedCountPaginator, RowCount, count_rows
from .parameters import rewrite_query, shorten

if TYPE_CHECKING:
    _ChangeListBase = ChangeList
else:
    _ChangeListBase = object

__all__ = ["PagedResultsMixin", "admin_hook"]

logger = logging.getLogger(__name__)


class PagedResultsMixin(_ChangeListBase):
    """The ``get_results()`` of :class:`~.main.PerformanceChangeListMixin`.

    Sets, besides Django's attributes: ``result_count_is_estimated``,
    ``full_result_count_is_estimated``, and with ``keyset_pagination`` the
    ``keyset_first_url`` / ``keyset_previous_url`` / ``keyset_next_url`` /
    ``keyset_last_url`` links.
    """

    result_count_is_estimated = False
    full_result_count_is_estimated = False
    keyset_pagination = False
    keyset_first_url: str | None = None
    keyset_previous_url: str | None = None
    keyset_next_url: str | None = None
    keyset_last_url: str | None = None

    def get_results(self, request: HttpRequest) -> None:
        if self.keyset_pagination:
            try:
                self._get_keyset_results(request)
                return
            except UnsupportedOrdering as exc:
                # E040 reports it for the default ordering; this one came from the
                # query string or a get_ordering() override.
                logger.info("%s: no keyset pagination for this ordering: %s", self, exc)
                self.keyset_pagination = False
        self._get_offset_results(request)

    def _get_offset_results(self, request: HttpRequest) -> None:
        paginator = self.model_admin.get_paginator(request, self.queryset, self.list_per_page)
        result_count = paginator.count
        can_show_all = result_count <= self.list_max_show_all
        multi_page = result_count > self.list_per_page
        if (self.show_all and can_show_all) or not multi_page:
            result_list = self.queryset.all()
            if self.page_num > 1 and not self.show_all and on_changelist_page(request):
                self._missing_page(request, shown=1)
        else:
            try:
                result_list = paginator.page(self.page_num).object_list
            except InvalidPage:
                shown = paginator.num_pages
                self._missing_page(request, shown)
                result_list = paginator.page(shown).object_list
        self._set_results(
            request,
            paginator,
            RowCount(result_count, getattr(paginator, "count_is_estimated", False)),
            result_list,
            can_show_all=can_show_all,
            multi_page=multi_page,
        )

    def _missing_page(self, request: HttpRequest, shown: int) -> None:
        if not on_changelist_page(request):
            raise IncorrectLookupParameters(f"There is no page {self.page_num}.")
        messages.warning(
            request,
            _("There is no page %(page)s; showing page %(shown)s.")
            % {"page": shorten(self.page_num), "shown": shown},
            fail_silently=True,
        )
        self.page_num = shown
        self._forget(request, [PAGE_VAR])

    def _get_keyset_results(self, request: HttpRequest) -> None:
        keyset = Keyset(self.queryset)
        # Pages have no numbers here: ?p= means nothing (and must not reach a paginator).
        self.page_num = 1
        paginator = self.model_admin.get_paginator(request, self.queryset, self.list_per_page)
        per_page = self.list_per_page
        if self.show_all:
            count = _paginator_count(paginator)
            if count.value <= self.list_max_show_all:
                self._set_results(
                    request,
                    paginator,
                    count,
                    self.queryset.all(),
                    can_show_all=True,
                    multi_page=count.value > per_page,
                )
                return

        # The page's rows are fetched whole by the keyset query itself (one query, not
        # one for the keys and another for the rows), in the fetch mode of the page.
        source = self.queryset
        if admin_hook(self.model_admin, "get_fetch_peers", request):
            source = fetch_peers(source)
        cursor = self._read_cursor(request, keyset)
        page = keyset.page(source, cursor, per_page, objects=True)
        if cursor.direction == "prev" and not page.has_previous and len(page.pks) < per_page:
            # Back at the start, with rows added or removed since: show the whole first page.
            page = keyset.page(source, KeysetCursor(), per_page, objects=True)
        elif cursor.direction == "next" and not page.pks:
            # Past the end (the rows after the cursor were deleted): show the last page.
            page = keyset.page(source, KeysetCursor("last"), per_page, objects=True)

        multi_page = page.has_previous or page.has_next
        # A list that fits on one page has just been counted by fetching it.
        count = _paginator_count(paginator) if multi_page else RowCount(len(page.pks))
        if page.has_previous and page.first_values is not None:
            self.keyset_first_url = self.get_query_string()
            self.keyset_previous_url = self.get_query_string(
                {CURSOR_VAR: keyset.encode("prev", page.first_values)}
            )
        if page.has_next and page.last_values is not None:
            self.keyset_next_url = self.get_query_string(
                {CURSOR_VAR: keyset.encode("next", page.last_values)}
            )
            self.keyset_last_url = self.get_query_string({CURSOR_VAR: keyset.encode("last")})
        result_list = self.queryset.filter(pk__in=page.pks).order_by(*keyset.order_by())
        self._set_results(
            request,
            paginator,
            count,
            result_list,
            can_show_all=count.value <= self.list_max_show_all,
            multi_page=multi_page,
        )
        # result_list stays a QuerySet of exactly these rows (list_editable's formset
        # and actions need one), already evaluated: iterating it runs no query.
        _prime(self.result_list, page.objects or [])

    def _read_cursor(self, request: HttpRequest, keyset: Keyset) -> KeysetCursor:
        token = request.GET.get(CURSOR_VAR)
        if not token:
            return KeysetCursor()
        try:
            return keyset.decode(token)
        except InvalidCursor:
            messages.warning(
                request,
                _(
                    "That page link is not valid (the list was sorted differently, or the "
                    "link was changed); showing the first page."
                ),
                fail_silently=True,
            )
            self._forget(request, [CURSOR_VAR])
            return KeysetCursor()

    def _set_results(
        self,
        request: HttpRequest,
        paginator: Paginator,
        count: RowCount,
        result_list: models.QuerySet[Any],
        *,
        can_show_all: bool,
        multi_page: bool,
    ) -> None:
        self.result_count = count.value
        self.result_count_is_estimated = count.estimated
        self.show_full_result_count = self.model_admin.show_full_result_count
        full: RowCount | None = None
        if self.show_full_result_count:
            if self._is_unfiltered():
                full = count  # the same rows: no second COUNT(*)
            elif isinstance(paginator, EstimatedCountPaginator):
                full = count_rows(self.root_queryset, paginator.threshold)
            else:
                full = RowCount(self.root_queryset.count())
        self.full_result_count = full.value if full is not None else None
        self.full_result_count_is_estimated = full is not None and full.estimated
        # Admin actions show when there is at least one row, or when rows are not counted.
        self.show_admin_actions = not self.show_full_result_count or bool(self.full_result_count)
        if admin_hook(self.model_admin, "get_fetch_peers", request):
            result_list = fetch_peers(result_list)
        self.result_list = result_list
        self.can_show_all = can_show_all
        self.multi_page = multi_page
        self.paginator = paginator

    def _is_unfiltered(self) -> bool:
        """Do the listed rows equal ``root_queryset``'s (no filter, no search)?"""
        # get_queryset() may return a Manager, which Django's ChangeList accepts.
        listed, root = self.queryset.all().query, self.root_queryset.all().query
        return bool(
            listed.where == root.where
            and listed.distinct == root.distinct
            and listed.combinator == root.combinator
            and not listed.is_sliced
        )

    def _forget(self, request: HttpRequest, names: Iterable[str]) -> None:
        """Leave ``names`` out of the links this page still has to build."""
        rewrite_query(request, set(names), {})
        for name in names:
            self.params.pop(name, None)
            self.filter_params.pop(name, None)
        self.preserved_filters = self.model_admin.get_preserved_filters(request)


def admin_hook(model_admin: Any, name: str, request: HttpRequest) -> bool:
    """``model_admin.<name>(request)``, or False for an admin without that hook."""
    hook = getattr(model_admin, name, None)
    return bool(hook(request)) if hook is not None else False


def _prime(queryset: models.QuerySet[Any], rows: list[Any]) -> None:
    """Make ``queryset`` evaluated, holding ``rows``, as Django's prefetching does for
    the querysets of related managers; its prefetch_related lookups still run on first
    use."""
    queryset._result_cache = list(rows)  # type: ignore[attr-defined,unused-ignore]
    queryset._prefetch_done = False  # type: ignore[attr-defined,unused-ignore]


def _paginator_count(paginator: Paginator) -> RowCount:
    return RowCount(paginator.count, getattr(paginator, "count_is_estimated", False))
