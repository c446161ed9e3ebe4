"""Reading a question without a model: the words a search is made of, found by rules.

A small local model copies its examples whatever it is asked; most questions staff type
are plainer than that: a number after "under" or "over", a field's name beside it, a
choice or a name the database holds, "this month". :func:`read_question` finds those
in the question, for this admin's fields only, as the same conditions a model answers
(``{"field", "op", "value"}``), which :func:`~toolkit.ai.ask.answer.compose` then checks
like any other. What it could not place is returned as ``leftover`` words: when there
are none, the model is not asked at all (:func:`~toolkit.ai.ask.questions.ask_question`).

How a field is recognised: by its *cues*, its qualifier's name and the words of the
model field's verbose name, the admin's ``ask_synonyms`` and a few English words of
common catalog fields (:data:`~.vocabulary.CUES`: "priced", "cheaper" for a price; "added" for a
creation date; "rated", "stars" for a rating). A number takes the operator written just
before it ("over", "less than", "at least", "between … and …", "or more") and the field
whose cue is nearest: before the operator, or else right after the number ("more than
100 in stock"), or else, when an operator says it is a comparison ("under 50"), the
admin's first price-like number field; a bare number with no cue is left alone. Names
of related rows (categories, suppliers, tags) are matched whole, longest first, against
the names the database holds (at most :data:`~.vocabulary.MAX_NAMES` per field); a field's cue
followed by one word ("supplier acme") is tried as a name too, and grounded later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .cues import field_cues, fields_of, first_cue, near_cue
from .fields import CHOICE, DATE, NAME, NUMBER, TEXT, YESNO, AskField, AskSchema
from .vocabulary import (
    DETACHED,
    FILLER,
    MAX_NAMES,
    NO_AFTER,
    OPERATORS,
    PHRASES,
)
from .written_dates import read_dates

__all__ = ["Reading", "read_question"]

_NUMBER = r"(\d{1,3}(?:,\d{3})+|\d+(?:[.,]\d+)?)"


@dataclass
class Reading:
    """What :func:`read_question` found: conditions and the words it could not place."""

    conditions: list[dict[str, str]] = field(default_factory=list)
    leftover: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every word was placed in a condition (or carries none)."""
        return bool(self.conditions) and not self.leftover


def read_question(
    schema: AskSchema, question: str, synonyms: dict[str, Any] | None = None
) -> Reading:
    """The conditions ``question`` states on ``schema``'s fields, and its leftover words."""
    folded = re.sub(r"[€$]\s*(\d[\d.,]*)", r"\1 euros", question.casefold())
    folded = folded.replace("€", " euros ")
    folded = re.sub(r"(\d)-(?=[^\W\d])", r"\1 ", folded)  # "5-star" is "5 star"
    text = " " + " ".join(folded.split()) + " "
    used = [False] * len(text)
    cues = field_cues(schema, synonyms or {})
    reading = Reading()

    def take(start: int, end: int) -> None:
        for i in range(start, end):
            used[i] = True

    read_dates(fields_of(schema, DATE), text, cues, reading, take, used)
    _read_numbers(schema, text, cues, reading, take, used)
    _read_phrases(schema, text, reading, take, used)
    _read_names(schema, text, cues, reading, take, used)
    _read_choices(schema, text, cues, reading, take, used)
    _drop_contradictions(schema, reading)
    # The cues of the fields a condition was found for say nothing more.
    found = {condition["field"] for condition in reading.conditions}
    for name in found:
        for cue in cues.get(name, ()):
            for match in re.finditer(rf"(?<!\w){re.escape(cue)}(?!\w)", text):
                take(match.start(), match.end())
    reading.leftover = [*reading.leftover, *_leftover(text, used, schema)]
    return reading


