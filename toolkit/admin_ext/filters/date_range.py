"""``DateRangeFilter``: rows whose date lies within a range, with preset ranges.

Days are those of the current time zone; on a ``DateTimeField`` the last day of a range
is included up to its last moment. A day or moment the database cannot hold is
refused here, before any SQL.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from .base import FilterChoice, error_reason
from .range import _RangeFilter

__all__ = ["DateRangeFilter"]


class DateRangeFilter(_RangeFilter):
    """Rows whose date lies within a range, with presets: today, last 7 days, this month.

    ``?created__gte=2025-01-01&created__lte=2025-01-31`` includes both days. On a
    ``DateTimeField`` the days are those of the current time zone (``timezone.activate``),
    and a full ISO datetime (``2025-01-01T09:30``) may be given instead of a day.
    Override :meth:`get_presets` to offer other ranges.
    """

    input_type = "date"
    accepted_kind = "date"
    wrong_field_hint = (
        "Use DateRangeFilter on a DateField or DateTimeField (NumericRangeFilter for numbers)."
    )

    @classmethod
    def accepts_field(cls, field: models.Field[Any, Any]) -> bool:
        return isinstance(field, models.DateField)

    @property
    def is_datetime(self) -> bool:
        return isinstance(self.field, models.DateTimeField)

    def today(self) -> datetime.date:
        """Today in the current time zone (what "today" means to the person)."""
        return timezone.localdate() if settings.USE_TZ else datetime.date.today()

    def get_presets(self, today: datetime.date) -> list[tuple[str, datetime.date, datetime.date]]:
        """Ranges offered as links: ``(label, first day, last day)``, both days included.

        Override to add or replace presets, e.g. ``("This year", today.replace(month=1,
        day=1), today.replace(month=12, day=31))``.
        """
        first_of_month = today.replace(day=1)
        last_of_month = today.replace(day=calendar.monthrange(today.year, today.month)[1])
        return [
            (_("Today"), today, today),
            (_("Last 7 days"), today - datetime.timedelta(days=6), today),
            (_("This month"), first_of_month, last_of_month),
        ]

    def parse(self, raw: str) -> datetime.date | datetime.datetime:
        bad = ValidationError(_("enter a date as YYYY-MM-DD."))
        try:
            day = parse_date(raw)
        except ValueError as exc:
            raise ValidationError(_("that day does not exist (use YYYY-MM-DD).")) from exc
        if day is not None:
            return day
        if not self.is_datetime:
            raise bad
        try:
            moment = parse_datetime(raw)
        except ValueError as exc:
            raise ValidationError(_("that date and time does not exist.")) from exc
        if moment is None:
            raise bad
        return moment

    def _moment(self, value: datetime.datetime) -> datetime.datetime:
        """``value`` as the database will compare it, or ``ValidationError``."""
        if settings.USE_TZ:
            if timezone.is_naive(value):
                value = timezone.make_aware(value, timezone.get_current_timezone())
            try:
                value.astimezone(datetime.UTC)
            except OverflowError as exc:
                raise ValidationError(_("the date is out of range.")) from exc
        elif timezone.is_aware(value):
            value = timezone.make_naive(value)
        return value

    def _start_of(self, day: datetime.date) -> datetime.datetime:
        return self._moment(datetime.datetime.combine(day, datetime.time.min))

    def lookups_for(
        self,
        since: datetime.date | datetime.datetime | None,
        until: datetime.date | datetime.datetime | None,
    ) -> dict[str, Any]:
        """Lookups for a range whose ends are days (inclusive) or exact moments."""
        lookups: dict[str, Any] = {}
        path = self.field_path
        if since is not None:
            if isinstance(since, datetime.datetime):
                lookups[f"{path}__gte"] = self._moment(since)
            elif self.is_datetime:
                lookups[f"{path}__gte"] = self._start_of(since)
            else:
                lookups[f"{path}__gte"] = since
        if until is not None:
            if isinstance(until, datetime.datetime):
                lookups[f"{path}__lte"] = self._moment(until)
            elif self.is_datetime:
                # The whole last day: up to the next midnight of the current time zone.
                # On 9999-12-31 there is no next day: every moment is before its end.
                with contextlib.suppress(OverflowError):
                    lookups[f"{path}__lt"] = self._start_of(until + datetime.timedelta(days=1))
            else:
                lookups[f"{path}__lte"] = until
        return lookups

    def validate(self) -> None:
        ends: dict[str, datetime.date | datetime.datetime] = {}
        for name in (self.lookup_kwarg_min, self.lookup_kwarg_max):
            raw = self.last_value(name)
            if raw is None:
                continue
            try:
                end = self.parse(raw)
                # Build the lookups now: an out-of-range moment must fail here, not in SQL.
                if name == self.lookup_kwarg_min:
                    self.lookups_for(end, None)
                else:
                    self.lookups_for(None, end)
            except ValidationError as exc:
                self.reject(name, raw, error_reason(exc))
            else:
                ends[name] = end
                self.accept(name, [raw])
        self.bounds = self.lookups_for(
            ends.get(self.lookup_kwarg_min), ends.get(self.lookup_kwarg_max)
        )

    def preset_links(self) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
        links = []
        for label, first, last in self.get_presets(self.today()):
            params = {
                self.lookup_kwarg_min: first.isoformat(),
                self.lookup_kwarg_max: last.isoformat(),
            }
            links.append((label, params, self.lookups_for(first, last)))
        return links

    def get_facet_counts(self, pk_attname: str, filtered_qs: Any) -> dict[str, Any]:
        counts = super().get_facet_counts(pk_attname, filtered_qs)
        for i, (_label, _params, lookups) in enumerate(self.preset_links()):
            counts[f"{i}__c"] = models.Count(pk_attname, filter=models.Q(**lookups))
        return counts

    def extra_choices(
        self, changelist: ChangeList, counts: dict[str, int] | None
    ) -> Iterator[FilterChoice]:
        current = {
            name: values[-1]
            for name, values in self.used_parameters.items()
            if isinstance(values, list) and values
        }
        for i, (label, params, _lookups) in enumerate(self.preset_links()):
            display = label
            if counts is not None and f"{i}__c" in counts:
                display = f"{label} ({counts[f'{i}__c']})"
            yield {
                "selected": current == params,
                "query_string": changelist.get_query_string(
                    params, remove=[self.lookup_kwarg_min, self.lookup_kwarg_max]
                ),
                "display": display,
            }
