"""A model's flags kept only when they point at the record: :func:`ground_flags`.

A model flag must name a field that was sent and cite that field's value, and every
number in its reason must be a value sent; otherwise it is discarded, with the reason
kept for the insight's provenance. Rule and statistics flags are facts computed from
the database and pass untouched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from toolkit.ai.grounding.check import ground_number
from toolkit.ai.grounding.text import normalize
from toolkit.ai.grounding.values import SentValues, numbers_in

__all__ = ["MODEL_SOURCE", "cites_value", "ground_flags", "is_model_flag"]

#: The ``source`` of a flag the model wrote (rules write "rule", statistics "statistics").
MODEL_SOURCE = "model"
#: Words in a row of a text value that, quoted in a reason, cite it.
CITED_WORDS = 3
_SLUG = re.compile(r"^[\w.-]+$")
_QUOTED = re.compile(r"[\"\u201c\u2018'`]([^\"\u201d\u2019'`]{2,})[\"\u201d\u2019'`]")
_EMPTY_WORDS = ("empty", "missing", "blank", "no value", "not set", "none", "null")


def is_model_flag(flag: Mapping[str, Any]) -> bool:
    return flag.get("source") == MODEL_SOURCE


def ground_flags(
    flags: list[dict[str, Any]],
    record_values: Mapping[str, Any] | SentValues,
    *,
    labels: Mapping[str, str] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split model ``flags`` into those kept and those discarded.

    ``record_values`` is what the run sent for the record (the payload's ``data``, or a
    :class:`SentValues` built from it). Each discarded flag is a copy with
    ``"discarded"``: the reason. Flags not written by the model are kept as they are.
    """
    sent = (
        record_values
        if isinstance(record_values, SentValues)
        else SentValues.from_data(record_values, labels=labels)
    )
    kept, discarded = [], []
    for flag in flags:
        reason = "" if not is_model_flag(flag) else why_not_grounded(flag, sent)
        if reason:
            discarded.append({**flag, "discarded": reason})
        else:
            kept.append(flag)
    return kept, discarded


def why_not_grounded(flag: Mapping[str, Any], sent: SentValues) -> str:
    """Why a model flag cannot stand, or "" when it can."""
    field = str(flag.get("field") or "").strip()
    text = str(flag.get("reason") or "").strip()
    path = _field_path(field, sent)
    if path is None:
        return f"names “{field}”, which is not a field of the record sent"
    if not text or (_SLUG.match(text) and not text.endswith(".")):
        return "gives no reason, only a label" if text else "gives no reason"
    for number in numbers_in(text):
        problem = ground_number(number, text, sent)
        if problem:
            return f"its reason {problem}"
    if not cites_value(flag, path, sent):
        return f"does not cite the value of {field}"
    return ""


def _field_path(field: str, sent: SentValues) -> str | None:
    if not field:
        return None
    if field in sent.fields:
        return field
    # A relation named as a whole ("reviews") stands for its rows' fields.
    prefix = f"{field}."
    return field if any(path.startswith(prefix) for path in sent.fields) else None


def cites_value(flag: Mapping[str, Any], path: str, sent: SentValues) -> bool:
    """Whether the flag quotes a value of ``path``: its ``value`` key, a number of the
    field, a quotation of it, a short value whole or a run of its words; an empty value
    is cited by saying it is empty."""
    values = sent.fields.get(path)
    if values is None:
        values = [v for p, vs in sent.fields.items() if p.startswith(f"{path}.") for v in vs]
    text = str(flag.get("reason") or "")
    if "value" in flag:
        return any(_same(flag["value"], value) for value in values)
    if all(value in (None, "", []) for value in values):
        return any(word in text.lower() for word in _EMPTY_WORDS)
    numbers = [n.value for n in numbers_in(text)]
    for value in values:
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, int | float | Decimal) or _is_number(value):
            if any(n == Decimal(str(value)) for n in numbers):
                return True
            continue
        if _text_cited(text, str(value)):
            return True
    return False


def _text_cited(reason: str, value: str) -> bool:
    said, held = normalize(reason), normalize(value)
    if not held:
        return False
    if len(held.split()) <= CITED_WORDS and f" {held} " in f" {said} ":
        return True
    for quoted in _QUOTED.findall(reason):
        if normalize(quoted) and normalize(quoted) in held:
            return True
    words = said.split()
    for start in range(len(words) - CITED_WORDS + 1):
        if " ".join(words[start : start + CITED_WORDS]) in held:
            return True
    return False


def _is_number(value: Any) -> bool:
    try:
        Decimal(str(value))
    except ArithmeticError:
        return False
    return True


def _same(cited: Any, value: Any) -> bool:
    if _is_number(cited) and _is_number(value):
        return Decimal(str(cited)) == Decimal(str(value))
    return normalize(str(cited)) == normalize(str(value))
