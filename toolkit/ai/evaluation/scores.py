"""Scoring stored flags against labels: precision and recall, per kind and overall.

By kind (the default), a record labelled ``price_outlier`` is found when it has a flag of
that kind, and a flag is right when its record is labelled with its kind; the overall
figures count (record, kind) pairs. With ``any_kind``, any flag finds a labelled record,
and a flag is right when its record is labelled at all; the overall figures count
records. A figure with nothing to count (no label of a kind, no flag) is 1.0: nothing
was missed, nothing was wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from toolkit.ai.evaluation.labels import Labels
from toolkit.ai.statistics import outlier_kind

__all__ = ["Evaluation", "KindScore", "flag_kind", "score", "stored_kinds"]


def flag_kind(flag: Mapping[str, Any]) -> str:
    """The ``kind`` of a stored flag; flags stored before flags had one get the kind
    they would have now (the rule's name, ``<field>_outlier``, ``model``)."""
    kind = flag.get("kind")
    if kind:
        return str(kind)
    source = flag.get("source")
    if source == "statistics":
        return outlier_kind(str(flag.get("field", "")))
    if source == "rule" and flag.get("rule"):
        return str(flag["rule"])
    return str(source or "unknown")


def stored_kinds(labels: Labels, insight_kind: str = "anomalies") -> dict[str, set[str] | None]:
    """The kinds of the flags stored for each labelled record, by key: those of its
    newest insight of ``insight_kind``; ``None`` for a record without one."""
    from toolkit.ai.models import Insight

    records = labels.model._default_manager.filter(pk__in=[label.pk for label in labels.labels])
    newest = Insight.objects.latest_for(records, kind=insight_kind)
    result: dict[str, set[str] | None] = {}
    for label in labels.labels:
        insight = newest.get(label.pk)
        result[label.key] = (
            None if insight is None else {flag_kind(flag) for flag in insight.flags or []}
        )
    return result


@dataclass
class KindScore:
    """How one kind fared."""

    kind: str
    #: Records labelled with the kind, and those of them found.
    expected: int = 0
    found: int = 0
    #: Records flagged with the kind, and those of them rightly.
    flagged: int = 0
    correct: int = 0
    #: Keys of the labelled records not found, and of the records wrongly flagged.
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.flagged if self.flagged else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "expected": self.expected,
            "found": self.found,
            "recall": round(self.recall, 4),
            "flagged": self.flagged,
            "correct": self.correct,
            "precision": round(self.precision, 4),
            "missed": self.missed,
            "wrong": self.wrong,
        }


@dataclass
class Evaluation:
    """The scores of a set of labels."""

    any_kind: bool
    #: Records labelled, labelled with some kind, flagged, and without stored flags.
    records: int = 0
    anomalous: int = 0
    flagged: int = 0
    not_evaluated: list[str] = field(default_factory=list)
    #: What the overall figures count: hits, labels (pairs or records) and flags.
    hits: int = 0
    expected: int = 0
    raised: int = 0
    correct: int = 0
    kinds: list[KindScore] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.hits / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.raised if self.raised else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": "any kind" if self.any_kind else "by kind",
            "records": self.records,
            "anomalous": self.anomalous,
            "flagged": self.flagged,
            "not_evaluated": self.not_evaluated,
            "recall": round(self.recall, 4),
            "precision": round(self.precision, 4),
            "kinds": [kind.as_dict() for kind in self.kinds],
        }


def score(
    expected: Mapping[str, frozenset[str]],
    flagged: Mapping[str, set[str] | None],
    *,
    any_kind: bool = False,
) -> Evaluation:
    """Score ``flagged`` (the kinds of each record's stored flags, by key; ``None``: not
    evaluated, scored as not flagged) against ``expected`` (the labels, by key)."""
    evaluation = Evaluation(any_kind=any_kind, records=len(expected))
    kinds: dict[str, KindScore] = {}

    def of(kind: str) -> KindScore:
        return kinds.setdefault(kind, KindScore(kind))

    for key, wanted in expected.items():
        stored = flagged.get(key)
        if stored is None:
            evaluation.not_evaluated.append(key)
        got = stored or set()
        evaluation.anomalous += bool(wanted)
        evaluation.flagged += bool(got)
        for kind in sorted(wanted):
            entry = of(kind)
            entry.expected += 1
            if got if any_kind else kind in got:
                entry.found += 1
            else:
                entry.missed.append(key)
        for kind in sorted(got):
            entry = of(kind)
            entry.flagged += 1
            if wanted if any_kind else kind in wanted:
                entry.correct += 1
            else:
                entry.wrong.append(key)
        if any_kind:
            evaluation.expected += bool(wanted)
            evaluation.hits += bool(wanted and got)
            evaluation.raised += bool(got)
            evaluation.correct += bool(wanted and got)
        else:
            evaluation.expected += len(wanted)
            evaluation.hits += len(wanted & got)
            evaluation.raised += len(got)
            evaluation.correct += len(wanted & got)
    evaluation.kinds = [kinds[kind] for kind in sorted(kinds)]
    return evaluation
