"""Counting and paging a changelist without scanning a huge table.

Two independent pieces, both used by :class:`toolkit.admin_ext.PerformanceMixin`:

- :func:`count_rows` and :class:`EstimatedCountPaginator`: on PostgreSQL, a table (or a
  filtered queryset) the planner expects to hold at least
  ``TOOLKIT_ESTIMATED_COUNT_THRESHOLD`` rows is not counted; the planner's estimate is
  shown instead ("about 1,000,000"). ``pg_class.reltuples`` answers for a whole table,
  ``EXPLAIN`` for a filtered queryset, both reused by the process for a few seconds;
  a table smaller than ``SMALL_TABLE_ROWS`` is simply counted. Below the threshold the
  count is exact, and it never reads more than threshold + 1 rows. Other databases
  always count exactly.
- :class:`Keyset`: pages that continue "after the last row shown" instead of skipping
  ``OFFSET`` rows, so the last page of a million rows costs what the first one costs.
  The position travels in the query string as a signed cursor holding the ordering
  values of a boundary row (the ordering always ends with the primary key, so
  positions are unique).
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import time
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from django.core import signing
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, FieldError, ValidationError
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import F, OrderBy, Q
from django.db.models.constants import LOOKUP_SEP
from django.db.models.expressions import BaseExpression
from django.utils.duration import duration_iso_string

from toolkit.conf import conf

__all__ = [
    "CURSOR_VAR",
    "EstimatedCountPaginator",
    "InvalidCursor",
    "Keyset",
    "KeysetCursor",
    "KeysetPage",
    "RowCount",
    "UnknownOrderingField",
    "UnsupportedOrdering",
    "count_rows",
    "estimate_rows",
    "forget_estimates",
    "table_rows",
]

#: Query-string parameter that carries the keyset cursor.
CURSOR_VAR = "cursor"

#: Longest cursor accepted; anything longer is garbage (or an attack) and is not decoded.
MAX_CURSOR_LENGTH = 2000

_SIGNING_SALT = "toolkit.admin_ext.keyset"


# --- counting ---------------------------------------------------------------------------


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


def _f_name(expression: F) -> str:
    return str(expression.name)  # type: ignore[attr-defined]


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


# --- keyset pagination ------------------------------------------------------------------


class UnsupportedOrdering(Exception):
    """The ordering cannot drive keyset pagination (random, or across a to-many join)."""


class UnknownOrderingField(UnsupportedOrdering):
    """The ordering names something that is not a field (an annotation, perhaps)."""


class InvalidCursor(Exception):
    """A cursor from the query string that is garbled, forged, or for another ordering."""


Direction = Literal["first", "next", "prev", "last"]

_DIRECTION_CODES: dict[str, Direction] = {"n": "next", "p": "prev", "l": "last"}


@dataclass(frozen=True)
class KeysetCursor:
    """Where a page starts: after (``next``) or before (``prev``) the row whose ordering
    values are ``values``; or the first or last page of the list."""

    direction: Direction = "first"
    values: tuple[Any, ...] = ()

    @property
    def backwards(self) -> bool:
        return self.direction in ("prev", "last")


@dataclass
class KeysetPage:
    """The primary keys of one page, in display order, and what lies around it;
    ``objects`` holds the page's model instances when :meth:`Keyset.page` fetched them."""

    pks: list[Any]
    first_values: tuple[Any, ...] | None
    last_values: tuple[Any, ...] | None
    has_previous: bool
    has_next: bool
    objects: list[Any] | None = None


@dataclass(frozen=True)
class _Term:
    expression: Any
    descending: bool
    #: Where NULL sorts in ascending order: True means after every value.
    nulls_high: bool
    nullable: bool
    label: str

    def order_by(self, backwards: bool) -> OrderBy:
        descending = self.descending != backwards
        if not self.nullable:
            return OrderBy(self.expression, descending=descending)
        if self.nulls_high != descending:
            return OrderBy(self.expression, descending=descending, nulls_last=True)
        return OrderBy(self.expression, descending=descending, nulls_first=True)


def _lookup(alias: str, lookup: str, value: Any) -> Q:
    return Q(**{f"{alias}__{lookup}": value})


