"""Changelists that cost the same on a thousand rows and on a million.

:class:`PerformanceMixin` is a ModelAdmin mixin that:

- issues a constant number of queries per page whatever its size: ``list_select_related``
  is derived from ``list_display`` (foreign keys and ``fk__field`` paths), and on Django
  6.1+ the page is fetched with ``FETCH_PEERS``, so a relation a ``__str__`` or a
  ``list_display`` method touches is loaded for the whole page in one query instead of
  one per row;
- with ``estimated_count``, shows PostgreSQL's estimate ("about 1,000,000 products")
  instead of running ``COUNT(*)`` on a big table (see :mod:`toolkit.admin_ext.pagination`;
  ``estimated_count_threshold`` per admin), and runs no extra query on a small one;
- with ``keyset_pagination``, pages by a signed cursor (previous / next / first / last)
  instead of ``OFFSET``: the last page of a million rows is as fast as the first, and
  the page's rows come with the keyset query itself;
- renders the rows' selection checkboxes without a template per row;
- answers hostile paging and ordering input (``?p=abc``, ``?p=99999999``, ``?o=99``) and
  lookups the admin does not allow (``?supplier__email__contains=x``) with an admin
  warning and the rest of the page, instead of Django's redirect to ``?e=1`` (which
  drops every other filter) or a 400;
- adds system checks ``toolkit.W040`` (a ``list_display`` relation that is not
  ``select_related``), ``toolkit.W041`` (filtering or ordering on a column without an
  index), ``toolkit.E040`` (keyset pagination over an ordering it cannot use),
  ``toolkit.E041`` (a ``list_select_related_extra`` entry that is not a relation) and
  ``toolkit.E042`` (a bad ``estimated_count_threshold``).

Its changelist template only replaces the pagination block (see
``toolkit/admin_ext/pagination.html``); a site template of its own keeps working when
it includes that file in its ``pagination`` block.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters, ModelAdmin
from django.contrib.admin.templatetags.admin_list import pagination as admin_pagination
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import (
    ALL_VAR,
    ERROR_FLAG,
    ORDER_VAR,
    PAGE_VAR,
    ChangeList,
)
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import InvalidPage, Paginator
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from toolkit.compat import fetch_peers
from toolkit.conf import conf
from toolkit.query_input import drop_unusable_parameters

from .changelist_template import use_toolkit_change_list
from .checks import performance_checks
from .in_page import log_disallowed_lookup, mark_changelist_page, on_changelist_page
from .pagination import (
    CURSOR_VAR,
    EstimatedCountPaginator,
    InvalidCursor,
    Keyset,
    KeysetCursor,
    RowCount,
    UnsupportedOrdering,
    count_rows,
)
from .urls import pk_url_builder

if TYPE_CHECKING:
    _ModelAdminBase = ModelAdmin[Any]
    _ChangeListBase = ChangeList
else:
    _ModelAdminBase = object
    _ChangeListBase = object

__all__ = [
    "PerformanceChangeList",
    "PerformanceChangeListMixin",
    "PerformanceMixin",
    "fetch_peers",
    "select_related_paths",
    "with_performance",
]

logger = logging.getLogger(__name__)

#: The changelist template PerformanceMixin uses when the admin names none: the
#: admin's usual one (``admin/<app>/<model>/change_list.html`` and so on) with the
#: toolkit's pagination.


def select_related_paths(model: type[models.Model], list_display: Iterable[Any]) -> list[str]:
    """The ``select_related()`` paths that ``list_display`` needs.

    A foreign key (``"category"``) gives itself; a path through foreign keys
    (``"category__parent__name"``) gives its relations (``"category__parent"``).
    Django's own derivation only covers the first kind. ``<fk>_id`` needs no join;
    methods and callables are opaque (see ``list_select_related_extra``).
    """
    paths: list[str] = []
    for item in list_display:
        if not isinstance(item, str):
            continue
        opts = model._meta
        relations: list[str] = []
        for part in item.split(LOOKUP_SEP):
            try:
                field = opts.get_field(part)
            except FieldDoesNotExist:
                break
            if not _select_related_can_follow(field) or part == getattr(field, "attname", None):
                break
            relations.append(part)
            opts = field.related_model._meta  # type: ignore[union-attr]
        path = LOOKUP_SEP.join(relations)
        if path and path not in paths:
            paths.append(path)
    return paths


def _select_related_can_follow(field: Any) -> bool:
    """Forward foreign keys and one-to-ones, and reverse one-to-ones."""
    return bool(field.is_relation and (field.many_to_one or field.one_to_one))


def _shorten(value: object, length: int = 60) -> str:
    """Query-string values are quoted back to the person; a hostile one can be huge."""
    return Truncator(str(value)).chars(length)


def _page_number(raw: str) -> int | None:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return None
    return number if number >= 1 else None


class PerformanceChangeListMixin(_ChangeListBase):
    """Mixed into the admin's ``ChangeList`` by :class:`PerformanceMixin`.

    Adds, for the template: ``result_count_is_estimated``,
    ``full_result_count_is_estimated``, ``keyset_pagination`` with the
    ``keyset_first_url`` / ``keyset_previous_url`` / ``keyset_next_url`` /
    ``keyset_last_url`` links, and ``toolkit_pagination`` (what
    ``toolkit/admin_ext/pagination.html`` renders).
    """

    result_count_is_estimated = False
    full_result_count_is_estimated = False
    keyset_pagination = False
    keyset_first_url: str | None = None
    keyset_previous_url: str | None = None
    keyset_next_url: str | None = None
    keyset_last_url: str | None = None
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
        self.keyset_pagination = _admin_hook(model_admin, "get_keyset_pagination", request)
        #: Draw the rows with toolkit.admin_ext.rows (read by {% toolkit_result_list %}).
        self.fast_result_rows = _admin_hook(model_admin, "get_fast_result_rows", request)
        if on_changelist_page(request):
            self._reject_bad_parameters(request)
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

    def _reject_bad_parameters(self, request: HttpRequest) -> None:
        """Warn about, and leave out, a bad page, sort or disallowed lookup.

        Runs before Django reads the query string: ``request.GET`` is replaced by a copy
        without the bad parameters, so that every link of the page (pagination, filters,
        the preserved filters of the change form) leaves them out too.
        """
        query = request.GET
        drop: set[str] = set()
        replace: dict[str, str] = {}
        notes: list[str] = []

        page = query.get(PAGE_VAR)
        if page is not None and not self.keyset_pagination and _page_number(page) is None:
            drop.add(PAGE_VAR)
            notes.append(
                _("There is no page “%(page)s”; showing the first page.") % {"page": _shorten(page)}
            )

        ordering = query.get(ORDER_VAR)
        if ordering:
            parts = ordering.split(".")
            bad = [part for part in parts if not self._is_sortable(part)]
            # A column sorted twice sorts by its first mention only: the rest mean
            # nothing, and hundreds of them make a query no database plans.
            seen: set[str] = set()
            good_parts = []
            for part in parts:
                column = part.lstrip("-")
                if part not in bad and column not in seen:
                    seen.add(column)
                    good_parts.append(part)
            if bad or len(good_parts) != len(parts):
                good = ".".join(good_parts)
                if good:
                    replace[ORDER_VAR] = good
                else:
                    drop.add(ORDER_VAR)
            if bad:
                notes.append(
                    ngettext(
                        "Ignored the sort “%(parts)s”: there is no such sortable column.",
                        "Ignored the sorts “%(parts)s”: there are no such sortable columns.",
                        len(bad),
                    )
                    % {"parts": _shorten(".".join(bad))}
                )

        lists = dict(query.lists())
        for name in (PAGE_VAR, ERROR_FLAG, CURSOR_VAR):
            lists.pop(name, None)
        lookups = self.get_filters_params(lists) if lists else {}
        for name, values in lookups.items():
            for value in values if isinstance(values, list) else [values]:
                if not self.model_admin.lookup_allowed(name, value, request):
                    log_disallowed_lookup(request, name)
                    drop.add(name)
                    notes.append(
                        _("Filtering by %(name)s is not allowed; it was ignored.")
                        % {"name": _shorten(name)}
                    )
                    break

        if drop or replace:
            _rewrite_query(request, drop, replace)
        for note in notes:
            messages.warning(request, note, fail_silently=True)

    def _is_sortable(self, part: str) -> bool:
        head, _sign, index = part.rpartition("-")
        if head or not (index.isascii() and index.isdigit()):
            return False
        position = int(index)
        if position >= len(self.list_display):
            return False
        try:
            return bool(self.get_ordering_field(self.list_display[position]))
        except (AttributeError, FieldDoesNotExist):
            return False

    def _forget(self, request: HttpRequest, names: Iterable[str]) -> None:
        """Leave ``names`` out of the links this page still has to build."""
        _rewrite_query(request, set(names), {})
        for name in names:
            self.params.pop(name, None)
            self.filter_params.pop(name, None)
        self.preserved_filters = self.model_admin.get_preserved_filters(request)

    # --- results ------------------------------------------------------------------------

    def url_for_result(self, result: Any) -> str:
        """Django's change URL of a row, reversed once per page (toolkit.admin_ext.urls)."""
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
            % {"page": _shorten(self.page_num), "shown": shown},
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
        if _admin_hook(self.model_admin, "get_fetch_peers", request):
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
        if _admin_hook(self.model_admin, "get_fetch_peers", request):
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

    # --- template -----------------------------------------------------------------------

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


