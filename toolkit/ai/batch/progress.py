"""The progress of a batch run: a tqdm bar on a terminal, a log line every few seconds
otherwise (for logs and cron mail)."""

from __future__ import annotations

import time
from typing import Any

from toolkit.ai.batch.report import Console, Totals
from toolkit.ai.runs import RunReport

__all__ = ["Progress"]


class Progress:
    """A tqdm bar when the output is a terminal; otherwise a plain line every
    :attr:`Console.log_interval` seconds (and one at the end)."""

    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        self.total = total
        self.bar: Any = None
        self.started = self.last_log = time.monotonic()
        self.done = 0
        self.last_report: RunReport | None = None
        if console.stdout.isatty():
            from tqdm import tqdm

            self.bar = tqdm(
                total=total, unit=" records", file=console.stdout._out, dynamic_ncols=True
            )

    def message(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.console.stdout._out)
        else:
            self.console.stderr.write(text)

    def update_report(self, report: RunReport) -> None:
        """``on_progress`` of the run: the report after each group of answers is stored."""
        self.last_report = report
        totals = Totals.of(report)
        self.update_count(totals.done, totals.line())

    def update_count(self, done: int, postfix: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(postfix, refresh=False)
            self.bar.update(done - self.done)
            self.done = done
            return
        self.done = done
        now = time.monotonic()
        if now - self.last_log >= self.console.log_interval:
            self.log(now)

    def log(self, now: float) -> None:
        self.last_log = now
        percent = f" ({self.done / self.total:.0%})" if self.total else ""
        rate = self.done / max(now - self.started, 1e-9)
        postfix = Totals.of(self.last_report).line() if self.last_report else ""
        self.console.stdout.write(
            f"{self.done:,}/{self.total:,} records{percent}"
            + (f": {postfix}" if postfix else "")
            + f", {rate:,.1f} records/s"
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
