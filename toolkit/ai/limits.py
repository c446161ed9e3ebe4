"""How many records the AI may be sent: per run, and per person and day.

- ``TOOLKIT_AI_MAX_RECORDS`` caps one run: an admin selection, in the request or as a job.
- ``TOOLKIT_AI_DAILY_RECORD_LIMIT`` (if set) caps the records one person sends per day
  (UTC), however they send them: in the request, as jobs, or through ``ai_summarize
  --user``.

Counting the insights already stored is not enough for the daily limit: a job queued
now sends its records minutes later, so jobs queued one after another would each find
the day's count unchanged (four jobs of 25 records under a limit of 30 sent 100). So
records are *reserved* before anything is sent, when a run starts or a job is queued:
the person's :class:`~toolkit.ai.models.AIUsage` row for the day grows by the run's
size in one conditional ``UPDATE ... WHERE records + n <= limit``, which two requests
at the same moment cannot both pass. The :class:`~toolkit.ai.models.AIReservation`
then shrinks as records end: answered ones stay counted; failed, unchanged (cached) and
cancelled ones are given back to the day. A job checks its reservation again before
each chunk (:func:`cover`), so a job started without one, or resumed after it failed
and gave its reservation back, reserves then or stops with the limit's message.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext

from toolkit.ai.conf import conf
from toolkit.ai.models import AIReservation, AIUsage
from toolkit.exceptions import AILimitExceeded

__all__ = [
    "check_limits",
    "check_run_size",
    "cover",
    "release",
    "release_job",
    "reserve",
    "settle",
    "settle_job",
]


def today() -> date:
    """The day (UTC) a limit counts against."""
    return timezone.now().date()


def daily_limit_for(user: Any) -> int | None:
    """The daily record limit that applies to ``user``, or ``None`` (no limit set, or
    no person: the batch command without ``--user``)."""
    daily = conf.AI_DAILY_RECORD_LIMIT
    if daily is None or user is None or not getattr(user, "is_authenticated", False):
        return None
    return daily


def check_run_size(count: int) -> None:
    """Refuse a run of more than ``TOOLKIT_AI_MAX_RECORDS`` records."""
    most = conf.AI_MAX_RECORDS
    if count > most:
        raise AILimitExceeded(
            f"{count:,} records were selected, but one AI run may send at most {most:,} "
            "(TOOLKIT_AI_MAX_RECORDS). Select fewer records, or filter the list first."
        )


def check_limits(user: Any, count: int) -> None:
    """Refuse a run of ``count`` records for ``user`` that passes a limit.

    Raises :class:`~toolkit.exceptions.AILimitExceeded` with a sentence saying which
    limit, how many records may still be sent today and what to do. It reserves
    nothing: a check before a form is shown. What is about to be sent goes through
    :func:`reserve`, which checks again, atomically.
    """
    check_run_size(count)
    daily = daily_limit_for(user)
    if daily is None:
        return
    usage = AIUsage.objects.filter(user=user.pk, day=today()).first()
    if (usage.records if usage is not None else 0) + count > daily:
        raise over_daily_limit(user, count, daily)


def over_daily_limit(user: Any, count: int, daily: int) -> AILimitExceeded:
    """The refusal of ``count`` more records today, saying how many remain."""
    usage = AIUsage.objects.filter(user=user.pk, day=today()).first()
    used = usage.records if usage is not None else 0
    held = (
        usage.reservations.aggregate(total=Sum("records"))["total"] or 0 if usage is not None else 0
    )
    sent = max(0, used - held)
    left = max(0, daily - used)
    numbers = {
        name: number_format(value, force_grouping=True)
        for name, value in {
            "sent": sent,
            "held": held,
            "daily": daily,
            "left": left,
            "count": count,
        }.items()
    }
    if held:
        text = gettext(
            "You have sent %(sent)s records to the AI today and %(held)s more are reserved "
            "by runs and jobs not finished yet, and the daily limit is %(daily)s "
            "(TOOLKIT_AI_DAILY_RECORD_LIMIT): %(left)s more can be sent today, not "
            "%(count)s. Select fewer records, or try again tomorrow."
        )
    else:
        text = gettext(
            "You have sent %(sent)s records to the AI today, and the daily limit is "
            "%(daily)s (TOOLKIT_AI_DAILY_RECORD_LIMIT): %(left)s more can be sent today, "
            "not %(count)s. Select fewer records, or try again tomorrow."
        )
    return AILimitExceeded(text % numbers)


def _charge(user_pk: Any, count: int, daily: int) -> AIUsage | None:
    """Add ``count`` to the person's usage of today if it stays within ``daily``, in
    one conditional update; return the row, or ``None`` when the limit refuses."""
    if count > daily:
        return None
    rows = AIUsage.objects.filter(user_id=user_pk, day=today())
    for _attempt in range(2):
        if rows.filter(records__lte=daily - count).update(records=F("records") + count):
            return rows.get()
        if rows.exists():
            return None
        try:
            with transaction.atomic():
                return AIUsage.objects.create(user_id=user_pk, day=today(), records=count)
        except IntegrityError:
            continue  # another request created the day's row a moment ago: update it
    return None


def reserve(
    user: Any, count: int, *, job_pk: int | None = None, per_run: bool = True
) -> AIReservation | None:
    """Set ``count`` records aside against ``user``'s daily limit before sending them.

    Checks ``TOOLKIT_AI_MAX_RECORDS`` too unless ``per_run`` is false (the batch
    command, whose runs are as large as an operator makes them). Returns the
    reservation (``job_pk``: the job it is for), or ``None`` when no daily limit
    applies. Raises :class:`~toolkit.exceptions.AILimitExceeded`, reserving nothing,
    when the records do not fit in what is left of the day's limit.
    """
    if per_run:
        check_run_size(count)
    daily = daily_limit_for(user)
    if daily is None:
        return None
    with transaction.atomic():
        usage = _charge(user.pk, count, daily)
        if usage is None:
            raise over_daily_limit(user, count, daily)
        return AIReservation.objects.create(usage=usage, job_id=job_pk, records=count)


def settle(reservation: AIReservation, *, answered: int, ended: int) -> None:
    """``ended`` of the reserved records have ended, ``answered`` of them with an answer:
    those stay counted for the day, the others (failed, unchanged, not sent) are given
    back. Answers beyond what was reserved are counted as well."""
    with transaction.atomic():
        row = AIReservation.objects.select_for_update().filter(pk=reservation.pk).first()
        if row is None:
            return
        covered = min(row.records, ended)
        # Answered ones stay counted, the rest of the covered ones go back; answers
        # beyond the reservation are added.
        change = answered - covered
        if covered:
            AIReservation.objects.filter(pk=row.pk).update(records=F("records") - covered)
        if change:
            AIUsage.objects.filter(pk=row.usage_id).update(
                records=Greatest(F("records") + change, Value(0))
            )


def release(reservation: AIReservation, *, answered: int = 0) -> None:
    """End ``reservation``: ``answered`` of its records stay counted, everything else
    it still holds goes back to the day's limit."""
    with transaction.atomic():
        row = AIReservation.objects.select_for_update().filter(pk=reservation.pk).first()
        if row is None:
            return
        settle(row, answered=answered, ended=row.records)
        row.refresh_from_db(fields=["records"])
        if row.records:
            AIUsage.objects.filter(pk=row.usage_id).update(
                records=Greatest(F("records") - row.records, Value(0))
            )
        row.delete()


