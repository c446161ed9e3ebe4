"""The numbers of one peer group: their median and spread on the scale they call for,
and the robust z-score of a value among them (see :mod:`toolkit.ai.statistics`)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AUTO",
    "LINEAR",
    "LOG",
    "LOG_MIN_SHARE",
    "SCALES",
    "Described",
    "GroupStats",
    "Spread",
    "chosen_scale",
    "describe",
    "group_stats",
    "outlier_kind",
    "robust_z",
]

#: Iglewicz and Hoaglin's constant: makes the MAD comparable to a standard deviation.
CONSISTENCY = 0.6745
#: 1 / sqrt(2 / pi): makes the mean absolute deviation comparable to one.
MEAN_AD_FACTOR = 1.2533

#: The scales of a field: chosen per group from its numbers, plain, or logarithmic.
AUTO, LINEAR, LOG = "auto", "linear", "log"
SCALES = (AUTO, LINEAR, LOG)
#: With :data:`AUTO`, the share of a group's numbers that must be positive for the log
#: scale.
LOG_MIN_SHARE = 0.9


def outlier_kind(name: str) -> str:
    """The ``kind`` of the statistics flags of field ``name`` ("price_outlier")."""
    return f"{name.replace('.', '_')}_outlier"


@dataclass(frozen=True)
class GroupStats:
    """What a peer group's numbers of one field look like."""

    #: The median of the numbers, in their own unit (shown as evidence).
    median: float
    #: MAD / 0.6745, or 1.2533 * mean absolute deviation, on :attr:`scale`.
    spread: float
    #: How many numbers (NULLs left out).
    count: int
    scale: str = LINEAR
    #: The median on :attr:`scale` (``ln`` of the numbers' median for :data:`LOG`);
    #: ``None``: :attr:`median`.
    center: float | None = None
    #: The spreads below and above the center (never narrower than :attr:`spread`);
    #: ``None``: :attr:`spread`.
    lower: float | None = None
    upper: float | None = None

    def z(self, value: float) -> float | None:
        """The robust z-score of ``value`` (``None``: all peers equal, or a value the
        log scale cannot place)."""
        if self.spread <= 0:
            return None
        if self.scale == LOG:
            if value <= 0:
                return None
            value = math.log(value)
        center = self.median if self.center is None else self.center
        side = self.lower if value < center else self.upper
        return (value - center) / (side or self.spread)


#: The statistics of each group, field by field (``None``: too few peers).
Described = dict[Any, dict[str, GroupStats | None]]


@dataclass(frozen=True)
class Spread:
    """The center and spreads of numbers on one scale."""

    center: float
    mad: float
    mean_ad: float
    lower_mad: float
    upper_mad: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        center = statistics.median(values)
        deviations = [abs(value - center) for value in values]
        below = [center - value for value in values if value <= center]
        above = [value - center for value in values if value >= center]
        return cls(
            center=center,
            mad=statistics.median(deviations),
            mean_ad=sum(deviations) / len(deviations),
            lower_mad=statistics.median(below),
            upper_mad=statistics.median(above),
        )


def group_stats(
    count: int, median: float, scale: str, spread: Spread, min_peers: int = 1
) -> GroupStats | None:
    """The :class:`GroupStats` of ``count`` numbers with this median, described on
    ``scale`` by ``spread``; ``None`` for fewer than ``min_peers``."""
    if count < max(min_peers, 1):
        return None
    overall = spread.mad / CONSISTENCY if spread.mad > 0 else MEAN_AD_FACTOR * spread.mean_ad
    return GroupStats(
        median=median,
        spread=overall,
        count=count,
        scale=scale,
        center=spread.center,
        lower=max(overall, spread.lower_mad / CONSISTENCY),
        upper=max(overall, spread.upper_mad / CONSISTENCY),
    )


def chosen_scale(setting: str, count: int, positive: int, min_peers: int) -> str:
    """The scale of a group of ``count`` numbers, ``positive`` of them > 0."""
    if setting == LINEAR or positive < max(min_peers, 1):
        return LINEAR
    if setting == LOG or positive >= LOG_MIN_SHARE * count:
        return LOG
    return LINEAR


def describe(values: Sequence[float], scale: str = AUTO, min_peers: int = 1) -> GroupStats | None:
    """The :class:`GroupStats` of ``values`` on ``scale`` (:data:`AUTO`: the log scale
    when they are positive); ``None`` for fewer than ``min_peers``."""
    if not values or len(values) < max(min_peers, 1):
        return None
    median = statistics.median(values)
    logs = [math.log(value) for value in values if value > 0]
    chosen = chosen_scale(scale, len(values), len(logs), min_peers)
    spread = Spread.of(logs if chosen == LOG else values)
    return group_stats(len(values), median, chosen, spread, min_peers)


def robust_z(value: float, stats: GroupStats) -> float | None:
    """The robust z-score of ``value`` within its group (``None`` if all peers are equal
    or the value has no place on the group's scale)."""
    return stats.z(value)
