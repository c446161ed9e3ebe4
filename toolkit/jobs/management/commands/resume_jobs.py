"""Queue again the jobs whose worker died, so that they continue where they stopped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from toolkit.jobs.models import Job
from toolkit.jobs.tasks import resume_stale_jobs


class Command(BaseCommand):
    help = (
        "Queue again every running job without a heartbeat for longer than its handler's "
        "stale_after (or --stale-after seconds): its worker died. The job continues after "
        "its last committed chunk. Run it from cron, or before starting the only worker "
        "with --stale-after 0."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stale-after",
            type=float,
            metavar="SECONDS",
            help="Seconds without a heartbeat after which a running job counts as abandoned "
            "(default: each handler's stale_after). 0 takes every running job that is not "
            "in the middle of a chunk.",
        )
        parser.add_argument(
            "--failed",
            action="store_true",
            help="Also queue failed jobs again (after fixing what made them fail).",
        )

    def handle(self, *args: Any, stale_after: float | None, failed: bool, **options: Any) -> None:
        if stale_after is not None and stale_after < 0:
            raise CommandError(f"--stale-after must be 0 or more seconds, not {stale_after}.")
        delta = None if stale_after is None else timedelta(seconds=stale_after)
        resumed = resume_stale_jobs(delta, failed=failed)
        if not resumed:
            self.stdout.write("No job to resume.")
            return
        for job in Job.objects.filter(pk__in=resumed).order_by("pk"):
            total = "?" if job.total is None else job.total
            self.stdout.write(f"Queued job {job.pk} again ({job}): {job.done} of {total} done.")
        self.stdout.write(self.style.SUCCESS(f"Resumed {len(resumed)} job(s)."))
