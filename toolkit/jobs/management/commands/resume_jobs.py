"""Queue again the jobs whose worker died, so that they continue where they stopped."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connections

from toolkit.jobs.models import Job
from toolkit.jobs.tasks import resume_stale_jobs


class Command(BaseCommand):
    help = (
        "Queue again every running job whose lease has expired: its worker died (a live "
        "worker's heartbeat renews the lease, so its jobs are never taken). The job "
        "continues after its last committed chunk. Safe to run at any time and from "
        "several processes: from cron, or in a loop with --every."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stale-after",
            type=float,
            metavar="SECONDS",
            help="Also require this long without a heartbeat (default: the lease alone, "
            "which lasts each handler's stale_after). It never takes a job whose lease is "
            "live, so 0 adds nothing.",
        )
        parser.add_argument(
            "--failed",
            action="store_true",
            help="Also queue failed jobs again (after fixing what made them fail).",
        )
        parser.add_argument(
            "--every",
            type=float,
            metavar="SECONDS",
            help="Keep running: look for abandoned jobs again every SECONDS (a Procfile "
            "process beside the workers). Stop it with Ctrl-C or SIGTERM.",
        )

    def handle(
        self,
        *args: Any,
        stale_after: float | None,
        failed: bool,
        every: float | None,
        **options: Any,
    ) -> None:
        if stale_after is not None and stale_after < 0:
            raise CommandError(f"--stale-after must be 0 or more seconds, not {stale_after}.")
        if every is not None and every <= 0:
            raise CommandError(f"--every must be more than 0 seconds, not {every}.")
        if every is not None and failed:
            raise CommandError(
                "--failed cannot be combined with --every: a job that keeps failing would "
                "be queued again forever. Resume failed jobs once, after fixing the cause."
            )
        delta = None if stale_after is None else timedelta(seconds=stale_after)
        if every is None:
            self.resume(delta, failed, quiet=False)
            return
        self.stdout.write(f"Looking for abandoned jobs every {every:g} s.")
        try:
            while True:
                try:
                    self.resume(delta, failed, quiet=True)
                except DatabaseError as exc:
                    # A busy SQLite file, a database restarting: the next pass retries,
                    # on a new connection if this one broke (never on one held by a
                    # caller's transaction).
                    self.stderr.write(f"Could not look for abandoned jobs: {exc}")
                    for connection in connections.all(initialized_only=True):
                        if not connection.in_atomic_block:
                            connection.close_if_unusable_or_obsolete()
                time.sleep(every)
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")

    def resume(self, stale_after: timedelta | None, failed: bool, *, quiet: bool) -> None:
        resumed = resume_stale_jobs(stale_after, failed=failed)
        if not resumed:
            if not quiet:
                self.stdout.write("No job to resume.")
            return
        for job in Job.objects.filter(pk__in=resumed).order_by("pk"):
            total = "?" if job.total is None else job.total
            self.stdout.write(f"Queued job {job.pk} again ({job}): {job.done} of {total} done.")
        self.stdout.write(self.style.SUCCESS(f"Resumed {len(resumed)} job(s)."))
