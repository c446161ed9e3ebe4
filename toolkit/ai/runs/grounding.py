"""Every answer a run stores, checked against what the run sent (:mod:`toolkit.ai.grounding`).

A per-record answer is checked against the record's payload and the facts sent with it
(:func:`ground_record_answer`); a digest against every record sent and the selection's
table (:func:`ground_digest_answer`). What the check found goes in
``insight.data["grounding"]`` and ``insight.grounded``; model flags that do not point at
the record leave ``insight.flags`` for ``insight.data["discarded_flags"]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist

from toolkit.ai.grounding import Grounding, SentValues, ground_flags, ground_text, is_model_flag
from toolkit.ai.models import Insight
from toolkit.ai.sources import AISource, RecordPayload

__all__ = [
    "field_labels",
    "ground_digest_answer",
    "ground_record_answer",
    "record_values",
    "selection_values",
]


def field_labels(source: AISource) -> dict[str, str]:
    """The verbose name of each field sent (``"weight": "weight (kg)"``), which says
    what its numbers measure."""
    labels: dict[str, str] = {}
    for path in source.fields:
        model: Any = source.model
        field: Any = None
        for part in path.split("."):
            try:
                field = model._meta.get_field(part)
            except (FieldDoesNotExist, AttributeError):
                field = None
                break
            model = field.related_model
        if field is not None and hasattr(field, "verbose_name"):
            labels[path] = str(field.verbose_name)
    return labels


def vocabulary(source: AISource) -> list[str]:
    opts = source.model._meta
    return [str(opts.verbose_name), str(opts.verbose_name_plural)]


def record_values(source: AISource, payload: RecordPayload, labels: dict[str, str]) -> SentValues:
    """What was sent for one record: its data, and the facts given with it."""
    return SentValues.from_data(
        payload.data,
        labels=labels,
        extra={"facts": list(payload.facts)},
        vocabulary=vocabulary(source),
    )


def selection_values(
    source: AISource,
    datas: Iterable[dict[str, Any]],
    table: dict[str, Any],
    labels: dict[str, str],
) -> SentValues:
    """What a digest was given: every record's data and the selection's table, whose
    statistics count as values of their field ("the average price is 120")."""
    sent = SentValues(labels=dict(labels))
    for data in datas:
        sent.add_data(data)
    sent.add("count", table.get("count"), is_field=False)
    for path, stats in (table.get("numbers") or {}).items():
        for value in stats.values():
            sent.add(path, _number(value), is_field=False)
    sent.add_data({"table": table}, is_field=False)
    sent.add_words(vocabulary(source))
    return sent


def _number(value: Any) -> Any:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return value


def store_grounding(insight: Insight, grounding: Grounding) -> None:
    insight.data = {**(insight.data or {}), "grounding": grounding.as_data()}
    insight.grounded = grounding.status


def ground_record_answer(insight: Insight, sent: SentValues, *, cut_off: bool = False) -> None:
    """Check a per-record answer: its text sentence by sentence, its model flags.

    The text of a summary or an anomaly check becomes its kept sentences (repeats and a
    cut-off end dropped); a proposal's value is checked but never rewritten.
    """
    if not isinstance(insight.data, dict):
        insight.data = {"answer": insight.data}
    grounding = ground_text(insight.text or "", sent, cut_off=cut_off)
    if not insight.review_status:
        insight.text = grounding.text
    store_grounding(insight, grounding)
    flags = list(insight.flags or [])
    if any(is_model_flag(flag) for flag in flags):
        kept, discarded = ground_flags(flags, sent)
        insight.set_flags(kept)
        if discarded:
            earlier = insight.data.get("discarded_flags") or []
            insight.data["discarded_flags"] = [*earlier, *discarded]


def ground_digest_answer(
    insight: Insight,
    sent: SentValues,
    *,
    summary: str,
    highlights: Sequence[str],
    cut_off: bool = False,
    max_sentences: int | None = None,
) -> None:
    """Check a digest's sentences and highlights against the selection's values; its
    text becomes the kept sentences then the kept highlights, none said twice."""
    seen: list[str] = []
    grounding = ground_text(summary, sent, cut_off=cut_off, max_sentences=max_sentences, seen=seen)
    kept_points = []
    for item in highlights:
        point = ground_text(str(item), sent, sentences_only=False, seen=seen)
        grounding.dropped += point.dropped
        for sentence in point.sentences:
            sentence.reasons = list(sentence.reasons)
            kept_points.append(sentence)
    all_sentences = Grounding(sentences=[*grounding.sentences, *kept_points])
    all_sentences.dropped = grounding.dropped
    insight.text = grounding.text + "".join(f"\n- {s.text}" for s in kept_points)
    insight.data = {
        **(insight.data or {}),
        "highlights": [s.text for s in kept_points],
    }
    store_grounding(insight, all_sentences)
    data = insight.data["grounding"]
    data["summary_sentences"] = len(grounding.sentences)
