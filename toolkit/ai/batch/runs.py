"""A batch run of ``ai_summarize``: the action over a whole table, with progress,
Ctrl-C and the operator's report.

The run itself is the action's own (:mod:`toolkit.ai.runs`): a batch adds what a person
at a terminal needs around it. :func:`batch_for` picks the batch class that fits the
action's run class from :data:`BATCH_CLASSES`: one answer per record
(:class:`RecordBatch`) or one digest of them all (:class:`DigestBatch`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.management.base import CommandError
from django.db import models

from toolkit.ai.actions import AIAction
from toolkit.ai.batch.interrupt import INTERRUPTED_STATUS, Interrupt
from toolkit.ai.batch.progress import Progress
from toolkit.ai.batch.report import FAILED_STATUS, Console, Totals, report_totals
from toolkit.ai.client import Client
from toolkit.ai.endpoints import EndpointConfig
from toolkit.ai.limits import release, reserve
from toolkit.ai.models import AIReservation
from toolkit.ai.runner import estimate
from toolkit.ai.runs import (
    CHARS_PER_TOKEN,
    DigestRun,
    RecordRun,
    Run,
    RunOptions,
    RunReport,
    findings,
)
from toolkit.ai.sources import AISource
from toolkit.exceptions import AILimitExceeded
from toolkit.pk_batches import pk_pages

__all__ = ["BATCH_CLASSES", "Batch", "BatchPlan", "DigestBatch", "RecordBatch", "batch_for"]


@dataclass(frozen=True)
class BatchPlan:
    """What a batch run works on, and how, as the command line said."""

    action: AIAction
    source: AISource
    queryset: models.QuerySet[Any]
    endpoint: EndpointConfig
    #: How many records the queryset holds.
    total: int
    #: Requests in flight at once.
    concurrency: int
    records_per_prompt: int = 1
    force: bool = False
    #: Whose daily limit the records count against (``--user``); ``None``: the site's.
    user: Any = None
    #: The options that chose the records, stored on a digest.
    scope: dict[str, Any] = field(default_factory=dict)


class Batch:
    """The base of batch runs: the plan, where to write, and the records reserved."""

    #: The runs of the actions this batch runs.
    run_class: ClassVar[type[Run]] = Run

    def __init__(self, plan: BatchPlan, console: Console) -> None:
        self.plan = plan
        self.console = console

    @property
    def label(self) -> str:
        return str(self.plan.queryset.model._meta.verbose_name_plural)

    def run(self) -> None:
        """Send the records and report; raise ``CommandError`` with the exit status."""
        raise NotImplementedError(f"{type(self).__name__} must define run().")

    def dry_run(self) -> None:
        """Say what would be sent; send and store nothing."""
        raise NotImplementedError(f"{type(self).__name__} must define dry_run().")

    def reserve(self) -> AIReservation | None:
        """Reserve the run's records against ``--user``'s daily limit, or say why not.

        ``TOOLKIT_AI_MAX_RECORDS`` caps what a person selects in the admin; a batch run
        is as large as its operator makes it, so only the daily limit applies here.
        """
        if self.plan.user is None:
            return None
        try:
            return reserve(self.plan.user, self.plan.total, per_run=False)
        except AILimitExceeded as exc:
            raise CommandError(f"{exc} Nothing was sent (--limit sends fewer).") from None

    def options(self, **more: Any) -> RunOptions:
        """The run's options: on behalf of ``--user``, reserved by the batch already."""
        return RunOptions(
            user=self.plan.user,
            enforce_limits=False,
            endpoint=self.plan.endpoint,
            concurrency=self.plan.concurrency,
            **more,
        )


