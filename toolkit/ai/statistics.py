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

The numbers of a peer group are read once per run, whatever the number of batches
(a group of a million rows is read as one column; see :meth:`PeerStatistics.load`).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models

__all__ = ["GroupStats", "PeerStatistics", "robust_z"]

#: Iglewicz and Hoaglin's constant: makes the MAD comparable to a standard deviation.
CONSISTENCY = 0.6745
#: 1 / sqrt(2 / pi): makes the mean absolute deviation comparable to one.
MEAN_AD_FACTOR = 1.2533


@dataclass(frozen=True)
class GroupStats:
    median: float
    spread: float  # MAD / 0.6745, or 1.2533 * mean absolute deviation
    count: int


def describe(values: Sequence[float]) -> GroupStats | None:
    if not values:
        return None
    median = statistics.median(values)
    deviations = [abs(value - median) for value in values]
    mad = statistics.median(deviations)
    mean_ad = sum(deviations) / len(deviations)
    spread = mad / CONSISTENCY if mad > 0 else MEAN_AD_FACTOR * mean_ad
    return GroupStats(median=median, spread=spread, count=len(values))


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
    _cache: dict[Any, dict[str, GroupStats | None]] = field(default_factory=dict, repr=False)

    @property
    def group_lookup(self) -> str:
        return self.group.replace(".", "__")

    def load(self, groups: set[Any]) -> None:
        """Read the peer numbers of ``groups`` not read yet: one query for all of them."""
        missing = {group for group in groups if group not in self._cache}
        if not missing:
            return
        lookups = [name.replace(".", "__") for name in self.fields]
        columns: dict[Any, dict[str, list[float]]] = {
            group: {name: [] for name in self.fields} for group in missing
        }
        rows = (
            self.model._default_manager.filter(**{f"{self.group_lookup}__in": list(missing)})
            .order_by()
            .values_list(self.group_lookup, *lookups)
        )
        for group, *values in rows.iterator(chunk_size=10_000):
            for name, value in zip(self.fields, values, strict=True):
                if value is not None:
                    columns[group][name].append(float(value))
        for group in missing:
            self._cache[group] = {
                name: describe(values) if len(values) >= self.min_peers else None
                for name, values in columns[group].items()
            }

    def findings(self, pks: Sequence[Any]) -> dict[str, list[dict[str, Any]]]:
        """Flags of each record of ``pks`` (by ``str(pk)``): two queries per batch at most
        (the records' own numbers, then the peers of groups not seen before)."""
        if not self.fields or not pks:
            return {}
        lookups = [name.replace(".", "__") for name in self.fields]
        rows = list(
            self.model._default_manager.filter(pk__in=list(pks))
            .order_by()
            .values_list("pk", self.group_lookup, *lookups)
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
