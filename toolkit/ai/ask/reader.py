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
common catalog fields (:data:`CUES`: "priced", "cheaper" for a price; "added" for a
creation date; "rated", "stars" for a rating). A number takes the operator written just
before it ("over", "less than", "at least", "between … and …", "or more") and the field
whose cue is nearest: before the operator, or else right after the number ("more than
100 in stock"), or else, when an operator says it is a comparison ("under 50"), the
admin's first price-like number field; a bare number with no cue is left alone. Names
of related rows (categories, suppliers, tags) are matched whole, longest first, against
the names the database holds (at most :data:`MAX_NAMES` per field); a field's cue
followed by one word ("supplier acme") is tried as a name too, and grounded later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .fields import CHOICE, DATE, NAME, NUMBER, YESNO, AskField, AskSchema

__all__ = ["CUES", "MAX_NAMES", "Reading", "read_question"]

#: Most names read from the database per name field; a field with more is only matched
#: after its cue ("supplier acme").
MAX_NAMES = 5000

#: English words that point at common catalog fields, by the qualifier's name.
CUES: dict[str, tuple[str, ...]] = {
    # "that cost more than": the verb is the price; "a cost under 5" is the cost field.
    "price": (
        "priced", "price", "prices", "cheaper", "cheap", "expensive", "costing", "euros",
        "that cost", "which cost", "that costs", "costs",
    ),
    "created": ("added", "created", "new"),
    "rating": ("rated", "rating", "star", "stars"),
    "stock": ("stock", "in stock", "stocked"),
    "supplier": ("from", "by", "supplied by", "supplier", "made by"),
    "tag": ("tagged", "tag", "tags"),
    "category": ("category", "categories"),
}  # fmt: skip

#: Operator words before a number, longest first.
_OPERATORS: tuple[tuple[str, str], ...] = (
    ("more expensive than", ">"),
    ("greater than", ">"),
    ("higher than", ">"),
    ("more than", ">"),
    ("over", ">"),
    ("above", ">"),
    ("exceeding", ">"),
    ("cheaper than", "<"),
    ("less than", "<"),
    ("fewer than", "<"),
    ("lower than", "<"),
    ("under", "<"),
    ("below", "<"),
    ("at least", ">="),
    ("at most", "<="),
    ("up to", "<="),
    (">=", ">="),
    ("<=", "<="),
    (">", ">"),
    ("<", "<"),
)
#: Relative periods, as a person writes them, to the tokens of :mod:`.dates`.
_PERIODS: tuple[tuple[str, str], ...] = (
    (r"(?:in the |within the )?(?:last|past) (7|30|90|365) days", "last_{0}_days"),
    (r"(?:in the |within the )?(?:last|past) week", "last_week"),
    (r"(?:in the |within the )?(?:last|past) month", "last_month"),
    (r"(?:in the |within the )?(?:last|past) year", "last_year"),
    (r"this week", "this_week"),
    (r"this month", "this_month"),
    (r"this year", "this_year"),
    (r"today", "today"),
    (r"yesterday", "yesterday"),
)
#: Words that carry no condition ("products with a price under ..."): never leftover.
_FILLER = frozenset((
    "a", "an", "the", "and", "or", "of", "with", "without", "in", "on", "at", "to", "for",
    "that", "which", "who", "are", "is", "be", "been", "any", "all", "some", "me", "show",
    "find", "list", "give", "get", "want", "see", "those", "these", "them", "their", "its",
    "it", "there", "have", "has", "having", "please", "i", "we", "our", "my", "item",
    "items", "record", "records", "row", "rows", "one", "ones", "what", "whose", "where",
    "than", "then", "also", "only", "just",
))  # fmt: skip
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
    text = " " + " ".join(question.casefold().replace("€", " euros ").split()) + " "
    used = [False] * len(text)
    cues = _cues(schema, synonyms or {})
    reading = Reading()

    def take(start: int, end: int) -> None:
        for i in range(start, end):
            used[i] = True

    _read_periods(schema, text, cues, reading, take, used)
    _read_numbers(schema, text, cues, reading, take, used)
    _read_names(schema, text, cues, reading, take, used)
    _read_choices(schema, text, cues, reading, take, used)
    # The cues of the fields a condition was found for say nothing more.
    found = {condition["field"] for condition in reading.conditions}
    for name in found:
        for cue in cues.get(name, ()):
            for match in re.finditer(rf"(?<!\w){re.escape(cue)}(?!\w)", text):
                take(match.start(), match.end())
    reading.leftover = _leftover(text, used, schema)
    return reading


def _cues(schema: AskSchema, synonyms: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """Each field's cue words, longest first."""
    result: dict[str, tuple[str, ...]] = {}
    for ask_field in schema.fields:
        words = {ask_field.name.casefold().replace("_", " ")}
        words.update(_verbose_words(schema, ask_field))
        words.update(CUES.get(ask_field.name, ()))
        words.update(str(word).casefold() for word in synonyms.get(ask_field.name, ()))
        result[ask_field.name] = tuple(sorted((w for w in words if w), key=len, reverse=True))
    return result


def _verbose_words(schema: AskSchema, ask_field: AskField) -> set[str]:
    """The model field's verbose name ("is active" gives "active" too)."""
    first = ask_field.path.split("__", 1)[0]
    try:
        model_field = schema.model._meta.get_field(first)
    except Exception:
        return set()
    verbose = str(getattr(model_field, "verbose_name", "") or "").casefold()
    words = {verbose} if verbose else set()
    if verbose.startswith("is "):
        words.add(verbose[3:])
    return words


def _fields_of(schema: AskSchema, kind: str) -> list[AskField]:
    return [f for f in schema.fields if f.kind == kind]


def _near_cue(
    text: str, cues: dict[str, tuple[str, ...]], names: list[str], start: int, end: int
) -> str | None:
    """The field (of ``names``) with a cue in ``text[start:end]``, the nearest to
    ``end`` if several."""
    best: tuple[int, int, str] | None = None
    window = text[start:end]
    for name in names:
        for cue in cues.get(name, ()):
            for match in re.finditer(rf"(?<!\w){re.escape(cue)}(?!\w)", window):
                # The nearest cue; of two ending together, the longer ("that cost").
                found = (match.end(), len(cue), name)
                if best is None or found[:2] > best[:2]:
                    best = found
    return best[2] if best else None


def _read_periods(schema, text, cues, reading, take, used) -> None:  # type: ignore[no-untyped-def]
    dates = _fields_of(schema, DATE)
    if not dates:
        return
    for pattern, token in _PERIODS:
        for match in re.finditer(rf"(?<!\w){pattern}(?!\w)", text):
            name = _near_cue(text, cues, [f.name for f in dates], 0, match.start())
            name = name or (dates[0].name if len(dates) == 1 else None)
            if name is None:
                continue
            if any(used[match.start() : match.end()]):
                continue
            value = token.format(*match.groups())
            reading.conditions.append({"field": name, "op": "=", "value": value})
            take(match.start(), match.end())


def _read_numbers(schema, text, cues, reading, take, used) -> None:  # type: ignore[no-untyped-def]
    numbers = [f.name for f in _fields_of(schema, NUMBER)]
    if not numbers:
        return
    default = next((n for n in numbers if "price" in n), None)
    operators = "|".join(re.escape(word) for word, _op in _OPERATORS)
    between = re.compile(rf"(?<!\w)between {_NUMBER} and {_NUMBER}(?!\w)")
    single = re.compile(
        rf"(?:(?<!\w)({operators}) )?(?<![\w.,]){_NUMBER}(?:\s?(?:euros?|dollars?|\$))?"
        rf"(?: (or more|or less|or fewer|and (?:more|above|up)|and (?:less|below)))?(?![\w.,-])"
    )
    spans: list[tuple[int, int, list[tuple[str, str]]]] = []
    for match in between.finditer(text):
        if not any(used[match.start() : match.end()]):
            spans.append((match.start(), match.end(), [(">=", match[1]), ("<=", match[2])]))
    for match in single.finditer(text):
        if any(used[match.start(1) if match[1] else match.start(2) : match.end()]):
            continue
        if any(s <= match.start(2) < e for s, e, _ in spans):
            continue
        operator = dict(_OPERATORS).get(match[1] or "", "=")
        if match[3]:
            operator = ">=" if any(w in match[3] for w in ("more", "above", "up")) else "<="
        spans.append((match.start(), match.end(), [(operator, match[2])]))
    spans.sort()
    for index, (start, end, comparisons) in enumerate(spans):
        before = spans[index - 1][1] if index else 0
        after = spans[index + 1][0] if index + 1 < len(spans) else len(text)
        # The cue before the operator (stopping at the number before), or right after
        # the number ("100 in stock", "5 star"), or the price-like field.
        name = _near_cue(
            text, cues, numbers, max(before, start - 40), end - len(comparisons[-1][1])
        )
        name = name or _first_cue(text, cues, numbers, end, min(after, end + 25))
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


def _first_cue(text, cues, names, start, end) -> str | None:  # type: ignore[no-untyped-def]
    best: tuple[int, str] | None = None
    window = text[start:end]
    for name in names:
        for cue in cues.get(name, ()):
            match = re.search(rf"(?<!\w){re.escape(cue)}(?!\w)", window)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), name)
    return best[1] if best else None