_composed: dict[type[ChangeList], type[ChangeList]] = {}


def with_performance(changelist_class: type[ChangeList]) -> type[ChangeList]:
    """``changelist_class`` with :class:`PerformanceChangeListMixin` in front (made once).

    Composing instead of subclassing lets other mixins return their own ChangeList
    subclass from ``get_changelist``.
    """
    if issubclass(changelist_class, PerformanceChangeListMixin):
        return changelist_class
    # Named as the class it extends (Django's ChangeList included), so that its repr()
    # and the name a project's code or tests see stay what they were.
    if changelist_class not in _composed:
        _composed[changelist_class] = cast(
            type[ChangeList],
            type(
                changelist_class.__name__,
                (PerformanceChangeListMixin, changelist_class),
                {
                    "__module__": changelist_class.__module__,
                    "__qualname__": changelist_class.__qualname__,
                    "__doc__": changelist_class.__doc__,
                },
            ),
        )
    return _composed[changelist_class]


def _admin_hook(model_admin: Any, name: str, request: HttpRequest) -> bool:
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


def _rewrite_query(request: HttpRequest, drop: set[str], replace: dict[str, str]) -> None:
    query = request.GET.copy()
    for name in drop:
        query.pop(name, None)
    for name, value in replace.items():
        query[name] = value
    request.GET = QueryDict(query.urlencode(), encoding=request.GET.encoding)