class RecordBatch(Batch):
    """One answer per record, streamed over the whole queryset."""

    run_class = RecordRun
    #: Records per batch of a dry run (progress and Ctrl-C come between batches).
    dry_run_batch_size: ClassVar[int] = 5000

    def run(self) -> None:
        """Send the records: one streaming run over the whole queryset.

        The run walks the queryset in primary-key batches itself and keeps
        ``concurrency`` requests in flight from the first record to the last (no pause
        between batches); with ``keep_insights=False`` it holds no insight in memory,
        so a million records cost what a thousand do.
        """
        plan, console = self.plan, self.console
        endpoint = plan.endpoint
        per_prompt = plan.records_per_prompt
        console.stdout.write(
            f"{plan.action.name}: {plan.total:,} {self.label} to endpoint {endpoint.name!r} "
            f"(model {endpoint.model}), {plan.concurrency} request(s) at a time"
            + (f", {per_prompt} records per request" if per_prompt > 1 else "")
            + (", forced" if plan.force else "")
            + "."
        )
        progress = Progress(console, plan.total)
        interrupt = Interrupt(
            lambda: progress.message(
                "Stopping: waiting for the answers in flight, to store them (Ctrl-C again "
                "to abandon them)..."
            )
        )
        started = time.monotonic()
        interrupted = False
        report: RunReport | None = None
        reservation = self.reserve()
        try:
            with Client(endpoint, concurrency=plan.concurrency) as client, interrupt:
                options = self.options(
                    client=client,
                    force=plan.force,
                    records_per_prompt=per_prompt,
                    on_progress=progress.update_report,
                    keep_insights=False,
                    should_stop=lambda: interrupt.requested,
                )
                report = plan.action.new_run(plan.source, plan.queryset, options).execute()
            # A Ctrl-C after the last request went out stopped nothing: the run is done.
            interrupted = report.stopped
        except KeyboardInterrupt:
            interrupted = True
            report = progress.last_report  # the run's own report, as far as it got
        finally:
            progress.close()
            if reservation is not None:
                release(reservation, answered=report.ok if report is not None else 0)
        elapsed = time.monotonic() - started
        report_totals(
            console, plan.action.name, Totals.of(report), plan.total, elapsed, interrupted
        )

    def dry_run(self) -> None:
        """Print what would be sent and an estimate; send and store nothing.

        Walks the records in batches of :attr:`dry_run_batch_size` (so a million cost
        the memory of one batch, with progress and Ctrl-C between batches), building
        each record's prompt exactly as a real run would.
        """
        plan, console = self.plan, self.console
        source, endpoint = plan.source, plan.endpoint
        console.stdout.write(
            f"Dry run, nothing is sent: {plan.action.name} on {plan.total:,} {self.label} "
            f"for endpoint {endpoint.name!r} (model {endpoint.model})."
        )
        console.stdout.write("Fields sent: " + ", ".join(source.fields))
        for name, related in source.related.items():
            console.stdout.write(
                f"Related rows sent: {name} ({', '.join(related.fields)}; the first "
                f"{related.limit} by {related.order_by or '-pk'})"
            )
        self.show_sample()
        count = cached = requests = characters = tokens = completion = 0
        progress = Progress(console, plan.total)
        manager = plan.queryset.model._default_manager
        with Interrupt(lambda: None) as interrupt:
            for pks in pk_pages(plan.queryset, self.dry_run_batch_size):
                dry = estimate(
                    plan.action,
                    source,
                    manager.filter(pk__in=pks).order_by("pk"),
                    endpoint=endpoint,
                    records_per_prompt=plan.records_per_prompt,
                    force=plan.force,
                )
                count += dry.count
                cached += dry.cached
                requests += dry.requests
                characters += dry.characters
                tokens += dry.estimated_tokens
                completion += dry.max_completion_tokens
                progress.update_count(count, f"{cached:,} cached")
                if interrupt.requested:
                    break
        progress.close()
        console.stdout.write(
            f"Would send {count - cached:,} of {count:,} records in {requests:,} requests "
            f"({cached:,} cached). Prompts: {characters:,} characters, about {tokens:,} input "
            f"tokens ({CHARS_PER_TOKEN} characters a token); answers: at most "
            f"{completion:,} output tokens."
        )
        if cached:
            console.stdout.write(
                "Cached records are unchanged since their last answer; --force would send them too."
                if not plan.force
                else "--force: cached records are counted as sent."
            )
        if interrupt.requested:
            raise CommandError(
                f"Interrupted after {count:,} of {plan.total:,} records.",
                returncode=INTERRUPTED_STATUS,
            )

    def show_sample(self) -> None:
        """The messages of the first record, as the model would read them."""
        plan, out = self.plan, self.console.stdout
        action = plan.action
        source = action.get_source(plan.source)
        first = plan.queryset.order_by("pk").values_list("pk", flat=True).first()
        if first is None:
            return
        payloads = source.payloads_for_pks([first])
        if not payloads:
            return
        payload = payloads[0]
        statistics = action.get_statistics(source) if action.uses_facts else None
        payload.facts = findings(action, source, [first], statistics).get(payload.pk, [])
        out.write(f"Sample: the prompt of record {payload.pk}, as it would be sent:")
        for message in action.get_batch_messages([payload], source):
            out.write(f"--- {message['role']} ---")
            out.write(str(message["content"]))
        out.write("---")