# -- jobs --------------------------------------------------------------------------------


def cover(job_pk: int, user: Any, count: int) -> None:
    """Before a job sends ``count`` records, make sure its reservation holds them,
    reserving what is missing (a job queued without one, or resumed after giving its
    reservation back). Raises :class:`~toolkit.exceptions.AILimitExceeded` when the
    day's limit has no room for them: nothing of them is sent."""
    daily = daily_limit_for(user)
    if daily is None or count <= 0:
        return
    with transaction.atomic():
        row = (
            AIReservation.objects.select_for_update()
            .select_related("usage")
            .filter(job_id=job_pk)
            .first()
        )
        if row is not None and row.records >= count:
            return
        if row is not None and row.usage.day != today():
            # Held since an earlier day: that day is over, and today counts these
            # records instead. Give the old day back what it still held.
            AIUsage.objects.filter(pk=row.usage_id).update(
                records=Greatest(F("records") - row.records, Value(0))
            )
            row.records = 0
        missing = count - (row.records if row is not None else 0)
        usage = _charge(user.pk, missing, daily)
        if usage is None:
            # Raised inside the transaction: the old day keeps what it held.
            raise over_daily_limit(user, missing, daily)
        if row is None:
            AIReservation.objects.create(usage=usage, job_id=job_pk, records=count)
        else:
            row.usage = usage
            row.records = count
            row.save(update_fields=["usage", "records"])


def settle_job(job_pk: int, *, answered: int, ended: int) -> None:
    """:func:`settle` the reservation of job ``job_pk``, if it has one."""
    row = AIReservation.objects.filter(job_id=job_pk).first()
    if row is not None:
        settle(row, answered=answered, ended=ended)


def release_job(job_pk: int) -> None:
    """Give back what job ``job_pk`` still holds: it ended, or was deleted."""
    row = AIReservation.objects.filter(job_id=job_pk).first()
    if row is not None:
        release(row)
