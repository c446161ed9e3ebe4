"""Counting a changelist without scanning a huge table.

:func:`count_rows` and :class:`EstimatedCountPaginator`, used by
:class:`~toolkit.admin_ext.PerformanceMixin`: on PostgreSQL, a table (or a filtered
queryset) the planner expects to hold at least ``TOOLKIT_ESTIMATED_COUNT_THRESHOLD`` rows
is not counted; the planner's estimate is shown instead ("about 1,000,000").
``pg_class.reltuples`` answers for a whole table, ``EXPLAIN`` for a filtered queryset,
both reused by the process for a few seconds; a table smaller than ``SMALL_TABLE_ROWS``
is simply counted. Below the threshold the count is exact, and it never reads more than
threshold + 1 rows. Other databases always count exactly.

Paging by cursor instead of by number is :mod:`.keyset`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections, models

from toolkit.conf import conf

__all__ = [
    "EstimatedCountPaginator",
    "RowCount",
    "count_rows",
    "estimate_rows",
    "forget_estimates",
    "round_estimate",
    "table_rows",
]


@dataclass(frozen=True)
class RowCount:
    """A number of rows, and whether it is the database's estimate or an exact count.

    ``aggregates``: the values of the aggregates :func:`count_rows` was asked for,
    computed in the counting query itself; ``None`` when the count is an estimate.
    """

    value: int
    estimated: bool = False
    aggregates: dict[str, Any] | None = None


@dataclass(frozen=True)
class _Estimate:
    rows: int
    #: The planner's cost of reading every matching row (None for ``pg_class``).
    cost: float | None = None
    #: The plan reads a whole table (no index narrows the filter down).
    scans_table: bool = False


def _scans_table(plan: dict[str, Any]) -> bool:
    if plan.get("Node Type") == "Seq Scan":
        return True
    return any(_scans_table(child) for child in plan.get("Plans", ()))


def round_estimate(value: float) -> int:
    """Two significant digits: an estimate shown to the row looks like a count."""
    value = max(int(value), 0)
    if value < 100:
        return value
    magnitude = 10 ** (len(str(value)) - 2)
    return int(round(value / magnitude) * magnitude)


def _is_whole_table(queryset: models.QuerySet[Any]) -> bool:
    query = queryset.query
    return not (
        query.where
        or query.distinct
        or query.group_by
        or query.combinator
        or query.is_sliced
        or query.extra
    )


def estimate_rows(queryset: models.QuerySet[Any]) -> int | None:
    """The PostgreSQL planner's estimate of ``queryset``'s row count; None elsewhere.

    A whole table is answered from ``pg_class`` (``reltuples`` scaled to the table's
    current size, as the planner itself does), anything filtered from ``EXPLAIN``.
    Both cost a fraction of a millisecond whatever the table's size.
    """
    estimate = _estimate(queryset)
    return None if estimate is None else estimate.rows


#: Seconds a table's size read from ``pg_class`` (or a planner's estimate of a filtered
#: list) is reused by this process. It only decides between counting and estimating
#: (and is itself an estimate), so a few seconds of staleness change nothing a person
#: can see, while every changelist request of a busy admin saves a query.
TABLE_SIZE_TTL = 10.0

# (database alias, database name, table) -> (monotonic time read, rows or None)
_table_sizes: dict[tuple[str, str, str], tuple[float, int | None]] = {}


def table_rows(model: type[models.Model], using: str = "default") -> int | None:
    """The number of rows PostgreSQL believes ``model``'s table holds, or None (another
    database, or a table never analysed). Cached per process for ``TABLE_SIZE_TTL``."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    table = model._meta.db_table
    key = (using, str(connection.settings_dict.get("NAME")), table)
    now = time.monotonic()
    cached = _table_sizes.get(key)
    if cached is not None and now - cached[0] < TABLE_SIZE_TTL:
        return cached[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN c.relpages > 0 THEN c.reltuples / c.relpages"
            " * (pg_relation_size(c.oid) / current_setting('block_size')::integer)"
            " ELSE c.reltuples END FROM pg_class c WHERE c.oid = to_regclass(%s)",
            [connection.ops.quote_name(table)],
        )
        row = cursor.fetchone()
    # reltuples is -1 until the table is first analyzed: unknown. The density times the
    # pages is a float (210 / 7 * 7 may be 209.99...): rounded, not truncated.
    rows = round(row[0]) if row is not None and row[0] is not None and row[0] >= 0 else None
    _table_sizes[key] = (now, rows)
    return rows


#: Plans kept by :func:`_estimate` (the search asks for the same estimate as the
#: paginator, and many people run the same filters).
PLAN_CACHE_SIZE = 256

# (database alias, SQL, parameters) -> (monotonic time planned, estimate)
_plans: dict[tuple[str, str, str], tuple[float, _Estimate]] = {}


def forget_estimates() -> None:
    """Drop the cached table sizes and plans (tests, or after a bulk load)."""
    _table_sizes.clear()
    _plans.clear()


