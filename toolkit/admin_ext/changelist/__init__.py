"""The changelist machinery: counting, paging, rows, totals and the page's template.

One module per concern:

=====================  ====================================================================
``performance``        :class:`PerformanceMixin`, the ModelAdmin side: options, hooks, its
                       changelist part (:class:`PerformancePart`)
``main``               its ChangeList mixin (:class:`PerformanceChangeListMixin`)
``parameters``         bad ``?p=``, ``?o=`` and disallowed lookups, answered with a message
``results``            the page's rows and their count, by page number or by cursor
``pagination``         :func:`count_rows`, :class:`EstimatedCountPaginator`: estimates
``keyset``             :class:`Keyset`: cursors and the pages they point at
``ordering``           an ordering as keyset terms (:func:`ordering_terms`)
``rows``               the rows' HTML, worked out once a column rather than once a cell
``row_urls``           each row's change URL at the cost of one ``reverse()``
``totals``             :class:`TotalsMixin`: the totals row under the list, its checks
``template``           the toolkit's changelist template on top of the admin's own
``in_page``            which requests answer bad input on the page rather than raise
``checks``             :class:`PerformanceChecks`: ``toolkit.E040``-``E042``
``advice``             ``toolkit.W040``, ``W041`` with ``manage.py check --deploy``
=====================  ====================================================================

The names users import are re-exported by :mod:`toolkit.admin_ext`; the others here are
for the toolkit's own modules.
"""

from __future__ import annotations

# Importing registers the deploy-time performance advice (toolkit.W040, W041).
from . import advice as advice
from .checks import PerformanceChecks
from .in_page import AnswerOnPage, log_disallowed_lookup, mark_changelist_page, on_changelist_page
from .keyset import CURSOR_VAR, InvalidCursor, Keyset, KeysetCursor, KeysetPage
from .main import PerformanceChangeList, PerformanceChangeListMixin
from .ordering import UnknownOrderingField, UnsupportedOrdering, ordering_terms
from .pagination import (
    EstimatedCountPaginator,
    RowCount,
    count_rows,
    estimate_rows,
    forget_estimates,
    table_rows,
)
from .performance import PerformanceMixin, PerformancePart, select_related_paths
from .row_urls import pk_url_builder
from .rows import result_list
from .template import TOOLKIT_CHANGE_LIST, use_toolkit_change_list
from .totals import ChangeListTotals, TotalsChecks, TotalsMixin, TotalsPart

__all__ = [
    "CURSOR_VAR",
    "TOOLKIT_CHANGE_LIST",
    "AnswerOnPage",
    "ChangeListTotals",
    "EstimatedCountPaginator",
    "InvalidCursor",
    "Keyset",
    "KeysetCursor",
    "KeysetPage",
    "PerformanceChangeList",
    "PerformanceChangeListMixin",
    "PerformanceChecks",
    "PerformanceMixin",
    "PerformancePart",
    "RowCount",
    "TotalsChecks",
    "TotalsMixin",
    "TotalsPart",
    "UnknownOrderingField",
    "UnsupportedOrdering",
    "count_rows",
    "estimate_rows",
    "forget_estimates",
    "log_disallowed_lookup",
    "mark_changelist_page",
    "on_changelist_page",
    "ordering_terms",
    "pk_url_builder",
    "result_list",
    "select_related_paths",
    "table_rows",
    "use_toolkit_change_list",
]