class PerformanceMixin(_ModelAdminBase):
    """ModelAdmin mixin that keeps a changelist fast on a table of millions of rows.

    ::

        class ProductAdmin(PerformanceMixin, admin.ModelAdmin):
            list_display = ["sku", "name", "category", "supplier__country", "price"]
            # Category.__str__ shows its parent: on Django 5.2 name it here
            # (Django 6.1 fetches it for the whole page by itself).
            list_select_related_extra = ["category__parent"]
            keyset_pagination = True  # implies estimated_count
            show_full_result_count = False
    """

    #: ``select_related()`` paths added to those derived from ``list_display`` (used
    #: when ``list_select_related`` is left False): relations that a ``__str__`` or a
    #: ``list_display`` method follows, which the admin cannot see.
    list_select_related_extra: Sequence[str] = ()

    #: Page with a cursor (first / previous / next / last) instead of page numbers and
    #: ``OFFSET``: every page costs the same, the last of a million rows included.
    keyset_pagination: bool = False

    #: Show PostgreSQL's row estimate instead of counting, for lists of at least
    #: ``TOOLKIT_ESTIMATED_COUNT_THRESHOLD`` rows. ``None``: on with keyset pagination.
    estimated_count: bool | None = None

    #: Lists the planner expects to hold at least this many rows show its estimate
    #: instead of a count (and smaller ones are counted reading at most this many
    #: rows). ``None``: ``TOOLKIT_ESTIMATED_COUNT_THRESHOLD``. An exact count of a
    #: filtered list reads every matching row, so a big table serving many people at
    #: once wants a lower value than the site-wide one.
    estimated_count_threshold: int | None = None

    #: Load a relation first touched on one row for the whole page (Django 6.1+).
    fetch_peers: bool = True

    #: Draw the changelist's rows with :mod:`toolkit.admin_ext.rows`: Django's markup,
    #: with each column worked out once a page rather than once a cell (half a page's
    #: CPU at 100 rows). Rows with a ``list_editable`` form are always Django's own.
    fast_result_rows: bool = True

    # --- hooks --------------------------------------------------------------------------

    def get_keyset_pagination(self, request: HttpRequest) -> bool:
        """Page this request with a cursor? Override to decide per person or per list."""
        return self.keyset_pagination

    def get_estimated_count(self, request: HttpRequest) -> bool:
        """May this request show an estimated count? By default ``estimated_count``,
        falling back to ``get_keyset_pagination()``."""
        if self.estimated_count is None:
            return self.get_keyset_pagination(request)
        return self.estimated_count

    def get_estimated_count_threshold(self, request: HttpRequest) -> int | None:
        """Rows from which this request's list shows an estimate: by default
        ``estimated_count_threshold``, falling back to the setting. ``None`` always
        counts exactly."""
        if self.estimated_count_threshold is not None:
            return self.estimated_count_threshold
        return conf.ESTIMATED_COUNT_THRESHOLD

    def get_fetch_peers(self, request: HttpRequest) -> bool:
        """Fetch the page with ``FETCH_PEERS`` (ignored before Django 6.1)?"""
        return self.fetch_peers

    def get_count_aggregates(self, request: HttpRequest) -> dict[str, Any]:
        """Aggregates of the whole filtered list that the page will show, to compute in
        the query that counts it (when it is counted exactly rather than estimated):
        ``{alias: Sum("price")}``; the paginator's ``aggregates`` then holds their
        values. :class:`~toolkit.admin_ext.TotalsMixin` asks for its totals here, so a
        filtered page reads its matching rows once, not once to count and once to add
        up. Override (calling ``super()``) to add your own."""
        parent = getattr(super(), "get_count_aggregates", None)
        return dict(parent(request)) if parent is not None else {}

    def get_fast_result_rows(self, request: HttpRequest) -> bool:
        """Draw this request's rows with :mod:`toolkit.admin_ext.rows`? Turn it off for
        a ``list_display`` that relies on Django drawing each cell itself."""
        return self.fast_result_rows

    # --- ModelAdmin ---------------------------------------------------------------------

    def get_list_select_related(self, request: HttpRequest) -> Any:
        """``list_select_related`` as set, or else derived from ``list_display``.

        Derived: each foreign key shown, each relation of a ``fk__field`` path shown,
        then ``list_select_related_extra``.
        """
        configured = super().get_list_select_related(request)
        if configured is not False:
            return configured
        paths = select_related_paths(self.model, self.get_list_display(request))
        for path in self.list_select_related_extra:
            if path not in paths:
                paths.append(path)
        return paths or False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return with_performance(super().get_changelist(request, **kwargs))

    def action_checkbox(self, obj: Any) -> SafeString:
        """The row's selection checkbox: the same HTML as Django's, written directly.

        Django renders a ``CheckboxInput`` through the form template engine for every
        row, which was a fifth of the whole changelist's time; the markup is fixed, so
        it is formatted here, as ``format_html`` would (the translated sentence as it
        is, the object's text and key escaped).
        """
        label = _("Select this object for an action - {}").format(conditional_escape(str(obj)))
        return SafeString(
            f'<input type="checkbox" name="{ACTION_CHECKBOX_NAME}" '
            f'value="{conditional_escape(str(obj.pk))}" class="action-select" '
            f'aria-label="{label}">'
        )

    # Django's column attributes (header, description) stay as they are.
    action_checkbox.__dict__.update(vars(ModelAdmin.action_checkbox))

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: Any,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> Paginator:
        """An :class:`EstimatedCountPaginator` when ``get_estimated_count()`` says so,
        computing ``get_count_aggregates()`` with its exact count.

        Only for this admin's changelist, and only where the admin keeps Django's
        ``paginator``: a paginator of its own is honoured as Django honours it, and other
        pages that page through this hook (the object history's log entries) get
        Django's.
        """
        if (
            self.paginator is Paginator
            and getattr(queryset, "model", None) is self.model
            and self.get_estimated_count(request)
        ):
            return EstimatedCountPaginator(
                queryset,
                per_page,
                orphans,
                allow_empty_first_page,
                threshold=self.get_estimated_count_threshold(request),
                aggregates=self.get_count_aggregates(request),
            )
        return super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        mark_changelist_page(request)
        drop_unusable_parameters(request, self.model)
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if not isinstance(context, dict):
            return response
        cl = context.get("cl")
        if not isinstance(cl, PerformanceChangeListMixin):
            return response
        if cl.result_count_is_estimated:
            context["selection_note_all"] = _("All about %(total_count)s selected") % {
                "total_count": number_format(cl.result_count, force_grouping=True)
            }
        context["toolkit_pagination"] = cl.toolkit_pagination
        use_toolkit_change_list(response)
        return response

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(**kwargs), *performance_checks(self)]