def _estimate(queryset: models.QuerySet[Any]) -> _Estimate | None:
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    if _is_whole_table(queryset):
        rows = table_rows(queryset.model, queryset.db)
        if rows is not None:
            return _Estimate(rows=rows, cost=None)
        # Never analyzed: ask the planner instead.
    keys = queryset.order_by().values("pk")
    try:
        sql, params = keys.query.sql_with_params()
    except EmptyResultSet:
        # Django knows without asking that nothing matches (e.g. a number out of the
        # column's range): there is no query to plan.
        return _Estimate(rows=0, cost=0.0)
    key = (queryset.db, sql, repr(params))
    now = time.monotonic()
    cached = _plans.get(key)
    if cached is not None and now - cached[0] < TABLE_SIZE_TTL:
        return cached[1]
    top = json.loads(keys.explain(format="json"))[0]["Plan"]
    estimate = _Estimate(
        rows=int(top["Plan Rows"]), cost=float(top["Total Cost"]), scans_table=_scans_table(top)
    )
    if len(_plans) >= PLAN_CACHE_SIZE:
        _plans.clear()  # crude, and enough: entries only live for seconds anyway
    _plans[key] = (now, estimate)
    return estimate


#: A filter that no index narrows down (``name ILIKE '%usb%'``) is counted by reading the
#: whole table, however few rows match: above this planner cost (about a sequential
#: scan of 100,000 rows) such a filter is estimated even below the threshold.
MAX_EXACT_COUNT_COST = 10_000.0

#: A table of fewer rows than this (by :func:`table_rows`) is counted exactly whatever
#: the filter, without asking the planner first: even a full read of it takes a few
#: milliseconds, so an ``EXPLAIN`` would add a query to every page and save nothing.
SMALL_TABLE_ROWS = 20_000


def count_rows(
    queryset: models.QuerySet[Any],
    threshold: int | None = None,
    *,
    max_exact_cost: float = MAX_EXACT_COUNT_COST,
    aggregates: Mapping[str, models.Aggregate] | None = None,
) -> RowCount:
    """Count ``queryset`` exactly when that is cheap, else return the planner's estimate.

    ``threshold`` defaults to ``TOOLKIT_ESTIMATED_COUNT_THRESHOLD``; ``None`` (the
    setting or the argument) always counts exactly, as do databases other than
    PostgreSQL. Otherwise: an estimate of at least ``threshold`` rows is returned as
    is; below it the rows are counted, reading at most ``threshold + 1`` of them
    (if there turn out to be more, the estimate was low and the result says "at least
    the threshold"), unless the planner could only count them by scanning a big table
    (a sequential scan costing more than ``max_exact_cost``): that is estimated too.
    A table smaller than ``SMALL_TABLE_ROWS`` (and the threshold) is counted
    exactly without asking the planner at all.

    ``aggregates`` (``{alias: Sum("price"), ...}``) are computed by the query that
    counts exactly, and come back on the result: a totals row over the same rows then
    costs no second pass over them.
    """
    if threshold is None:
        threshold = conf.ESTIMATED_COUNT_THRESHOLD
    if threshold is None:
        return _exact(queryset, aggregates)
    table = table_rows(queryset.model, queryset.db)
    if table is not None and table < min(threshold, SMALL_TABLE_ROWS):
        return _exact(queryset, aggregates)
    estimate = _estimate(queryset)
    if estimate is None:
        return _exact(queryset, aggregates)
    if estimate.rows >= threshold:
        return RowCount(round_estimate(estimate.rows), estimated=True)
    if estimate.scans_table and estimate.cost is not None and estimate.cost > max_exact_cost:
        return RowCount(round_estimate(estimate.rows), estimated=True)
    bounded = _exact(queryset.order_by()[: threshold + 1], aggregates)
    if bounded.value <= threshold:
        return bounded
    return RowCount(round_estimate(max(estimate.rows, bounded.value)), estimated=True)


#: The count's alias in a query that also computes other aggregates.
_COUNT_ALIAS = "toolkit_row_count"


def _exact(queryset: models.QuerySet[Any], aggregates: Mapping[str, Any] | None) -> RowCount:
    """An exact count of ``queryset`` (sliced: of its first rows), with ``aggregates``
    computed by the same query."""
    if not aggregates:
        return RowCount(queryset.count())
    values = queryset.aggregate(**{_COUNT_ALIAS: models.Count("pk")}, **aggregates)
    return RowCount(values.pop(_COUNT_ALIAS), aggregates=values)


class EstimatedCountPaginator(Paginator):
    """A ``Paginator`` whose ``count`` is :func:`count_rows`: exact when cheap, else the
    database's estimate (then ``count_is_estimated`` is True and templates say "about")."""

    def __init__(
        self,
        object_list: Any,
        per_page: int | str,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
        *,
        threshold: int | None = None,
        aggregates: Mapping[str, models.Aggregate] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(object_list, per_page, orphans, allow_empty_first_page, **kwargs)
        self.threshold = threshold
        #: Computed with an exact count (see :func:`count_rows`), for :attr:`aggregates`.
        self.count_aggregates = dict(aggregates or {})

    @cached_property
    def _row_count(self) -> RowCount:
        if isinstance(self.object_list, models.QuerySet):
            return count_rows(self.object_list, self.threshold, aggregates=self.count_aggregates)
        return RowCount(len(self.object_list))

    @cached_property
    def count(self) -> int:
        return self._row_count.value

    @property
    def count_is_estimated(self) -> bool:
        return self._row_count.estimated

    @property
    def aggregates(self) -> dict[str, Any] | None:
        """``count_aggregates`` over every row of ``object_list``, when the count was
        exact (and so made by reading them all); else ``None``. Counts first if needed."""
        return self._row_count.aggregates if self.count_aggregates else None