def _beyond(term: _Term, alias: str, value: Any, backwards: bool, inclusive: bool) -> Q | None:
    """Rows that sort after ``value`` on this term (or at it, when ``inclusive``).

    None means no row can: nothing sorts after a NULL that sorts last.
    """
    greater = term.descending == backwards  # moving towards larger values
    nulls_ahead = term.nulls_high == greater  # NULLs lie in the direction of travel
    if value is None:
        if inclusive:
            return _lookup(alias, "isnull", True) if nulls_ahead else Q()
        return None if nulls_ahead else _lookup(alias, "isnull", False)
    op = ("gte" if inclusive else "gt") if greater else ("lte" if inclusive else "lt")
    condition = _lookup(alias, op, value)
    if term.nullable and nulls_ahead:
        condition |= _lookup(alias, "isnull", True)
    return condition


def _equal(alias: str, value: Any) -> Q:
    return _lookup(alias, "isnull", True) if value is None else _lookup(alias, "exact", value)


def _to_json(value: Any) -> Any:
    """A JSON value that ``Field.to_python`` turns back into ``value`` exactly.

    (``DjangoJSONEncoder`` would cut datetimes to milliseconds: a cursor must not.)
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    raise UnsupportedOrdering(f"cannot put a {type(value).__name__} into a cursor")


class Keyset:
    """Keyset pagination over one queryset's ordering.

    The ordering is taken from the queryset (``order_by()``, else the model's
    ``Meta.ordering``), with names of foreign keys expanded to the related model's
    ordering as Django's compiler does, and completed with the primary key. Raises
    :class:`UnsupportedOrdering` for a random ordering, ``extra()`` ordering, or an
    ordering across a many-valued relation (it would list a row more than once).
    """

    def __init__(self, queryset: models.QuerySet[Any]) -> None:
        query = queryset.query
        if query.extra_order_by:
            raise UnsupportedOrdering("extra() ordering")
        ordering: Sequence[Any] = query.order_by
        if not ordering and query.default_ordering:
            ordering = queryset.model._meta.ordering
        connection = connections[queryset.db]
        self.terms = ordering_terms(
            queryset.model,
            ordering,
            annotations=set(query.annotations),
            nulls_high=connection.features.nulls_order_largest,
        )
        self.aliases = [f"toolkit_keyset_{index}" for index in range(len(self.terms))]
        self.fingerprint = hashlib.sha256(
            "|".join(
                f"{term.label}:{term.descending:d}{term.nulls_high:d}" for term in self.terms
            ).encode()
        ).hexdigest()[:16]
        self._queryset = queryset
        self._signer = signing.Signer(salt=f"{_SIGNING_SALT}:{queryset.model._meta.label}")

    # ordering and filters

    def order_by(self, backwards: bool = False) -> list[OrderBy]:
        """The full ordering (primary key last), reversed when ``backwards``."""
        return [term.order_by(backwards) for term in self.terms]

    def annotations(self) -> dict[str, Any]:
        """The ordering terms by the names :meth:`beyond` filters on."""
        return {
            alias: term.expression for alias, term in zip(self.aliases, self.terms, strict=True)
        }

    def beyond(self, values: Sequence[Any], backwards: bool = False) -> Q:
        """Rows strictly after ``values`` (before them when ``backwards``).

        Written as ``t1 >= v1 AND (t1 > v1 OR (t1 = v1 AND t2 > v2) OR ...)``: the
        redundant first bound lets the database start an index scan at the cursor
        instead of filtering from the start of the index.
        """
        disjuncts: list[Q] = []
        prefix = Q()
        for term, alias, value in zip(self.terms, self.aliases, values, strict=True):
            step = _beyond(term, alias, value, backwards, inclusive=False)
            if step is not None:
                disjuncts.append(prefix & step)
            prefix &= _equal(alias, value)
        if not disjuncts:
            return Q(pk__in=[])
        condition = disjuncts[0]
        for disjunct in disjuncts[1:]:
            condition |= disjunct
        bound = _beyond(self.terms[0], self.aliases[0], values[0], backwards, inclusive=True)
        if bound is not None and bound != Q() and len(disjuncts) > 1:
            condition = bound & condition
        return condition

    def page(
        self,
        queryset: models.QuerySet[Any],
        cursor: KeysetCursor,
        size: int,
        *,
        objects: bool = False,
    ) -> KeysetPage:
        """Fetch the primary keys and boundary values of the page at ``cursor``.

        One query, reading ``size + 1`` rows: the extra row says whether there is more
        in the direction of travel. By default only the key and ordering columns are
        read; with ``objects`` the rows are fetched whole, as ``queryset`` fetches them
        (``select_related``, fetch mode), into :attr:`KeysetPage.objects`, so that
        showing the page needs no second query.
        """
        backwards = cursor.backwards
        window = queryset.annotate(**self.annotations()).order_by(*self.order_by(backwards))
        if cursor.direction in ("next", "prev"):
            window = window.filter(self.beyond(cursor.values, backwards))
        instances: list[Any] = []
        if objects:
            instances = list(window[: size + 1])
            rows = [
                (instance.pk, *(getattr(instance, alias) for alias in self.aliases))
                for instance in instances
            ]
        else:
            rows = list(window.values_list("pk", *self.aliases)[: size + 1])
        more = len(rows) > size
        rows, instances = rows[:size], instances[:size]
        if backwards:
            rows.reverse()
            instances.reverse()
        return KeysetPage(
            pks=[row[0] for row in rows],
            first_values=tuple(rows[0][1:]) if rows else None,
            last_values=tuple(rows[-1][1:]) if rows else None,
            has_previous=more if backwards else cursor.direction != "first",
            has_next=True if cursor.direction == "prev" else (more and not backwards),
            objects=instances if objects else None,
        )

    # cursors

    def encode(self, direction: Direction, values: Sequence[Any] = ()) -> str:
        """A signed, URL-safe cursor for ``direction`` from the row with ``values``."""
        code = next(code for code, name in _DIRECTION_CODES.items() if name == direction)
        payload = {"d": code, "k": self.fingerprint, "v": [_to_json(v) for v in values]}
        return self._signer.sign_object(payload, compress=True)

    def decode(self, token: str) -> KeysetCursor:
        """The cursor in ``token``; :class:`InvalidCursor` unless this keyset made it."""
        if not token or len(token) > MAX_CURSOR_LENGTH:
            raise InvalidCursor("empty or too long")
        try:
            payload = self._signer.unsign_object(token)
        except (signing.BadSignature, ValueError, TypeError, UnicodeError, zlib.error) as exc:
            raise InvalidCursor("bad signature") from exc
        if not isinstance(payload, dict) or payload.get("k") != self.fingerprint:
            raise InvalidCursor("made for another ordering")
        direction = _DIRECTION_CODES.get(payload.get("d"))  # type: ignore[arg-type]
        raw = payload.get("v")
        if direction is None or not isinstance(raw, list):
            raise InvalidCursor("malformed")
        if direction == "last":
            return KeysetCursor("last")
        if len(raw) != len(self.terms):
            raise InvalidCursor("wrong number of values")
        try:
            values = tuple(
                None if value is None else field.to_python(value)
                for field, value in zip(self._output_fields, raw, strict=True)
            )
        except (ValidationError, TypeError, ValueError) as exc:
            raise InvalidCursor("value of the wrong type") from exc
        return KeysetCursor(direction, values)

    @cached_property
    def _output_fields(self) -> list[models.Field[Any, Any]]:
        annotated = self._queryset.annotate(**self.annotations())
        try:
            return [annotated.query.annotations[alias].output_field for alias in self.aliases]
        except FieldError as exc:
            raise UnsupportedOrdering(str(exc)) from exc


def ordering_terms(
    model: type[models.Model],
    ordering: Sequence[Any],
    *,
    annotations: set[str] | frozenset[str] = frozenset(),
    nulls_high: bool = True,
) -> list[_Term]:
    """Turn an ``order_by()`` list into keyset terms ending with the primary key.

    ``nulls_high`` is the database's own placement of NULLs (``nulls_order_largest``),
    used where the ordering does not say. Terms after the primary key or a unique,
    non-null field of ``model`` are dropped: they can never break a tie.
    """
    terms: list[_Term] = []
    for item in ordering:
        for term in _expand(model, item, annotations, nulls_high, seen=frozenset()):
            terms.append(term)
            if _is_unique(model, term):
                return terms
    pk_descending = terms[-1].descending if terms else True
    terms.append(_Term(F("pk"), pk_descending, nulls_high, nullable=False, label="pk"))
    return terms


def _is_unique(model: type[models.Model], term: _Term) -> bool:
    if not isinstance(term.expression, F):
        return False
    name = _f_name(term.expression)
    if name == "pk":
        return True
    try:
        field: Any = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return bool(
        getattr(field, "concrete", False)
        and not field.is_relation
        and (field.primary_key or (field.unique and not field.null))
    )


def _expand(
    model: type[models.Model],
    item: Any,
    annotations: set[str] | frozenset[str],
    nulls_high: bool,
    seen: frozenset[tuple[type[models.Model], str]],
    prefix: str = "",
    descending: bool = False,
) -> list[_Term]:
    """One ordering item as terms; related names become the related model's ordering."""
    explicit_nulls: bool | None = None
    if isinstance(item, str):
        if item == "?":
            raise UnsupportedOrdering("random ordering")
        if item.startswith("-"):
            descending, item = not descending, item[1:]
        name = item
    elif isinstance(item, OrderBy):
        if item.nulls_first or item.nulls_last:
            # nulls_first on an ascending term puts NULL below every value.
            explicit_nulls = bool(item.nulls_last) != item.descending
        descending = descending != item.descending
        if not isinstance(item.expression, F):
            return [_expression_term(item.expression, descending, explicit_nulls, nulls_high)]
        name = _f_name(item.expression)
    elif isinstance(item, F):
        name = _f_name(item)
    elif isinstance(item, BaseExpression):
        return [_expression_term(item, descending, None, nulls_high)]
    else:
        raise UnsupportedOrdering(f"ordering by {item!r}")

    path = prefix + name
    if not prefix and name in annotations:
        return [_Term(F(name), descending, _nulls(explicit_nulls, nulls_high), True, path)]
    field, related_ordering, nullable = _resolve(model, path)
    if related_ordering is not None and field is not None:
        key = (field.model, field.name)
        if key in seen:
            raise UnsupportedOrdering(f"the ordering of {path} loops")
        terms: list[_Term] = []
        for sub in related_ordering:
            if isinstance(sub, BaseExpression) and not isinstance(sub, F | OrderBy):
                sub = sub.asc()
            if isinstance(sub, OrderBy) and not isinstance(sub.expression, F):
                sub = sub.prefix_references(f"{path}{LOOKUP_SEP}")
                terms.append(
                    _expression_term(sub.expression, descending != sub.descending, None, nulls_high)
                )
                continue
            terms.extend(
                _expand(
                    model,
                    sub,
                    annotations,
                    nulls_high,
                    seen | {key},
                    prefix=f"{path}{LOOKUP_SEP}",
                    descending=descending,
                )
            )
        return terms
    label = ("-" if descending else "") + path
    return [_Term(F(path), descending, _nulls(explicit_nulls, nulls_high), nullable, label)]