def _read_names(schema, text, cues, reading, take, used) -> None:  # type: ignore[no-untyped-def]
    fields = _fields_of(schema, NAME)
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
                cued = _near_cue(
                    text, cues, [f.name for f in holders], max(0, match.start() - 20), match.start()
                )
                chosen = next((f for f in holders if f.name == cued), holders[0])
            key = f"{chosen.name}={name}"
            if key not in taken:
                taken.add(key)
                value = spelled.get(name, name)
                reading.conditions.append({"field": chosen.name, "op": "=", "value": value})
            take(match.start(), match.end())
    # "supplier acme": a field's own name (not a preposition) then one word, grounded later.
    for ask_field in fields:
        if any(c["field"] == ask_field.name for c in reading.conditions):
            continue
        own = {ask_field.name.casefold(), *(c for c in cues[ask_field.name] if " " not in c)}
        own -= {"from", "by", "new"}
        for cue in own:
            for match in re.finditer(rf"(?<!\w){re.escape(cue)} ([^\W\d_][\w&.'-]+)", text):
                word = match[1]
                if word in _FILLER or any(used[match.start(1) : match.end(1)]):
                    continue
                reading.conditions.append({"field": ask_field.name, "op": "=", "value": word})
                take(match.start(), match.end())
                break


def _read_choices(schema, text, cues, reading, take, used) -> None:  # type: ignore[no-untyped-def]
    yesno = _fields_of(schema, YESNO)
    choices = _fields_of(schema, CHOICE)
    for ask_field in choices:
        for value, label in zip(ask_field.values, ask_field.labels, strict=False):
            for word in {value.casefold(), label.casefold()}:
                match = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)
                if not match or any(used[match.start() : match.end()]):
                    continue
                # "active" is a yes/no field's name too: the choice only after its cue
                # ("status active").
                if any(word in cues[f.name] for f in yesno):
                    cued = _near_cue(
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
            value = "no" if match[1] else "yes"
            reading.conditions.append({"field": ask_field.name, "op": "=", "value": value})
            take(match.start(), match.end())
            break


def _leftover(text: str, used: list[bool], schema: AskSchema) -> list[str]:
    generic = {
        str(schema.model._meta.verbose_name).casefold(),
        str(schema.model._meta.verbose_name_plural).casefold(),
    }
    words = []
    for match in re.finditer(r"[^\W_]+", text):
        word = match[0]
        if all(used[match.start() : match.end()]) or word in _FILLER or word in generic:
            continue
        words.append(word)
    return words
