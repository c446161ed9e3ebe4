"""Changelists that cost the same on a thousand rows and on a million.

:class:`PerformanceMixin` is a ModelAdmin mixin that:

- issues a constant number of queries per page whatever its size: ``list_select_related``
  is derived from ``list_display`` (foreign keys and ``fk__field`` paths), and on Django
  6.1+ the page is fetched with ``FETCH_PEERS``, so a relation a ``__str__`` or a
  ``list_display`` method touches is loaded for the whole page in one query instead of
  one per row;
- with ``estimated_count``, shows PostgreSQL's estimate ("about 1,000,000 products")
  instead of running ``COUNT(*)`` on a big table (see :mod:`.pagination`;
  ``estimated_count_threshold`` per admin), and runs no extra query on a small one;
- with ``keyset_pagination``, pages by a signed cursor (previous / next / first / last)
  instead of ``OFFSET`` (:mod:`.keyset`): the last page of a million rows is as fast as
  the first, and the page's rows come with the keyset query itself;
- draws the rows once a column rather than once a cell (:mod:`.rows`), and their
  selection checkboxes without a template per row;
- answers hostile paging and ordering input (``?p=abc``, ``?p=99999999``, ``?o=99``) and
  lookups the admin does not allow (``?supplier__email__contains=x``) with an admin
  warning and the rest of the page, instead of Django's redirect to ``?e=1`` (which
  drops every other filter) or a 400 (:mod:`.parameters`);
- adds system checks ``toolkit.W040`` (a ``list_display`` relation that is not
  ``select_related``), ``toolkit.W041`` (filtering or ordering on a column without an
  index), both in :mod:`.advice` (``check --deploy``), and in :mod:`.checks`
  ``toolkit.E040`` (keyset pagination over an ordering it cannot use),
  ``toolkit.E041`` (a ``list_select_related_extra`` entry that is not a relation) and
  ``toolkit.E042`` (a bad ``estimated_count_threshold``).

Its ChangeList is :mod:`.main`'s; the rows it shows and their count are :mod:`.results`'.

Its changelist template only replaces the pagination block (see
``toolkit/admin_ext/pagination.html``); a site template of its own keeps working when
it includes that file in its ``pagination`` block.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import ModelAdmin
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.formats import number_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from toolkit.conf import conf

from ..base import ToolkitAdminMixin
from ..parts import ChangeListPart, ChangeListParts, DropUnusableParameters
from .checks import PerformanceChecks
from .in_page import AnswerOnPage
from .main import PerformanceChangeListMixin
from .pagination import EstimatedCountPaginator
from .template import use_toolkit_change_list

__all__ = ["PerformanceMixin", "PerformancePart", "select_related_paths"]


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


class PerformancePart(ChangeListPart):
    """:class:`PerformanceChangeListMixin` in front of the admin's ChangeList; on the
    page, its pagination and the "All about N selected" of an estimated count."""

    changelist_mixin = PerformanceChangeListMixin

    def update_page(self, response: TemplateResponse, context: dict[str, Any]) -> None:
        cl = context["cl"]
        if not isinstance(cl, PerformanceChangeListMixin):
            return  # a ChangeList of the admin's own get_changelist(), not composed
        if cl.result_count_is_estimated:
            context["selection_note_all"] = _("All about %(total_count)s selected") % {
                "total_count": number_format(cl.result_count, force_grouping=True)
            }
        context["toolkit_pagination"] = cl.toolkit_pagination
        use_toolkit_change_list(response)


class PerformanceMixin(ToolkitAdminMixin):
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

    changelist_parts: ClassVar[ChangeListParts] = (
        AnswerOnPage,
        DropUnusableParameters,
        PerformancePart,
    )
    mixin_checks_class: ClassVar[type | None] = PerformanceChecks

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

    #: Draw the changelist's rows with :mod:`.rows`: Django's markup,
    #: with each column worked out once a page rather than once a cell (half a page's
    #: CPU at 100 rows). Rows with a ``list_editable`` form are always Django's own.
    fast_result_rows: bool = True

    # --- hooks --------------------------------------------------------------------------

    def get_list_select_related_extra(self, request: HttpRequest) -> Sequence[str]:
        """The ``select_related()`` paths this request adds to those derived from
        ``list_display`` (``list_select_related_extra``); used only while
        ``list_select_related`` is left False."""
        return self.list_select_related_extra

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
        """Draw this request's rows with :mod:`.rows`? Turn it off for
        a ``list_display`` that relies on Django drawing each cell itself."""
        return self.fast_result_rows

    # --- ModelAdmin ---------------------------------------------------------------------

    def get_list_select_related(self, request: HttpRequest) -> Any:
        """``list_select_related`` as set, or else derived from ``list_display``.

        Derived: each foreign key shown, each relation of a ``fk__field`` path shown,
        then ``get_list_select_related_extra()``.
        """
        configured = super().get_list_select_related(request)
        if configured is not False:
            return configured
        paths = select_related_paths(self.model, self.get_list_display(request))
        for path in self.get_list_select_related_extra(request):
            if path not in paths:
                paths.append(path)
        return paths or False

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