def _nulls(explicit: bool | None, default: bool) -> bool:
    return default if explicit is None else explicit


def _expression_term(
    expression: Any, descending: bool, explicit_nulls: bool | None, nulls_high: bool
) -> _Term:
    return _Term(
        expression,
        descending,
        _nulls(explicit_nulls, nulls_high),
        nullable=True,
        label=repr(expression),
    )


def _resolve(
    model: type[models.Model], path: str
) -> tuple[models.Field[Any, Any] | None, Sequence[Any] | None, bool]:
    """Walk ``path``: (last field, related ordering to expand or None, may be NULL).

    Mirrors ``SQLCompiler.find_ordering_name``: a path ending on a relation orders by
    the related model's ``Meta.ordering`` unless it names the column (``category_id``).
    """
    opts = model._meta
    field: Any = None
    nullable = False
    parts = path.split(LOOKUP_SEP)
    for index, part in enumerate(parts):
        try:
            field = opts.pk if part == "pk" else opts.get_field(part)
        except FieldDoesNotExist:
            if field is not None and not field.is_relation:
                return field, None, True  # a transform (name__lower): may be anything
            raise UnknownOrderingField(f"unknown field {path}") from None
        if field.many_to_many or field.one_to_many:
            raise UnsupportedOrdering(f"{path} crosses a to-many relation")
        if field.is_relation and not getattr(field, "concrete", True):
            nullable = True  # a reverse one-to-one may have no row
        nullable = nullable or bool(getattr(field, "null", False))
        last = index == len(parts) - 1
        if field.is_relation and field.related_model is not None:
            related_opts = field.related_model._meta
            if last:
                if (
                    related_opts.ordering
                    and part != getattr(field, "attname", None)
                    and part != "pk"
                ):
                    return field, related_opts.ordering, nullable
                return field, None, nullable
            opts = related_opts
        elif not last:
            # The rest is a transform of this field (created__year).
            return field, None, True
    return field, None, nullable
