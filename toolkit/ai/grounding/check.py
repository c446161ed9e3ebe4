"""Checking a model's sentences against what was sent: :func:`ground_text`.

A sentence is **verified** when every number in it is a value sent (to the precision
it is written with, thousands separators and percent signs aside), every quantity's
unit measures what the field it came from measures ("190 cubic meters" is not the cost
of 190), every number a field is named next to is that field's ("a price of 190" when
the price sent is 349 is not), and every capitalised name in it appears in what was
sent. Any other sentence is **unverified**, with the reasons. Repeated sentences and a
sentence cut off at the end are dropped, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolkit.ai.grounding.text import is_complete, near_duplicate, split_sentences
from toolkit.ai.grounding.values import WORD, Number, SentValues, numbers_in

__all__ = ["GroundedSentence", "Grounding", "ground_sentence", "ground_text"]

#: Words before a number searched for the field it is said of ("the price is 12").
FIELD_WINDOW = 4
#: Capitalised words that name nothing a record must hold.
COMMON_WORDS = frozenset(
    {
        "i",
        "i'm",
        "it's",
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "they",
        "their",
        "there",
        "staff",
        "please",
        "note",
        "however",
        "overall",
        "also",
        "although",
        "otherwise",
        "ok",
        "okay",
    }
)


@dataclass
class GroundedSentence:
    text: str
    verified: bool
    reasons: list[str] = field(default_factory=list)

    def as_data(self) -> dict[str, Any]:
        return {"text": self.text, "verified": self.verified, "reasons": self.reasons}


@dataclass
class Grounding:
    """The sentences of an answer, each verified or not, and those dropped."""

    sentences: list[GroundedSentence] = field(default_factory=list)
    #: Sentences left out, as ``{"text": ..., "reason": ...}``.
    dropped: list[dict[str, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The sentences kept, as one text."""
        return " ".join(sentence.text for sentence in self.sentences)

    @property
    def verified_text(self) -> str:
        return " ".join(s.text for s in self.sentences if s.verified)

    @property
    def status(self) -> str:
        """ "verified" (every sentence), "partly", "unverified" (none), "" (no text)."""
        if not self.sentences:
            return ""
        verified = sum(s.verified for s in self.sentences)
        if verified == len(self.sentences):
            return "verified"
        return "partly" if verified else "unverified"

    def as_data(self) -> dict[str, Any]:
        """What ``Insight.data["grounding"]`` stores."""
        return {
            "status": self.status,
            "sentences": [s.as_data() for s in self.sentences],
            "verified": sum(s.verified for s in self.sentences),
            "unverified": sum(not s.verified for s in self.sentences),
            "dropped": self.dropped,
        }


def ground_number(number: Number, sentence: str, sent: SentValues, *, previous_end: int = 0) -> str:
    """Why ``number`` (found in ``sentence``) is not grounded, or "". The field it is
    said of is looked for between ``previous_end`` (the number before) and it."""
    sources = sent.sources_of(number)
    if not sources:
        return f"{number.text} is in no value sent"
    if number.dimension and not any(number.dimension in dims for _, dims in sources):
        return f"{number.text} {number.unit}: no value sent of {number.value} is of that kind"
    if number.percent:
        return ""
    named = _field_before(sentence, number.start, sent, after=previous_end)
    if named is not None:
        values = sent.field_numbers(named)
        if values and not any(sent.matches(number, value) for value in values):
            label = sent.labels.get(named) or named
            shown = ", ".join(str(value) for value in values[:3])
            return f"says {label} is {number.text}; the {label} sent is {shown}"
    return ""


def _field_before(sentence: str, start: int, sent: SentValues, *, after: int = 0) -> str | None:
    """The field named among the few words before a number, the nearest first."""
    words = WORD.findall(sentence[after:start])[-FIELD_WINDOW:]
    for word in reversed(words):
        path = sent.field_named(word)
        if path is not None:
            return path
    return None


def ground_sentence(sentence: str, sent: SentValues) -> GroundedSentence:
    """``sentence`` checked against ``sent``: numbers, quantities, fields and names."""
    reasons = []
    previous_end = 0
    for number in numbers_in(sentence):
        reason = ground_number(number, sentence, sent, previous_end=previous_end)
        previous_end = number.end
        if reason:
            reasons.append(reason)
    for index, match in enumerate(WORD.finditer(sentence)):
        word = match.group()
        if index == 0 or not word[0].isupper() or len(word) < 3:
            continue
        if word.lower() in COMMON_WORDS or sent.knows_word(word):
            continue
        if sentence[: match.start()].rstrip().endswith((":", ";", "—", "(", '"', "“")):
            continue  # a new clause may start with a capital
        reasons.append(f"names “{word}”, which no value sent holds")
    return GroundedSentence(sentence, not reasons, reasons)


def ground_text(
    text: str,
    sent: SentValues,
    *,
    cut_off: bool = False,
    max_sentences: int | None = None,
    sentences_only: bool = True,
    seen: list[str] | None = None,
) -> Grounding:
    """``text`` sentence by sentence against ``sent``.

    Repeated sentences (the same words, or nearly) are dropped. The last sentence is
    dropped when it is unfinished (no terminal punctuation) or ``cut_off`` (the model
    stopped at its token budget), unless it is the only one, which is then kept
    unverified. ``max_sentences`` keeps the first that many. ``sentences_only=False``
    for list items (highlights), which need no full stop. ``seen``: sentences kept
    before (of the same answer), which ``text`` must not repeat; it is extended.
    """
    result = Grounding()
    sentences = split_sentences(text)
    if not sentences_only:
        sentences = [text.strip()] if text.strip() else []
    if sentences_only and sentences and (cut_off or not is_complete(sentences[-1])):
        last = sentences[-1]
        if len(sentences) > 1:
            sentences.pop()
            result.dropped.append({"text": last, "reason": "cut off mid-sentence"})
    kept: list[str] = seen if seen is not None else []
    for position, sentence in enumerate(sentences):
        repeated = near_duplicate(sentence, kept)
        if repeated is not None:
            result.dropped.append({"text": sentence, "reason": f"repeats “{repeated}”"})
            continue
        if max_sentences is not None and len(result.sentences) >= max_sentences:
            result.dropped.append({"text": sentence, "reason": "more sentences than asked"})
            continue
        kept.append(sentence)
        grounded = ground_sentence(sentence, sent)
        is_last = position == len(sentences) - 1
        if sentences_only and is_last and (cut_off or not is_complete(sentence)):
            grounded.verified = False
            grounded.reasons.append("cut off mid-sentence")
        result.sentences.append(grounded)
    return result
