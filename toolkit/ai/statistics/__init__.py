"""Peer statistics: how far a record's numbers sit from those of its peers.

For each numeric field of ``ai_peer_fields`` and each peer group (the records sharing
the value of ``ai_peer_group``, e.g. the category), the robust z-score of Iglewicz and
Hoaglin::

    z = 0.6745 * (x - median) / MAD        MAD = median(|x_i - median|)

A score beyond :attr:`PeerStatistics.threshold` (3.5, their recommendation) is a flag
with the value, the peer median and the group size as evidence. Medians resist the
outliers they are meant to find, unlike a mean and standard deviation. When more than
half of the peers share one value (MAD = 0), the mean absolute deviation (times 1.2533)
stands in; when that is 0 too, every peer is equal and nothing is flagged.

**The scale, per group and field.** Prices, weights and volumes are positive and vary
by factors, not by amounts: a price 1/50th of its category's median is as wrong as one
50 times above, but on the plain scale it sits a few euros below the median, inside
the spread of a wide category, and no additive z-score can see it. So the scores of a
group are computed on ``ln(x)`` (:data:`LOG`) when its numbers are positive: at least
:data:`LOG_MIN_SHARE` of them, so that one zero (a rule's business) does not blind a
whole category; the few that are not positive get no score. Otherwise, or with
``scales={"field": "linear"}``, on the plain scale (:data:`LINEAR`).

**Skewed groups.** Weights spread evenly between 20 g and 1.5 kg are skewed on a log
scale: the light ones make a long tail that one MAD would call outliers. So each side
of the median has its own spread, the MAD of the values on that side when it is wider
than the MAD of all (the "double MAD"); it is never narrower, so a symmetric group
scores as before.

The numbers of a peer group are read once per run, whatever the number of batches, in
one query for all the groups a batch meets (see :meth:`PeerStatistics.load`):

- on PostgreSQL the database computes them: per group and field the counts, the
  medians (``percentile_cont(0.5) WITHIN GROUP (ORDER BY x)``) and the deviations of
  both scales, in one query whose first common table expression is the ORM's query of
  the peers' numbers. Only one row per group comes back, however large the group
  (:meth:`PeerStatistics.describe_in_database`);
- on other databases (SQLite) the peers' numbers are read into Python, a group of a
  million rows as one column (:meth:`PeerStatistics.describe_in_python`).

Both give the same :class:`GroupStats` (to float rounding): NULLs are ignored, and a
group with fewer than ``min_peers`` numbers has none.
"""

from __future__ import annotations

from toolkit.ai.statistics.groups import (
    AUTO,
    LINEAR,
    LOG,
    GroupStats,
    describe,
    outlier_kind,
    robust_z,
)
from toolkit.ai.statistics.peers import PeerStatistics

__all__ = [
    "AUTO",
    "LINEAR",
    "LOG",
    "GroupStats",
    "PeerStatistics",
    "describe",
    "outlier_kind",
    "robust_z",
]
