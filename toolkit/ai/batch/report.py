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


@dataclass
class Totals:
    """What a run did, from its :class:`~toolkit.ai.runs.RunReport`."""

    done: int = 0
    sent: int = 0
    cached: int = 0
    failed: int = 0
    requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, report: RunReport | None) -> Totals:
        if report is None:
            return cls()
        errors: Counter[str] = Counter()
        for message in report.errors:
            # "product 12: The endpoint ..." -> the error, to count alike ones together.
            errors[message.split(": ", 1)[-1]] += 1
        return cls(
            # Sent records end ok or failed; records refused before sending end failed.
            done=report.cached + report.ok + report.failed,
            sent=report.sent,
            cached=report.cached,
            failed=report.failed,
            requests=report.requests,
            tokens_in=report.tokens_in,
            tokens_out=report.tokens_out,
            errors=errors,
        )

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out

    def line(self) -> str:
        return (
            f"{self.sent:,} sent, {self.cached:,} cached, {self.failed:,} failed, "
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
    console.stdout.write(
        f"{'Interrupted' if interrupted else 'Done'}: {totals.done:,} of {total:,} "
        f"records in {elapsed:.1f} s: {totals.sent:,} sent, {totals.cached:,} cached, "
        f"{totals.failed:,} failed; "
        f"{totals.requests:,} requests, {totals.tokens:,} tokens "
        f"({totals.tokens_in:,} in, {totals.tokens_out:,} out)."
    )
    if totals.cached:
        console.stdout.write(
            "Cached records are unchanged since their last answer (same input, model "
            "and prompt version); --force sends them again."
        )
    if totals.errors:
        kept = sum(totals.errors.values())
        console.stderr.write(
            "Errors"
            + (f" (of the first {kept:,} failed records)" if kept < totals.failed else "")
            + ", retried by running the same command again:"
        )
        for message, count in totals.errors.most_common(console.errors_shown):
            console.stderr.write(f"  {count:,} x {message}")
        others = len(totals.errors) - console.errors_shown
        if others > 0:
            console.stderr.write(f"  ... and {others:,} other errors.")
    if interrupted:
        raise CommandError(
            f"Interrupted after {totals.done:,} of {total:,} records. Run the same "
            "command again to finish: records already answered are not sent again.",
            returncode=INTERRUPTED_STATUS,
        )
    if totals.failed:
        raise CommandError(
            f"{totals.failed:,} of {total:,} records failed. Run the same command again "
            "to retry them: records already answered are not sent again.",
            returncode=FAILED_STATUS,
        )
    console.stdout.write(console.style.SUCCESS(f"{action_name}: all {total:,} records done."))
