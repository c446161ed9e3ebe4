"""Storing a per-record run's answers: in groups of whole requests, one transaction each.

One transaction per request costs a few round trips each, which at high concurrency
outweighs the requests themselves. So a group holds whole requests (each request's
records are stored all or none) and is written as soon as it holds ``concurrency``
requests or :data:`FLUSH_SECONDS` have passed, and in any case at the end, on a stop or
an error: a hard kill loses at most the answers of one group, which the next run sends
again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import transaction

from toolkit.ai.models import Insight
from toolkit.ai.runs.report import RunReport
from toolkit.ai.uninterruptible import uninterruptible
from toolkit.inserts import insert_rows

__all__ = ["FLUSH_SECONDS", "InsightWriter"]

#: Stored answers are written at least this often (seconds), or per ``concurrency``.
FLUSH_SECONDS = 0.25


class InsightWriter:
    """Collects the insights of answered requests and writes them in groups."""

    def __init__(
        self,
        report: RunReport,
        *,
        group_requests: int,
        keep_insights: bool,
        on_progress: Callable[[RunReport], None] | None,
    ) -> None:
        self.report = report
        self.group_requests = group_requests
        self.keep_insights = keep_insights
        self.on_progress = on_progress
        self.pending: list[Insight] = []
        self.pending_requests = 0
        self.last_flush = time.monotonic()

    def add(self, insights: list[Insight]) -> None:
        """The insights of one request; written once the group is full or old enough."""
        self.pending += insights
        self.pending_requests += 1
        if (
            self.pending_requests >= self.group_requests
            or time.monotonic() - self.last_flush >= FLUSH_SECONDS
        ):
            self.flush()

    def close(self) -> None:
        """Write what is left."""
        if self.pending:
            self.flush()

    def flush(self) -> None:
        insights, self.pending, self.pending_requests = self.pending, [], 0
        self.last_flush = time.monotonic()
        if insights:
            with uninterruptible(), transaction.atomic():
                if self.keep_insights:
                    # The report's insights are shown and linked: they need their keys.
                    Insight.objects.bulk_create(insights)
                    self.report.insights.extend(insights)
                else:
                    insert_rows(Insight, insights)
        if self.on_progress is not None:
            self.on_progress(self.report)
