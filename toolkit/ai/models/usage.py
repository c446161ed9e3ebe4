"""The daily AI record limit's ledger, changed only by :mod:`toolkit.ai.limits`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AIUsage(models.Model):
    """Records one person has sent to the AI, or set aside for runs and jobs not done
    yet, on one day (UTC): what ``TOOLKIT_AI_DAILY_RECORD_LIMIT`` is checked against.

    One row per person and day, changed only by conditional updates in
    :mod:`toolkit.ai.limits`, so two requests at the same moment cannot both pass.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("day"))
    #: Records answered, plus those reserved and not yet sent.
    records = models.PositiveIntegerField(_("records"), default=0)

    class Meta:
        db_table = "toolkit_aiusage"
        verbose_name = _("AI usage")
        verbose_name_plural = _("AI usage")
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="toolkit_aiusage_user_day"),
        ]

    def __str__(self) -> str:
        return f"{self.records} records on {self.day}"


class AIReservation(models.Model):
    """Records counted in an :class:`AIUsage` for a run or a job that has not sent them
    yet. Each record leaves it when it ends: answered (it stays counted), failed,
    unchanged or cancelled (given back to the day's limit)."""

    usage = models.ForeignKey(
        AIUsage, verbose_name=_("usage"), on_delete=models.CASCADE, related_name="reservations"
    )
    #: The ``toolkit.jobs`` Job the records are for (none for a run in a request or
    #: the batch command). Not a foreign key, like ``Insight.job_id``.
    job_id = models.PositiveBigIntegerField(_("job"), null=True, blank=True, unique=True)
    records = models.PositiveIntegerField(_("records"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        db_table = "toolkit_aireservation"
        verbose_name = _("AI reservation")
        verbose_name_plural = _("AI reservations")

    def __str__(self) -> str:
        return f"{self.records} records reserved"
