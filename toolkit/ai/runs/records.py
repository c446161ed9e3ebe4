"""A run that answers for each record: :class:`RecordRun`.

What one run does, batch by batch (:data:`~toolkit.ai.sources.BATCH_SIZE` records,
a constant number of queries each):

1. **plan**: builds the records' payloads (:class:`~toolkit.ai.sources.AISource`) and,
   for actions that use facts, the rule and peer-statistics findings, and hashes each
   record's input (action, prompt version, LLM model, data, facts);
2. **cache**: skips records whose newest insight is ok with the same hash, unless
   ``force`` (a record whose newest answer failed is sent again);
3. packs the rest ``records_per_prompt`` to a request, within ``max_input_chars`` (a
   record whose prompt alone is longer fails with that reason: nothing is cut);
4. **send**: sends the requests with bounded concurrency, reading ahead as many as are
   in flight;
5. **store**: writes, for each request, all its records' insights together once its
   answer (or its failure) is in (:mod:`~toolkit.ai.runs.store`).

So every record ends ``ok``, ``failed`` with a readable error, or skipped as cached;
an interrupted run leaves whole requests stored or none, and a re-run sends exactly the
records whose newest insight is not an ok one for their current input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models.functions import Cast
from django.utils.formats import number_format
from django.utils.translation import gettext

from toolkit.ai.client import ChatRequest, Completion, Outcome
from toolkit.ai.conf import conf
from toolkit.ai.models import Insight, InsightStatus
from toolkit.ai.prompts import hash_json, messages_chars, messages_text
from toolkit.ai.runs.base import Records, Run, RunAction, RunOptions
from toolkit.ai.runs.facts import findings, input_hash
from toolkit.ai.runs.grounding import ground_record_answer, payload_values
from toolkit.ai.runs.report import DryRun, RunReport
from toolkit.ai.runs.store import InsightWriter
from toolkit.ai.sources import BATCH_SIZE, AISource, RecordPayload
from toolkit.pk_batches import batched

__all__ = ["FIRST_BATCH_SIZE", "RecordRun"]

#: Records of the first batch a run reads (then 4x that, up to ``BATCH_SIZE``), so the
#: first request goes out before 200 records are read.
FIRST_BATCH_SIZE = 12


@dataclass
class Unit:
    """One request: its records and messages."""

    payloads: list[RecordPayload]
    messages: list[dict[str, Any]]
    #: The answer is the list form (several records per prompt).
    batch: bool = False


class RecordRun(Run):
    """One answer per record, stored as one insight per record.

    With ``records_per_prompt`` k > 1, k records share a request and the answer is a
    list keyed by record id; a record the answer leaves out fails with that reason.
    """

    per_record = True

    def __init__(
        self, action: RunAction, source: AISource, records: Records, options: RunOptions
    ) -> None:
        if options.records_per_prompt < 1:
            raise ValueError("records_per_prompt must be at least 1.")
        super().__init__(action, source, records, options)
        self.batch = options.records_per_prompt > 1
        self.statistics = action.get_statistics(source) if action.uses_facts else None
        self.schema = action.get_batch_schema() if self.batch else action.get_schema()
        # Requests handed to the client, and whether the plan ran to its end: requests
        # are counted as they are answered (or fail), so read-ahead requests that a
        # stop kept from being sent show as the difference.
        self.planned = 0
        self.exhausted = False

    def execute(self) -> RunReport:
        if self.options.dry_run:
            return self.count_only()
        options = self.options
        with self.reserved(), self.connected() as client:
            writer = InsightWriter(
                self.report,
                group_requests=client.concurrency,
                keep_insights=options.keep_insights,
                on_progress=options.on_progress,
            )
            try:
                # Twice the concurrency is read ahead, so a thread that finishes starts
                # its next request while this thread stores answers or reads the next
                # batch of records.
                for outcome in client.complete_many(
                    self.requests(), read_ahead=client.concurrency, should_stop=options.should_stop
                ):
                    writer.add(self.store(outcome))
            finally:
                writer.close()
        should_stop = options.should_stop
        self.report.stopped = self.planned > self.report.requests or (
            not self.exhausted and should_stop is not None and should_stop()
        )
        return self.report

    def estimate(self) -> DryRun:
        """What a run would send: the counts of this dry run (``RunOptions(dry_run=True)``)."""
        if not self.options.dry_run:
            raise ValueError("estimate() counts a dry run: pass RunOptions(dry_run=True).")
        report = self.count_only()
        per_request = self.action.max_tokens or self.endpoint.max_tokens
        if self.batch:
            per_request *= self.options.records_per_prompt
        return DryRun(
            count=report.records,
            cached=report.cached,
            requests=report.requests,
            characters=report.characters,
            estimated_tokens=report.estimated_tokens,
            max_completion_tokens=report.requests * per_request,
        )

    def count_only(self) -> RunReport:
        """The dry run: plan every request and count it; send and store nothing."""
        should_stop = self.options.should_stop
        for unit in self.plan():
            if should_stop is not None and should_stop():
                self.report.stopped = True
                break
            self.report.requests += 1
            self.report.characters += messages_chars(unit.messages)
        return self.report

    # -- plan --------------------------------------------------------------------------

    def plan(self) -> Iterator[Unit]:
        """The requests to send, records packed ``records_per_prompt`` to one.

        A group of records for one prompt may span batches, so k records per prompt
        make N/k requests whatever the batch sizes.
        """
        source = self.source
        packer = _Packer(self.options.records_per_prompt, source.max_input_chars, self.messages)
        for pks in batched(self.pks, BATCH_SIZE, first=FIRST_BATCH_SIZE):
            payloads = self.payloads(pks)
            cached = self.cached(payloads)
            for payload in payloads:
                if payload.pk in cached:
                    self.report.cached += 1
                    if self.options.keep_insights:
                        self.report.insights.append(cached[payload.pk])
                    continue
                alone = self.messages([payload])
                if messages_chars(alone) > source.max_input_chars:
                    self.refuse(
                        payload,
                        gettext(
                            "Its prompt would be %(count)s characters, more than the "
                            "%(limit)s allowed (TOOLKIT_AI_MAX_INPUT_CHARS); send fewer "
                            "fields or related rows, or raise the limit."
                        )
                        % {
                            "count": number_format(messages_chars(alone), force_grouping=True),
                            "limit": number_format(source.max_input_chars, force_grouping=True),
                        },
                    )
                    continue
                yield from packer.add(payload, alone)
        yield from packer.finish()

    def payloads(self, pks: list[Any]) -> list[RecordPayload]:
        """The payloads of ``pks`` with their facts and input hashes."""
        payloads = self.source.payloads_for_pks(pks)
        facts = findings(self.action, self.source, pks, self.statistics)
        for payload in payloads:
            payload.facts = facts.get(payload.pk, [])
            payload.input_hash = input_hash(self.action, self.endpoint, payload)
        return payloads

    def messages(self, payloads: list[RecordPayload]) -> list[dict[str, Any]]:
        return self.action.get_batch_messages(payloads, self.source, batch=self.batch)

    def refuse(self, payload: RecordPayload, error: str) -> None:
        """Fail a record without sending it (its prompt alone is too long)."""
        self.report.failed += 1
        self.report.add_error(f"{self.source.label} {payload.pk}: {error}")
        if self.options.dry_run:
            return
        insight = self.new_insight()
        insight.object_id = payload.pk
        insight.input_hash = payload.input_hash
        insight.status = InsightStatus.FAILED
        insight.error = error
        self.action.handle_failure(insight, payload)
        insight.make_storable()
        insight.save()
        if self.options.keep_insights:
            self.report.insights.append(insight)

    # -- cache -------------------------------------------------------------------------

    def cached(self, payloads: list[RecordPayload]) -> dict[str, Insight]:
        """The ok insights of ``payloads`` whose input is unchanged, by record id.

        The newest answer decides: after a failed run (a forced "Run again" included)
        the record is sent again, even if an older answer for the same input was ok.
        """
        if self.options.force or not payloads:
            return {}
        by_pk = {payload.pk: payload for payload in payloads}
        newest = Insight.objects.filter(
            content_type=self.content_type,
            action=self.action.name,
            object_id=models.OuterRef("object_id"),
        ).order_by("-created_at", "-pk")
        latest = Insight.objects.filter(
            content_type=self.content_type, action=self.action.name, object_id__in=list(by_pk)
        ).filter(pk=models.Subquery(newest.values("pk")[:1]))
        return {
            insight.object_id: insight
            for insight in latest
            if insight.is_ok and insight.input_hash == by_pk[insight.object_id].input_hash
        }

    # -- send --------------------------------------------------------------------------

    def requests(self) -> Iterator[ChatRequest]:
        """The plan as requests for the client, read as the client needs them."""
        per_request = self.action.max_tokens
        for unit in self.plan():
            self.planned += 1
            yield ChatRequest(
                unit.messages,
                schema=self.schema,
                schema_name=self.action.name,
                max_tokens=(
                    (per_request or self.endpoint.max_tokens) * len(unit.payloads)
                    if self.batch
                    else per_request
                ),
                key=unit,
            )
        self.exhausted = True

    # -- store -------------------------------------------------------------------------

    def store(self, outcome: Outcome) -> list[Insight]:
        """The (unsaved) insights of one request's records, counted on the report."""
        report = self.report
        unit: Unit = outcome.request.key
        count = len(unit.payloads)
        report.sent += count
        report.requests += 1
        report.characters += messages_chars(unit.messages)
        completion = outcome.completion
        store_prompt = conf.AI_STORE_PROMPTS
        prompt_hash = hash_json(unit.messages)
        answers = _answers_by_id(unit, completion) if completion is not None else {}
        if completion is not None:
            report.tokens_in += completion.usage.prompt_tokens
            report.tokens_out += completion.usage.completion_tokens
        insights = []
        for index, payload in enumerate(unit.payloads):
            insight = self.new_insight()
            insight.object_id = payload.pk
            insight.input_hash = payload.input_hash
            insight.prompt_hash = prompt_hash
            if store_prompt:
                insight.prompt = messages_text(unit.messages)
            if completion is not None:
                insight.model = completion.model or insight.model
                insight.tokens_in = _split(completion.usage.prompt_tokens, count, index)
                insight.tokens_out = _split(completion.usage.completion_tokens, count, index)
                insight.latency_ms = round(completion.latency * 1000)
            answer = answers.get(payload.pk)
            if outcome.error is not None:
                error = str(outcome.error) or type(outcome.error).__name__
            elif answer is None:
                error = (
                    "The model's answer had no entry for this record (it answered for "
                    f"{len(answers)} of the {count} records sent together)."
                )
            else:
                error = ""
            if error:
                insight.status = InsightStatus.FAILED
                insight.error = error
                self.action.handle_failure(insight, payload)
                report.failed += 1
                report.add_error(f"{self.source.label} {payload.pk}: {error}")
            else:
                assert answer is not None
                self.action.handle_answer(insight, answer, payload)
                # Its text checked against what was sent: unverified sentences are
                # marked. (Model flags are the anomaly action's to check, in its
                # handle_answer, against the same values.)
                ground_record_answer(
                    insight,
                    payload_values(self.source.model, payload),
                    cut_off=completion is not None
                    and completion.finish_reason == "length"
                    and not unit.batch,
                )
                insight.status = InsightStatus.OK
                report.ok += 1
            insight.make_storable()
            insights.append(insight)
        return insights

    # -- in a job ----------------------------------------------------------------------

    @classmethod
    def stored_about(
        cls, insights: models.QuerySet[Insight], objects: models.QuerySet[Any] | Sequence[Any]
    ) -> models.QuerySet[Insight]:
        if isinstance(objects, models.QuerySet):
            ids: Any = objects.order_by().values_list(Cast("pk", models.CharField()), flat=True)
        else:
            ids = [str(obj.pk) for obj in objects]
        return insights.filter(object_id__in=ids)

    @classmethod
    def left_to_send(
        cls, objects: models.QuerySet[Any] | Sequence[Any], stored: dict[str, Insight]
    ) -> models.QuerySet[Any] | Sequence[Any] | None:
        if isinstance(objects, models.QuerySet):
            pks = [pk for pk in objects.values_list("pk", flat=True) if str(pk) not in stored]
            return objects.filter(pk__in=pks) if pks else None
        left = [obj for obj in objects if str(obj.pk) not in stored]
        return left or None