def _read_numbers(schema, text, cues, reading, take, used) -> None:  # type: ignore[no-untyped-def]
    numbers = [f.name for f in fields_of(schema, NUMBER)]
    if not numbers:
        return
    default = next((n for n in numbers if "price" in n), None)
    words = sorted((word for word, _op in OPERATORS), key=len, reverse=True)
    operators = "|".join(re.escape(word) for word in words)
    end_of_number = r"(?!\w|[.,]\d|-\w)"
    between = re.compile(
        rf"(?<!\w)(?:between|from) {_NUMBER}(?: euros?)? (?:and|to|-) {_NUMBER}{end_of_number}"
    )
    single = re.compile(
        rf"(?:(?<!\w)({operators}) ?)?(?<![\w.,]){_NUMBER}(?:\s?(?:euros?|dollars?|\$))?"
        rf"(?:(?: [^\W\d]+)? (or more|or less|or fewer|and (?:more|above|up)|and (?:less|below)))?"
        rf"{end_of_number}"
    )
    spans: list[tuple[int, int, list[tuple[str, str]], int]] = []
    for match in between.finditer(text):
        if not any(used[match.start() : match.end()]):
            comparisons = [(">=", match[1]), ("<=", match[2])]
            spans.append((match.start(), match.end(), comparisons, match.end(2)))
    for match in single.finditer(text):
        if any(used[match.start(1) if match[1] else match.start(2) : match.end()]):
            continue
        if any(s <= match.start(2) < e for s, e, _c, _n in spans):
            continue
        operator = dict(OPERATORS).get(match[1] or "", "=")
        if match[3]:
            operator = ">=" if any(w in match[3] for w in ("more", "above", "up")) else "<="
        if not match[1] and not match[3]:
            # "a maximum price of 12": the operator word stands before the field's name.
            detached = DETACHED.search(text[max(0, match.start() - 40) : match.start()])
            if detached:
                operator = dict(OPERATORS).get(detached[1], "<=" if "ma" in detached[1] else ">=")
        spans.append((match.start(), match.end(), [(operator, match[2])], match.end(2)))
    spans.sort()
    for index, (start, end, comparisons, number_end) in enumerate(spans):
        before = spans[index - 1][1] if index else 0
        after = spans[index + 1][0] if index + 1 < len(spans) else len(text)
        # The cue before the operator (stopping at the number before), or right after
        # the number ("100 in stock", "5 star"), or the price-like field.
        name = near_cue(text, cues, numbers, max(before, start - 40), end - len(comparisons[-1][1]))
        name = name or first_cue(text, cues, numbers, number_end, min(after, end + 25))
        if name is None and comparisons[0][0] != "=":
            name = default  # "under 50": a bare number is no price, "under" makes it one
        if name is None:
            continue
        for operator, value in comparisons:
            value = _plain_number(value)
            reading.conditions.append({"field": name, "op": operator, "value": value})
        take(start, end)