class DigestBatch(Batch):
    """One digest of all the records, by map-reduce, printed and stored."""

    run_class = DigestRun

    def run(self) -> None:
        """One report over all the records (map-reduce), stored as a digest insight."""
        plan, console = self.plan, self.console
        endpoint = plan.endpoint
        console.stdout.write(
            f"{plan.action.name}: one digest of {plan.total:,} {self.label} from endpoint "
            f"{endpoint.name!r} (model {endpoint.model})..."
        )
        started = time.monotonic()
        reservation = self.reserve()
        report: RunReport | None = None
        try:
            options = self.options(scope={"command": "ai_summarize", **plan.scope})
            report = plan.action.new_run(plan.source, plan.queryset, options).execute()
        finally:
            if reservation is not None:
                release(reservation, answered=report.ok if report is not None else 0)
        elapsed = time.monotonic() - started
        insight = report.insights[0]
        tokens = insight.tokens_in + insight.tokens_out
        if not insight.is_ok:
            raise CommandError(
                f"The digest of {plan.total:,} {self.label} failed after {elapsed:.1f} s: "
                f"{insight.error} Run the same command again to retry.",
                returncode=FAILED_STATUS,
            )
        console.stdout.write(insight.text)
        console.stdout.write(
            console.style.SUCCESS(
                f"Digest of {insight.record_count:,} {self.label} stored as insight "
                f"{insight.pk} in {elapsed:.1f} s ({tokens:,} tokens)."
            )
        )

    def dry_run(self) -> None:
        plan, out = self.plan, self.console.stdout
        out.write(
            f"Dry run, nothing is sent: {plan.action.name} would write one digest of "
            f"{plan.total:,} {self.label} for endpoint {plan.endpoint.name!r} (model "
            f"{plan.endpoint.model}), summarising them in prompts of at most "
            f"{plan.source.max_input_chars:,} characters and combining those summaries."
        )
        out.write("Fields sent: " + ", ".join(plan.source.fields))


#: Batch classes, tried in order: the first whose ``run_class`` the action's run class
#: is (a subclass of) runs it.
BATCH_CLASSES: list[type[Batch]] = [DigestBatch, RecordBatch]


def batch_for(plan: BatchPlan, console: Console) -> Batch:
    """The batch run for ``plan``'s action, by the kind of run the action makes."""
    run_class = plan.action.run_class
    for batch_class in BATCH_CLASSES:
        if issubclass(run_class, batch_class.run_class):
            return batch_class(plan, console)
    raise CommandError(
        f"{plan.action.name!r} runs as {run_class.__name__}, which ai_summarize cannot run."
    )
