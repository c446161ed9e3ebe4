"""What a record said, in the form an answer is checked against: :class:`SentValues`.

The values are those the run sent (the payload's ``data``, the facts given with it, a
digest's table): every number they hold, found in numeric values and inside text alike
(a name such as "Tent 2P" or a review saying "after 3 nights" grounds a 2 or a 3), the
field each number came from, and every word of their text.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["NUMBER", "UNITS", "Number", "SentValues", "numbers_in", "words_in"]

#: A number as people write it: an optional sign (not a hyphen inside a word such as
#: "TNT-0042"), thousands separators (1,200 or 1 200), decimals, a percent sign.
NUMBER = re.compile(
    r"(?<![\w.,])(?P<sign>(?<![\w])[-\u2212])?"
    r"(?P<digits>\d{1,3}(?:[,\u00a0\u202f]\d{3})+(?!\d)|\d+)"
    r"(?P<decimals>\.\d+(?!\d)(?!\.\d))?(?P<percent>\s?(?:%|percent\b))?"
)
#: The path under which a relation's number of rows is sent along its rows.
COUNT_SUFFIX = ".count"
WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")

#: Unit words and the dimension they measure: a number followed by one is a quantity,
#: grounded only by a sent value of that dimension (so "190 cubic meters" is not
#: grounded by a cost of 190). "in" is left out: "12 in stock" is no length.
UNITS: dict[str, str] = {
    word: dimension
    for dimension, words in {
        "mass": "kg kgs kilo kilos kilogram kilograms g gram grams lb lbs pound pounds oz "
        "ounce ounces tonne tonnes ton tons",
        "length": "m meter meters metre metres cm mm km inch inches ft foot feet yd yard "
        "yards mile miles",
        "volume": "l liter liters litre litres ml cl cubic cu gallon gallons",
        "area": "square sq m2 m\u00b2",
        "power": "w kw watt watts v volt volts mah",
        "people": "person persons people",
    }.items()
    for word in words.split()
}
#: Words of a field's name or label that say what dimension its numbers measure.
DIMENSION_WORDS: dict[str, str] = {
    "weight": "mass",
    "mass": "mass",
    "length": "length",
    "width": "length",
    "height": "length",
    "depth": "length",
    "size": "length",
    "volume": "volume",
    "capacity": "volume",
    "area": "area",
    "power": "power",
    "voltage": "power",
    "persons": "people",
    "people": "people",
    "occupancy": "people",
}


@dataclass(frozen=True)
class Number:
    """A number found in a text: its value, how it was written and where."""

    value: Decimal
    #: Digits after the decimal point as written (the precision it claims).
    places: int
    percent: bool
    text: str
    start: int
    end: int
    #: The dimension of the unit word right after it ("mass"), or "".
    dimension: str = ""
    #: That unit word ("kg").
    unit: str = ""


def numbers_in(text: str) -> list[Number]:
    """Every number of ``text``, with the dimension of the unit that follows it."""
    found = []
    for match in NUMBER.finditer(text):
        digits = re.sub(r"[,\u00a0\u202f]", "", match["digits"])
        decimals = match["decimals"] or ""
        try:
            value = Decimal(digits + decimals)
        except decimal.InvalidOperation:  # pragma: no cover - the pattern is digits
            continue
        if match["sign"]:
            value = -value
        following = WORD.match(text[match.end() :].lstrip(" \u00a0-"))
        unit = following.group().lower() if following else ""
        found.append(
            Number(
                value=value,
                places=max(0, len(decimals) - 1),
                percent=bool(match["percent"]),
                text=match.group().strip(),
                start=match.start(),
                end=match.end(),
                dimension="" if match["percent"] else UNITS.get(unit, ""),
                unit=unit,
            )
        )
    return found


def words_in(text: str) -> list[str]:
    return [word.lower() for word in WORD.findall(text)]


def _dimension_of_name(name: str) -> set[str]:
    dimensions = set()
    for word in re.split(r"[\W_]+", name.lower()):
        if word in UNITS:
            dimensions.add(UNITS[word])
        if word in DIMENSION_WORDS:
            dimensions.add(DIMENSION_WORDS[word])
    return dimensions


@dataclass
class SentValues:
    """The values a run sent for one record (or a whole selection), ready to check an
    answer against. Build it with :meth:`from_data`."""

    #: Field path -> the values sent (one per related row for ``path.field``).
    fields: dict[str, list[Any]] = field(default_factory=dict)
    #: Field path -> its label (verbose name), when the run knows it.
    labels: dict[str, str] = field(default_factory=dict)
    #: Each number sent, with the fields it came from and the dimensions they carry.
    numbers: list[tuple[Decimal, str, frozenset[str]]] = field(default_factory=list)
    #: Every word of every value, name and label, lower-cased.
    vocabulary: set[str] = field(default_factory=set)
    #: Every text value, lower-cased, for quotations.
    texts: list[str] = field(default_factory=list)

    @classmethod
    def from_data(
        cls,
        data: Mapping[str, Any],
        *,
        labels: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        vocabulary: Iterable[str] = (),
    ) -> SentValues:
        """The values of a payload's ``data`` (``extra``: more values sent along, such
        as facts or a digest's table; ``vocabulary``: more words an answer may use,
        such as the model's verbose name)."""
        sent = cls(labels={str(k): str(v) for k, v in (labels or {}).items()})
        sent.add_data(data)
        sent.add_data(extra or {}, is_field=False)
        sent.add_words(vocabulary)
        return sent

    def add_words(self, words: Iterable[str] = ()) -> None:
        """Words an answer may use besides the values': the fields' names and labels,
        and ``words`` (the model's verbose name)."""
        for name in [*self.fields, *self.labels.values(), *words]:
            self.vocabulary.update(words_in(str(name).replace("_", " ")))

    def add_data(self, data: Mapping[str, Any], *, is_field: bool = True) -> None:
        """Add the values of one more record (a digest's) or of values sent along."""
        for path, value in _flatten(data):
            self.add(path, value, is_field=is_field and not path.endswith(COUNT_SUFFIX))

    def add(self, path: str, value: Any, *, is_field: bool = True) -> None:
        if is_field:
            self.fields.setdefault(path, []).append(value)
        if value is None or isinstance(value, bool):
            return
        dimensions = frozenset(
            _dimension_of_name(path) | _dimension_of_name(self.labels.get(path, ""))
        )
        if isinstance(value, int | float | Decimal):
            self.numbers.append((Decimal(str(value)), path, dimensions))
            return
        text = str(value)
        self.texts.append(text.lower())
        self.vocabulary.update(words_in(text))
        for number in numbers_in(text):
            own = {number.dimension} if number.dimension else set()
            self.numbers.append((number.value, path, frozenset(dimensions | own)))

    # -- questions an answer asks --------------------------------------------------------

    def matches(self, number: Number, value: Decimal) -> bool:
        """Whether ``number`` says ``value``, to the precision it was written with
        (13 for 12.99, 12.5 for 12.49) or exactly."""
        if number.value == value:
            return True
        return abs(number.value - value) <= Decimal(5) / (Decimal(10) ** (number.places + 1))

    def sources_of(self, number: Number) -> list[tuple[str, frozenset[str]]]:
        """The fields (and their dimensions) that hold ``number``."""
        return [(path, dims) for value, path, dims in self.numbers if self.matches(number, value)]

    def field_numbers(self, path: str) -> list[Decimal]:
        """The numbers one field holds."""
        return [value for value, where, _ in self.numbers if where == path]

    def field_named(self, word: str) -> str | None:
        """The field ``word`` names ("price", or the label's word "weight"). Only the
        word itself: "costs" is as often the price as the cost."""
        word = word.lower()
        if len(word) < 3:
            return None
        for path in self.fields:
            names = {path.lower(), path.rsplit(".", 1)[-1].lower().replace("_", " ")}
            label = self.labels.get(path, "").lower()
            if label:
                names.add(re.sub(r"\s*\(.*\)", "", label))
            for name in names:
                if " " in name or len(name) < 3:
                    continue
                if word == name:
                    return path
        return None

    def knows_word(self, word: str) -> bool:
        word = word.lower()
        return word in self.vocabulary or any(word in text for text in self.texts)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{path}.")
        elif isinstance(value, list | tuple):
            # A relation's rows: their number is a fact too ("3 reviews").
            yield f"{path}{COUNT_SUFFIX}", len(value)
            for item in value:
                if isinstance(item, Mapping):
                    yield from _flatten(item, f"{path}.")
                else:
                    yield path, item
        else:
            yield path, value