class _Packer:
    """Packs records into requests of up to ``per_prompt``, within ``max_chars``."""

    def __init__(
        self,
        per_prompt: int,
        max_chars: int,
        render: Callable[[list[RecordPayload]], list[dict[str, Any]]],
    ) -> None:
        self.per_prompt = per_prompt
        self.max_chars = max_chars
        self.render = render
        self.batch = per_prompt > 1
        self.group: list[RecordPayload] = []
        self.messages: list[dict[str, Any]] = []

    def add(self, payload: RecordPayload, alone: list[dict[str, Any]]) -> Iterator[Unit]:
        """Add a record (``alone``: its messages by itself); yield the requests it fills."""
        if self.group:
            candidate = [*self.group, payload]
            if len(candidate) <= self.per_prompt:
                messages = self.render(candidate)
                if messages_chars(messages) <= self.max_chars:
                    self.group, self.messages = candidate, messages
                    return
            yield Unit(self.group, self.messages, self.batch)
        self.group, self.messages = [payload], alone
        if len(self.group) >= self.per_prompt:
            yield Unit(self.group, self.messages, self.batch)
            self.group = []

    def finish(self) -> Iterator[Unit]:
        if self.group:
            yield Unit(self.group, self.messages, self.batch)


def _answers_by_id(unit: Unit, completion: Completion) -> dict[str, dict[str, Any] | None]:
    data = completion.data
    if not unit.batch:
        return {unit.payloads[0].pk: data if isinstance(data, dict) else None}
    answers: dict[str, dict[str, Any] | None] = {}
    for item in (data or {}).get("records") or []:
        if isinstance(item, dict):
            answer = dict(item)
            answers.setdefault(str(answer.pop("id", "")), answer)
    return answers


def _split(total: int, parts: int, index: int) -> int:
    """``total`` shared by ``parts``: the remainder goes to the first ones."""
    share, rest = divmod(total, parts)
    return share + (1 if index < rest else 0)
