"""Relative dates ("this month", "last 7 days"), resolved by the toolkit, not the model.

The model picks a token from :data:`RELATIVE_DATES` (or writes a day, ``YYYY-MM-DD``);
:func:`date_terms` turns it into the comparisons a person would type, in days of the
current time zone: ``created=this_month`` is ``created>=2025-06-01 created<2025-07-01``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.utils import timezone

__all__ = ["ISO_DAY", "RELATIVE_DATES", "date_terms", "period"]

#: A day as the model may write one.
ISO_DAY = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

_Period = Callable[[datetime.date], tuple[datetime.date, datetime.date]]


def _days(n: int) -> _Period:
    return lambda today: (today - datetime.timedelta(days=n - 1), today + datetime.timedelta(1))


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


#: Each token and the days it covers: ``(first day, the day after the last)``.
RELATIVE_DATES: dict[str, _Period] = {
    "today": lambda t: (t, t + datetime.timedelta(1)),
    "yesterday": lambda t: (t - datetime.timedelta(1), t),
    "this_week": lambda t: (_week_start(t), _week_start(t) + datetime.timedelta(7)),
    "last_week": lambda t: (_week_start(t) - datetime.timedelta(7), _week_start(t)),
    "this_month": lambda t: (_month_start(t), _next_month(t)),
    "last_month": lambda t: (
        _month_start(_month_start(t) - datetime.timedelta(1)),
        _month_start(t),
    ),
    "this_year": lambda t: (t.replace(month=1, day=1), t.replace(year=t.year + 1, month=1, day=1)),
    "last_year": lambda t: (t.replace(year=t.year - 1, month=1, day=1), t.replace(month=1, day=1)),
    "last_7_days": _days(7),
    "last_30_days": _days(30),
    "last_90_days": _days(90),
    "last_365_days": _days(365),
}


def period(token: str, today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The first day of ``token``'s period and the day after its last."""
    if today is None:
        today = timezone.localdate()
    return RELATIVE_DATES[token](today)


def date_terms(
    operator: str, token: str, today: datetime.date | None = None
) -> list[tuple[str, str]]:
    """``(operator, day)`` comparisons meaning ``<field> <operator> <token>``: "=" is the
    whole period, ">=" from its start, ">" after its end, "<" before it, "<=" up to its
    end."""
    start, end = period(token, today)
    last = end - datetime.timedelta(days=1)
    if operator == "=":
        return [(">=", start.isoformat()), ("<=", last.isoformat())]
    if operator == ">=":
        return [(">=", start.isoformat())]
    if operator == ">":
        return [(">", last.isoformat())]
    if operator == "<":
        return [("<", start.isoformat())]
    return [("<=", last.isoformat())]
