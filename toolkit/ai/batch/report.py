"""What a batch run tells its operator: the totals, the errors, and the exit status."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.core.management.base import CommandError, OutputWrapper
from django.core.management.color import Style

from toolkit.ai.batch.interrupt import INTERRUPTED_STATUS
from toolkit.ai.runs import RunReport

__all__ = ["FAILED_STATUS", "Console", "Totals", "report_totals"]

#: Exit status when any record failed.
FAILED_STATUS = 1


@dataclass(frozen=True)
class Console:
    """Where a batch run writes (the command's streams and style), and how much."""

    stdout: OutputWrapper
    stderr: OutputWrapper
    style: Style
    #: Seconds between two progress lines when the output is not a terminal.
    log_interval: float = 5.0
    #: Distinct error messages listed at the end of a run with failures.
    errors_shown: int = 5


@dataclass(frozen=True)
class Totals:
    """What a run did, as its operator reads it: the counts of its
    :class:`~toolkit.ai.runs.RunReport` (an empty one when the run reported nothing)."""

    report: RunReport = field(default_factory=RunReport)

    @classmethod
    def of(cls, report: RunReport | None) -> Totals:
        return cls(report if report is not None else RunReport())

    @property
    def done(self) -> int:
        """Records that ended: sent ones end ok or failed, refused ones failed."""
        return self.report.cached + self.report.ok + self.report.failed

    @property
    def tokens(self) -> int:
        return self.report.tokens_in + self.report.tokens_out

    @property
    def errors(self) -> Counter[str]:
        """The report's errors, alike ones counted together."""
        # "product 12: The endpoint ..." -> "The endpoint ..."
        return Counter(message.split(": ", 1)[-1] for message in self.report.errors)

    def line(self) -> str:
        report = self.report
        return (
            f"{report.sent:,} sent, {report.cached:,} cached, {report.failed:,} failed, "
            f"{self.tokens:,} tokens"
        )


def report_totals(
    console: Console,
    action_name: str,
    totals: Totals,
    total: int,
    elapsed: float,
    interrupted: bool,
) -> None:
    """Write the totals and the most common errors; raise ``CommandError`` with the
    exit status when the run was interrupted (130) or any record failed (1)."""
    report = totals.report
    console.stdout.write(
        f"{'Interrupted' if interrupted else 'Done'}: {totals.done:,} of {total:,} "
        f"records in {elapsed:.1f} s: {report.sent:,} sent, {report.cached:,} cached, "
        f"{report.failed:,} failed; "
        f"{report.requests:,} requests, {totals.tokens:,} tokens "
        f"({report.tokens_in:,} in, {report.tokens_out:,} out)."
    )
    if report.cached:
        console.stdout.write(
            "Cached records are unchanged since their last answer (same input, model "
            "and prompt version); --force sends them again."
        )
    errors = totals.errors
    if errors:
        kept = sum(errors.values())
        console.stderr.write(
            "Errors"
            + (f" (of the first {kept:,} failed records)" if kept < report.failed else "")
            + ", retried by running the same command again:"
        )
        for message, count in errors.most_common(console.errors_shown):
            console.stderr.write(f"  {count:,} x {message}")
        others = len(errors) - console.errors_shown
        if others > 0:
            console.stderr.write(f"  ... and {others:,} other errors.")
    if interrupted:
        raise CommandError(
            f"Interrupted after {totals.done:,} of {total:,} records. Run the same "
            "command again to finish: records already answered are not sent again.",
            returncode=INTERRUPTED_STATUS,
        )
    if report.failed:
        raise CommandError(
            f"{report.failed:,} of {total:,} records failed. Run the same command again "
            "to retry them: records already answered are not sent again.",
            returncode=FAILED_STATUS,
        )
    console.stdout.write(console.style.SUCCESS(f"{action_name}: all {total:,} records done."))
