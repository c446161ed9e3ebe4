"""Every answer a run stores, checked against what the run sent (:mod:`toolkit.ai.grounding`).

A per-record answer's text is checked against the record's payload and the facts sent
with it (:func:`ground_record_answer`); a digest against every record sent and the
selection's table (:func:`ground_digest_answer`). What the check found goes in
``insight.data["grounding"]`` and ``insight.grounded``.

Model flags are checked where they are made, in
:meth:`FlagAnomaliesAction.handle_answer <toolkit.ai.actions.FlagAnomaliesAction.handle_answer>`,
against the same values (:func:`payload_values`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from toolkit.ai.grounding import Grounding, SentValues, ground_text
from toolkit.ai.models import Insight
from toolkit.ai.sources import AISource, RecordPayload

__all__ = [
    "field_labels",
    "ground_digest_answer",
    "ground_record_answer",
    "payload_values",
    "record_values",
    "selection_values",
]


def field_labels(source: AISource) -> dict[str, str]:
    """The verbose name of each field sent (``"weight": "weight (kg)"``), which says
    what its numbers measure."""
    return dict(_labels(source.model, tuple(source.fields)))


@functools.lru_cache(maxsize=256)
def _labels(model: type[models.Model], paths: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    labels = []
    for path in paths:
        current: Any = model
        field: Any = None
        for part in path.split("."):
            try:
                field = current._meta.get_field(part)
            except (FieldDoesNotExist, AttributeError):
                field = None
                break
            current = field.related_model
        if field is not None and hasattr(field, "verbose_name"):
            labels.append((path, str(field.verbose_name)))
    return tuple(labels)


def vocabulary(source: AISource) -> list[str]:
    opts = source.model._meta
    return [str(opts.verbose_name), str(opts.verbose_name_plural)]


def payload_values(model: type[models.Model] | None, payload: RecordPayload) -> SentValues:
    """What was sent for one record of ``model``: its data, with the verbose name of each
    field, and the facts given with it. The run checks an answer's text against these
    values and :class:`~toolkit.ai.actions.FlagAnomaliesAction` its flags: one notion of
    what the model was shown. ``model`` ``None`` (an unsaved insight in a test): the
    fields go by their names alone."""
    if model is None:
        return SentValues.from_data(payload.data, extra={"facts": list(payload.facts)})
    return SentValues.from_data(
        payload.data,
        labels=dict(_labels(model, tuple(dict.fromkeys(_paths(payload.data))))),
        extra={"facts": list(payload.facts)},
        vocabulary=[str(model._meta.verbose_name), str(model._meta.verbose_name_plural)],
    )


def record_values(
    source: AISource, payload: RecordPayload, labels: dict[str, str] | None = None
) -> SentValues:
    """What was sent for one record of ``source`` (:func:`payload_values`); ``labels``
    replace the fields' verbose names."""
    if labels is None:
        return payload_values(source.model, payload)
    return SentValues.from_data(
        payload.data,
        labels=labels,
        extra={"facts": list(payload.facts)},
        vocabulary=vocabulary(source),
    )


def _paths(data: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """The field paths of a payload's data, related rows' fields as ``reviews.text``."""
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _paths(value, f"{path}.")
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, Mapping):
                    yield from _paths(item, f"{path}.")
        else:
            yield path


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
    """Check a per-record answer's text sentence by sentence.

    The text of a summary or an anomaly check becomes its kept sentences (repeats and a
    cut-off end dropped); a proposal's value is checked but never rewritten. (Its model
    flags were checked by the action that made them, before.)
    """
    if not isinstance(insight.data, dict):
        insight.data = {"answer": insight.data}
    grounding = ground_text(insight.text or "", sent, cut_off=cut_off)
    if not insight.review_status:
        insight.text = grounding.text
    store_grounding(insight, grounding)


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
