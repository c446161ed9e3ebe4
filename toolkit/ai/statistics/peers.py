"""`PeerStatistics`: each record's numbers against those of its peer group, described
once per run, by the database on PostgreSQL and in Python elsewhere (see
:mod:`toolkit.ai.statistics`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connections, models
from django.db.models import F

from toolkit.ai.statistics.groups import (
    AUTO,
    LOG,
    SCALES,
    Described,
    GroupStats,
    Spread,
    chosen_scale,
    describe,
    group_stats,
    outlier_kind,
)
from toolkit.exceptions import ToolkitConfigurationError

__all__ = ["DATABASE_VENDORS", "PeerStatistics"]

#: Database vendors on which :meth:`PeerStatistics.load` computes medians in the
#: database (they have the ordered-set aggregate ``percentile_cont``).
DATABASE_VENDORS = frozenset({"postgresql"})


@dataclass
class PeerStatistics:
    model: type[models.Model]
    group: str
    fields: list[str]
    #: ``|z|`` from which a value is flagged...
    threshold: float = 3.5
    #: ...and from which the flag is critical rather than a warning.
    critical_threshold: float = 7.0
    #: Groups with fewer records than this say nothing about their members.
    min_peers: int = 5
    #: The scale of each field (:data:`AUTO` for those not named).
    scales: Mapping[str, str] = field(default_factory=dict)
    _cache: Described = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for name, scale in self.scales.items():
            if scale not in SCALES:
                raise ToolkitConfigurationError(
                    f"Peer statistics of {name!r}: the scale must be one of "
                    f"{', '.join(SCALES)}, not {scale!r}."
                )

    @property
    def group_lookup(self) -> str:
        return self.group.replace(".", "__")

    def scale_of(self, name: str) -> str:
        return self.scales.get(name, AUTO)

    @property
    def kinds(self) -> list[str]:
        """The ``kind`` of the flags each field can get."""
        return [outlier_kind(name) for name in self.fields]

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
                name: describe(values, self.scale_of(name), self.min_peers)
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
        medians, spreads, carried = [], [], []
        for index, alias in enumerate(aliases):
            value = f"CAST({{p}}{quote(alias)} AS double precision)"
            # Each number on both scales: x, and ln(x) for the positive ones (NULL, which
            # every aggregate skips, for the others).
            scaled = {"": value, "log_": f"LN(CASE WHEN {value} > 0 THEN {value} END)"}
            medians.append(
                f"COUNT({quote(alias)}) AS n_{index}, "
                f"COUNT(CASE WHEN {value.format(p='')} > 0 THEN 1 END) AS positive_{index}"
            )
            carried.append(f"m.n_{index}, m.positive_{index}")
            for prefix, expression in scaled.items():
                x = expression.format(p="")
                px = expression.format(p="p.")
                median = f"m.{prefix}median_{index}"
                medians.append(
                    f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {x}) AS {prefix}median_{index}"
                )
                carried.append(median)
                spreads.append(
                    f"percentile_cont(0.5) WITHIN GROUP (ORDER BY ABS({px} - {median})), "
                    f"AVG(ABS({px} - {median})), "
                    f"percentile_cont(0.5) WITHIN GROUP "
                    f"(ORDER BY CASE WHEN {px} <= {median} THEN {median} - {px} END), "
                    f"percentile_cont(0.5) WITHIN GROUP "
                    f"(ORDER BY CASE WHEN {px} >= {median} THEN {px} - {median} END)"
                )
        # The deviations are from the medians: the medians come first (a second common
        # table expression), then the peers are joined back to them.
        sql = (
            f"WITH toolkit_peers AS ({peers_sql}), "
            f"toolkit_medians AS (SELECT {group_column} AS peer_group, {', '.join(medians)} "
            f"FROM toolkit_peers GROUP BY {group_column}) "
            f"SELECT m.peer_group, {', '.join(carried)}, {', '.join(spreads)} "
            f"FROM toolkit_medians m JOIN toolkit_peers p ON p.{group_column} = m.peer_group "
            f"GROUP BY m.peer_group, {', '.join(carried)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        result: Described = {group: dict.fromkeys(self.fields) for group in groups}
        width = len(self.fields)
        for key, *numbers in compiler.apply_converters(rows, converters):
            heads, tails = numbers[: 4 * width], numbers[4 * width :]
            described: dict[str, GroupStats | None] = {}
            for index, name in enumerate(self.fields):
                count, positive, median, log_median = heads[4 * index : 4 * index + 4]
                deviations = tails[8 * index : 8 * index + 8]
                scale = chosen_scale(self.scale_of(name), count, positive, self.min_peers)
                if scale == LOG:
                    spread = Spread(log_median, *deviations[4:])
                else:
                    spread = Spread(median, *deviations[:4])
                described[name] = (
                    group_stats(count, median, scale, spread, self.min_peers) if count else None
                )
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
                score = stats.z(float(value))
                if score is None or abs(score) < self.threshold:
                    continue
                result.setdefault(str(pk), []).append(self.flag(name, value, stats, score))
        return result

    def flag(self, name: str, value: Any, stats: GroupStats, score: float) -> dict[str, Any]:
        """The flag of ``value`` of field ``name``, ``score`` from its group's median."""
        direction = "above" if score > 0 else "below"
        median = _number(stats.median)
        shown = _number(value)
        group = self.group.replace("_", " ")
        if stats.scale == LOG and stats.median > 0:
            ratio = float(value) / stats.median
            times = ratio if ratio >= 1 else 1 / ratio
            how = f"{_times(times)} {'higher' if ratio >= 1 else 'lower'}; log scale"
        else:
            ratio, how = None, ""
        evidence = f"{stats.count} records, {how + ', ' if how else ''}robust z = {score:+.1f}"
        flag = {
            "kind": outlier_kind(name),
            "field": name,
            "severity": "critical" if abs(score) >= self.critical_threshold else "warning",
            "reason": (
                f"{name.replace('_', ' ')} {shown} is far {direction} the median {median} "
                f"of its {group} ({evidence})."
            ),
            "source": "statistics",
            "value": shown,
            "median": median,
            "score": round(score, 2),
            "peers": stats.count,
            "direction": direction,
            "scale": stats.scale,
        }
        if ratio is not None:
            flag["ratio"] = float(f"{ratio:.4g}")
        return flag


def _times(factor: float) -> str:
    return f"{factor:.0f}x" if factor >= 10 else f"{factor:.1f}x"


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return round(value, 4)
    return value