def _plain_number(value: str) -> str:
    """ "1,000" is a thousand, "2,5" two and a half."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", value):
        return value.replace(",", "")
    return value.replace(",", ".")


def _read_phrases(schema, text, reading, take, used) -> None:  # type: ignore[no-untyped-def]
    """ "out of stock", "in stock": a number field's condition without a number, for a
    field no number has set."""
    found = {condition["field"] for condition in reading.conditions}
    for ask_field in fields_of(schema, NUMBER):
        if ask_field.name in found:
            continue
        for phrase, operator, value in PHRASES.get(ask_field.name, ()):
            match = re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text)
            if match and not any(used[match.start() : match.end()]):
                reading.conditions.append({"field": ask_field.name, "op": operator, "value": value})
                take(match.start(), match.end())
                break


def _read_names(schema, text, cues, reading, take, used) -> None:  # type: ignore[no-untyped-def]
    fields = fields_of(schema, NAME)
    candidates: list[tuple[str, AskField]] = []
    spelled: dict[str, str] = {}
    for ask_field in fields:
        model, column = ask_field.related_model, ask_field.related_field
        if model is None or not column:
            continue
        names = list(model._default_manager.values_list(column, flat=True)[: MAX_NAMES + 1])
        if len(names) > MAX_NAMES:
            continue
        for name in names:
            if name and len(str(name)) > 1:
                candidates.append((str(name).casefold(), ask_field))
                spelled.setdefault(str(name).casefold(), str(name))
                if ask_field.path.endswith("icontains"):
                    # "Redwood Components" for "Redwood Components AB": its leading words,
                    # two or more, as a qualifier that contains them finds it.
                    words = str(name).split()
                    for size in range(len(words) - 1, 1, -1):
                        prefix = " ".join(words[:size]).rstrip(",.")
                        candidates.append((prefix.casefold(), ask_field))
                        spelled.setdefault(prefix.casefold(), prefix)
    candidates.sort(key=lambda pair: len(pair[0]), reverse=True)
    taken: set[str] = set()
    for name, ask_field in candidates:
        for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            if any(used[match.start() : match.end()]):
                continue
            # A name two fields hold goes to the one whose cue is just before it.
            holders = [f for n, f in candidates if n == name]
            chosen = ask_field
            if len(holders) > 1:
                cued = near_cue(
                    text, cues, [f.name for f in holders], max(0, match.start() - 20), match.start()
                )
                chosen = next((f for f in holders if f.name == cued), holders[0])
            key = f"{chosen.name}={name}"
            if key not in taken:
                taken.add(key)
                value = spelled.get(name, name)
                reading.conditions.append({"field": chosen.name, "op": "=", "value": value})
            take(match.start(), match.end())
    # "supplier acme", "sku off-ink-1": a field's own name (not a preposition) then one
    # word, grounded (a name) or checked (a text) later.
    for ask_field in [*fields, *fields_of(schema, TEXT)]:
        if any(c["field"] == ask_field.name for c in reading.conditions):
            continue
        own = {ask_field.name.casefold(), *(c for c in cues[ask_field.name] if " " not in c)}
        own -= {"from", "by", "new"}
        for cue in own:
            for match in re.finditer(rf"(?<!\w){re.escape(cue)} ([^\W\d_][\w&.'-]+)", text):
                word = match[1]
                if word in FILLER or any(used[match.start(1) : match.end(1)]):
                    continue
                reading.conditions.append({"field": ask_field.name, "op": "=", "value": word})
                take(match.start(), match.end())
                break


def _read_choices(schema, text, cues, reading, take, used) -> None:  # type: ignore[no-untyped-def]
    yesno = fields_of(schema, YESNO)
    choices = fields_of(schema, CHOICE)
    for ask_field in choices:
        for value, label in zip(ask_field.values, ask_field.labels, strict=False):
            for word in {value.casefold(), label.casefold()}:
                match = re.search(rf"(?<!\w){re.escape(word)}(?:s|es)?(?!\w)", text)
                if not match or any(used[match.start() : match.end()]):
                    continue
                # "active" is a yes/no field's name too: the choice only after its cue
                # ("status active").
                if any(word in cues[f.name] for f in yesno):
                    cued = near_cue(
                        text, cues, [ask_field.name], max(0, match.start() - 15), match.start()
                    )
                    if cued is None:
                        continue
                reading.conditions.append({"field": ask_field.name, "op": "=", "value": value})
                take(match.start(), match.end())
                break
    for ask_field in yesno:
        for cue in cues[ask_field.name]:
            pattern = rf"(?<!\w)(not |non |non-|no longer |in|un)?{re.escape(cue)}(?!\w)"
            match = re.search(pattern, text)
            if not match or any(used[match.start() : match.end()]):
                continue
            value = "no" if match[1] or NO_AFTER.match(text[match.end() :]) else "yes"
            reading.conditions.append({"field": ask_field.name, "op": "=", "value": value})
            take(match.start(), match.end())
            break


def _drop_contradictions(schema: AskSchema, reading: Reading) -> None:
    """Two values of one choice or yes/no field ("status draft or discontinued") cannot
    both hold, and the search box ANDs its terms: both are left to "not understood"
    rather than searched for nothing."""
    for ask_field in schema.fields:
        if ask_field.kind not in (CHOICE, YESNO):
            continue
        mine = [c for c in reading.conditions if c["field"] == ask_field.name]
        if len({c["value"] for c in mine}) > 1:
            reading.conditions = [c for c in reading.conditions if c not in mine]
            reading.leftover.append(" or ".join(f"{ask_field.name} {c['value']}" for c in mine))


def _leftover(text: str, used: list[bool], schema: AskSchema) -> list[str]:
    generic = {
        str(schema.model._meta.verbose_name).casefold(),
        str(schema.model._meta.verbose_name_plural).casefold(),
    }
    words = []
    for match in re.finditer(r"[^\W_]+", text):
        word = match[0]
        if all(used[match.start() : match.end()]) or word in FILLER or word in generic:
            continue
        words.append(word)
    return words
