"""Dates in a question, worked out by the toolkit: "this month", "last 7 days", "since
1 September 2026", "before March 2026", "in 2025". A period becomes the relative-date
token of :mod:`.dates` (resolved when the search is made); a day or month written out
becomes ISO days. The words before it make the comparison: "before" is ``<``, "since"
``>=``, "after" ``>``; none: the whole period.
"""

from __future__ import annotations

import datetime
import re

from .cues import near_cue
from .vocabulary import PERIODS

__all__ = ["read_dates"]


def read_dates(dates, text, cues, reading, take, used) -> None:  # type: ignore[no-untyped-def]
    """The periods, days and months ``text`` names, as conditions on the date fields
    ``dates`` (the one whose cue is nearest before; the only one if there is one)."""
    if not dates:
        return
    for pattern, token in PERIODS:
        for match in re.finditer(rf"(?<!\w){pattern}(?!\w)", text):
            name = near_cue(text, cues, [f.name for f in dates], 0, match.start())
            name = name or (dates[0].name if len(dates) == 1 else None)
            if name is None:
                continue
            if any(used[match.start() : match.end()]):
                continue
            value = token.format(*match.groups())
            operator = _date_operator(text[: match.start()])
            reading.conditions.append({"field": name, "op": operator, "value": value})
            take(match.start(), match.end())
            before = re.search(_DATE_WORDS, text[: match.start()])
            if before:
                take(before.start(), before.end())
    _read_days(dates, text, cues, reading, take, used)


_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH = "|".join(_MONTHS)
#: A day or a month, as a person writes it: "2026-06-01", "1 September 2026",
#: "September 1, 2026", "June 2026", "in 2025".
_DAYS = re.compile(
    rf"(?<!\w)(?:(\d{{4}})-(\d{{2}})-(\d{{2}})|(\d{{1,2}}) ({_MONTH}),? (\d{{4}})"
    rf"|({_MONTH}) (\d{{1,2}}),? (\d{{4}})|({_MONTH}) (\d{{4}})|in (\d{{4}}))(?!\w)"
)


def _read_days(dates, text, cues, reading, take, used) -> None:  # type: ignore[no-untyped-def]
    """Days and months written out: the comparison the words before make of them
    ("since 1 September 2026", "before March 2026"), or the whole month or year."""
    for match in _DAYS.finditer(text):
        if any(used[match.start() : match.end()]):
            continue
        name = near_cue(text, cues, [f.name for f in dates], 0, match.start())
        name = name or (dates[0].name if len(dates) == 1 else None)
        first, last = _span_of(match)
        if name is None or first is None or last is None:
            continue
        operator = _date_operator(text[: match.start()])
        if operator == "=":
            pairs = [(">=", first), ("<=", last)]
        else:
            pairs = [(operator, last if operator == ">" else first)]
        for op, day in pairs:
            reading.conditions.append({"field": name, "op": op, "value": day.isoformat()})
        take(match.start(), match.end())
        before = re.search(_DATE_WORDS, text[: match.start()])
        if before:
            take(before.start(), before.end())


def _span_of(match: re.Match[str]) -> tuple[datetime.date | None, datetime.date | None]:
    """The first and last day ``match`` (of :data:`_DAYS`) names; ``None`` if no such day."""
    groups = match.groups()
    try:
        if groups[0]:
            day = datetime.date(int(groups[0]), int(groups[1]), int(groups[2]))
            return day, day
        if groups[3]:
            day = datetime.date(int(groups[5]), _MONTHS.index(groups[4]) + 1, int(groups[3]))
            return day, day
        if groups[6]:
            day = datetime.date(int(groups[8]), _MONTHS.index(groups[6]) + 1, int(groups[7]))
            return day, day
        if groups[9]:
            first = datetime.date(int(groups[10]), _MONTHS.index(groups[9]) + 1, 1)
            following = (first + datetime.timedelta(days=32)).replace(day=1)
            return first, following - datetime.timedelta(days=1)
        year = int(groups[11])
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    except ValueError:
        return None, None


#: Words before a date that make it a comparison ("items from last month" is the month).
_DATE_WORDS = r"(?:before|until|prior to|since|after) (?:the )?$"


def _date_operator(before: str) -> str:
    """The comparison the words before a period make of it: "before this year" is
    ``<``, "since last month" ``>=``, "after last week" ``>``; none: the period itself."""
    if re.search(r"(?:before|until|prior to) $", before):
        return "<"
    if re.search(r"since (?:the )?$", before):
        return ">="
    if re.search(r"after $", before):
        return ">"
    return "="
