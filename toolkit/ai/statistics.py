"""Peer statistics: how far a record's numbers sit from those of its peers.

For each numeric field of ``ai_peer_fields`` and each peer group (the records sharing
the value of ``ai_peer_group``, e.g. the category), the robust z-score of Iglewicz and
Hoaglin::

    z = 0.6745 * (x - median) / MAD        MAD = median(|x_i - median|)

A score beyond :attr:`PeerStatistics.threshold` (3.5, their recommendation) is a flag
with the value and the peer median as evidence. Medians resist the outliers they are
meant to find, unlike a mean and standard deviation. When more than half of the peers
share one value (MAD = 0), the mean absolute deviation (times 1.2533) stands in; when
that is 0 too, every peer is equal and nothing is flagged.

The numbers of a peer group are read once per run, whatever the number of batches, in
one query for all the groups a batch meets (see :meth:`PeerStatistics.load`):

- on PostgreSQL the database computes them: per group and field the count, the median
  (``percentile_cont(0.5) WITHIN GROUP (ORDER BY x)``), the MAD and the mean absolute
  deviation, in one query whose first common table expression is the ORM's query of the
  peers' numbers. Only one row per group comes back, however large the group
  (:meth:`PeerStatistics.describe_in_database`);
- on other databases (SQLite) the peers' numbers are read into Python, a group of a
  million rows as one column (:meth:`PeerStatistics.describe_in_python`).

Both give the same :class:`GroupStats` (to float rounding): NULLs are ignored, and a
group with fewer than ``min_peers`` numbers has none.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connections, models
from django.db.models import F

__all__ = ["GroupStats", "PeerStatistics", "robust_z"]

#: Iglewicz and Hoaglin's constant: makes the MAD comparable to a standard deviation.
CONSISTENCY = 0.6745
#: 1 / sqrt(2 / pi): makes the mean absolute deviation comparable to one.
MEAN_AD_FACTOR = 1.2533
#: Database vendors on which :meth:`PeerStatistics.load` computes medians in the
#: database (they have the ordered-set aggregate ``percentile_cont``).
DATABASE_VENDORS = frozenset({"postgresql"})


@dataclass(frozen=True)
class GroupStats:
    median: float
    spread: float  # MAD / 0.6745, or 1.2533 * mean absolute deviation
    count: int


#: The statistics of each group, field by field (``None``: too few peers).
Described = dict[Any, dict[str, GroupStats | None]]


def describe(values: Sequence[float]) -> GroupStats | None:
    if not values:
        return None
    median = statistics.median(values)
    deviations = [abs(value - median) for value in values]
    mad = statistics.median(deviations)
    mean_ad = sum(deviations) / len(deviations)
    return group_stats(len(values), median, mad, mean_ad)


def group_stats(count: int, median: float, mad: float, mean_ad: float) -> GroupStats:
    """The :class:`GroupStats` of ``count`` numbers with this median, MAD and mean
    absolute deviation (the fallback when the MAD is 0)."""
    spread = mad / CONSISTENCY if mad > 0 else MEAN_AD_FACTOR * mean_ad
    return GroupStats(median=median, spread=spread, count=count)


def robust_z(value: float, stats: GroupStats) -> float | None:
    """The robust z-score of ``value`` within its group (``None`` if all peers are equal)."""
    if stats.spread <= 0:
        return None
    return (value - stats.median) / stats.spread


@dataclass
class PeerStatistics:
    model: type[models.Model]
    group: str
    fields: list[str]
    #: |z| from which a value is flagged...
    threshold: float = 3.5
    #: ...and from which the flag is critical rather than a warning.
    critical_threshold: float = 7.0
    #: Groups with fewer records than this say nothing about their members.
    min_peers: int = 5
    _cache: Described = field(default_factory=dict, repr=False)

    @property
    def group_lookup(self) -> str:
        return self.group.replace(".", "__")

    def load(self, groups: set[Any]) -> None:
        """Describe the peers of ``groups`` not described yet: one query for all of them,
        computed in the database on PostgreSQL and in Python elsewhere."""
        missing = {group for group in groups if group not in self._cache}
        if not missing:
            return
        vendor = connections[self.model._default_manager.db].vendor
        if vendor in DATABASE_VENDORS and self.fields:
            self._cache.update(self.describe_in_database(missing))
        else:
            self._cache.update(self.describe_in_python(missing))

    def describe_in_python(self, groups: set[Any]) -> Described:
        """The statistics of ``groups``, from their numbers read into Python (one query,
        streamed: a group of a million rows is held as one list of floats per field)."""
        columns: dict[Any, dict[str, list[float]]] = {
            group: {name: [] for name in self.fields} for group in groups
        }
        rows = (
            self.model._default_manager.filter(**{f"{self.group_lookup}__in": list(groups)})
            .order_by()
            .values_list(self.group_lookup, *self._lookups)
        )
        for group, *values in rows.iterator(chunk_size=10_000):
            for name, value in zip(self.fields, values, strict=True):
                if value is not None:
                    columns[group][name].append(float(value))
        return {
            group: {
                name: describe(values) if len(values) >= self.min_peers else None
                for name, values in columns[group].items()
            }
            for group in groups
        }

    def describe_in_database(self, groups: set[Any]) -> Described:
        """The statistics of ``groups``, computed by the database in one query: one row
        per group comes back, however many records it holds (PostgreSQL, or any database
        with ``percentile_cont(...) WITHIN GROUP``).

        The peers' numbers are the ORM's query (so dotted paths join as usual), used as a
        common table expression with its parameters; every other name in the SQL is one
        of ours, and no value is ever written into it.
        """
        if not groups:
            return {}
        manager = self.model._default_manager
        using = manager.db
        connection = connections[using]
        quote = connection.ops.quote_name
        group_alias = "toolkit_peer_group"
        aliases = [f"toolkit_peer_{index}" for index in range(len(self.fields))]
        peers = (
            manager.using(using)
            .filter(**{f"{self.group_lookup}__in": list(groups)})
            .order_by()
            .values(
                **{group_alias: F(self.group_lookup)},
                **{alias: F(lookup) for alias, lookup in zip(aliases, self._lookups, strict=True)},
            )
        )
        compiler = peers.query.get_compiler(using=using)
        peers_sql, params = compiler.as_sql()
        # The group as values_list() would give it (findings() looks groups up by that).
        group_expression = next(col for col, _, alias in compiler.select if alias == group_alias)
        converters = compiler.get_converters([group_expression])

        group_column = quote(group_alias)
        medians = []
        spreads = []
        for index, alias in enumerate(aliases):
            value = f"CAST({quote(alias)} AS double precision)"
            deviation = f"ABS(CAST(p.{quote(alias)} AS double precision) - m.median_{index})"
            medians.append(
                f"COUNT({quote(alias)}) AS n_{index}, "
                f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {value}) AS median_{index}"
            )
            spreads.append(
                f"m.n_{index}, m.median_{index}, "
                f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {deviation}) AS mad_{index}, "
                f"AVG({deviation}) AS mean_ad_{index}"
            )
        by_median = ", ".join(f"m.n_{index}, m.median_{index}" for index in range(len(aliases)))
        # The MAD is the median of |x - median|: the medians come first (a second common
        # table expression), then the peers are joined back to them.
        sql = (
            f"WITH toolkit_peers AS ({peers_sql}), "
            f"toolkit_medians AS (SELECT {group_column} AS peer_group, {', '.join(medians)} "
            f"FROM toolkit_peers GROUP BY {group_column}) "
            f"SELECT m.peer_group, {', '.join(spreads)} "
            f"FROM toolkit_medians m JOIN toolkit_peers p ON p.{group_column} = m.peer_group "
            f"GROUP BY m.peer_group, {by_median}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        result: Described = {group: dict.fromkeys(self.fields) for group in groups}
        for key, *numbers in compiler.apply_converters(rows, converters):
            described: dict[str, GroupStats | None] = {}
            for index, name in enumerate(self.fields):
                count, median, mad, mean_ad = numbers[4 * index : 4 * index + 4]
                enough = count >= max(self.min_peers, 1)
                described[name] = group_stats(count, median, mad, mean_ad) if enough else None
            result[key] = described
        return result

    @property
    def _lookups(self) -> list[str]:
        return [name.replace(".", "__") for name in self.fields]

    def findings(self, pks: Sequence[Any]) -> dict[str, list[dict[str, Any]]]:
        """Flags of each record of ``pks`` (by ``str(pk)``): two queries per batch at most
        (the records' own numbers, then the peers of groups not seen before)."""
        if not self.fields or not pks:
            return {}
        rows = list(
            self.model._default_manager.filter(pk__in=list(pks))
            .order_by()
            .values_list("pk", self.group_lookup, *self._lookups)
        )
        self.load({row[1] for row in rows if row[1] is not None})
        result: dict[str, list[dict[str, Any]]] = {}
        for pk, group, *values in rows:
            if group is None:
                continue
            group_stats = self._cache.get(group) or {}
            for name, value in zip(self.fields, values, strict=True):
                stats = group_stats.get(name)
                if stats is None or value is None:
                    continue
                score = robust_z(float(value), stats)
                if score is None or abs(score) < self.threshold:
                    continue
                result.setdefault(str(pk), []).append(self.flag(name, value, stats, score))
        return result

    def flag(self, name: str, value: Any, stats: GroupStats, score: float) -> dict[str, Any]:
        direction = "above" if score > 0 else "below"
        median = _number(stats.median)
        shown = _number(value)
        group = self.group.replace("_", " ")
        return {
            "field": name,
            "severity": "critical" if abs(score) >= self.critical_threshold else "warning",
            "reason": (
                f"{name.replace('_', ' ')} {shown} is far {direction} the median {median} "
                f"of its {group} ({stats.count} records, robust z = {score:+.1f})."
            ),
            "source": "statistics",
            "value": shown,
            "median": median,
            "score": round(score, 2),
            "peers": stats.count,
        }


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return round(value, 4)
    return value
