"""A run whose one answer covers the whole selection: :class:`DigestRun`, by map-reduce.

**Table**: the selection is first counted and measured by the database
(:func:`~toolkit.ai.runs.table.selection_table`); the model is given that table with
the records and writes a few sentences over it, which are checked against both
(:mod:`toolkit.ai.grounding`). **Plan**: the records are packed into chunks that fit
``max_input_chars``. **Send** (map): each chunk is summarised, with bounded
concurrency. Reduce: the chunk reports are combined, in as many rounds as their size
needs, into one. **Store**: one insight
(kind "digest", no ``object_id``) holds the answer, the table (``data["table"]``), the
records it covered (``data["covered"]``), ``record_count`` and ``scope`` (the filters
and search it covered). When a request fails, the digest is stored ``failed``
with the reason, and nothing else. A digest is never cached: each run asks again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from django.db import models

from toolkit.ai.client import ChatRequest, Client
from toolkit.ai.conf import conf
from toolkit.ai.models import Insight, InsightStatus
from toolkit.ai.prompts import hash_json, messages_chars, messages_text
from toolkit.ai.runs.base import Records, Run, RunAction, RunOptions
from toolkit.ai.runs.grounding import field_labels, ground_digest_answer, selection_values
from toolkit.ai.runs.report import RunReport
from toolkit.ai.runs.table import selection_table
from toolkit.ai.sources import BATCH_SIZE, AISource, RecordPayload
from toolkit.exceptions import AIError
from toolkit.pk_batches import batched

__all__ = ["COVERED_IDS", "DigestRun"]

#: Record ids a digest lists as covered (the count and the scope say the rest).
COVERED_IDS = 500


class DigestAction(RunAction, Protocol):
    """What a digest asks of its action besides what every run does."""

    @property
    def max_sentences(self) -> int | None: ...
    def get_chunk_messages(
        self,
        payloads: Sequence[RecordPayload],
        total: int,
        source: AISource,
        table: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]: ...
    def get_combine_messages(
        self,
        parts: Sequence[dict[str, Any]],
        total: int,
        source: AISource,
        table: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]: ...


class _DigestError(Exception):
    """A digest that cannot be made; its message is stored on the failed insight."""


class DigestRun(Run):
    """One report across the records; answered, it counts them all, failed, none."""

    per_record = False
    action: DigestAction

    def __init__(
        self, action: DigestAction, source: AISource, records: Records, options: RunOptions
    ) -> None:
        super().__init__(action, source, records, options)
        if isinstance(records, models.QuerySet) and not records.query.is_sliced:
            self.selection: models.QuerySet[Any] = records
        else:
            pk_list = list(self.pks)
            self.pks = iter(pk_list)
            self.selection = source.model._default_manager.filter(pk__in=pk_list)
        #: The selection in numbers, computed before anything is sent.
        self.table: dict[str, Any] = {}
        #: What was sent of each record, to check the answer against.
        self.sent_data: list[dict[str, Any]] = []
        self.covered: list[str] = []
        self.finish_reason: str | None = None
        #: The stored digest, once :meth:`execute` has run.
        self.insight: Insight | None = None
        # The prompt stored (as a hash, or in full) is the last one sent.
        self._last_messages: list[dict[str, Any]] = []
        self._latency = 0.0

    @classmethod
    def job_chunk_size(cls, total: int | None) -> int:
        """The whole selection: the map-reduce needs every record at once."""
        return max(1, total or conf.AI_MAX_RECORDS)

    def execute(self) -> RunReport:
        with self.reserved():
            insight = self.new_insight()
            insight.record_count = self.count
            insight.scope = self.options.scope or {}
            with self.connected() as client:
                try:
                    self.table = selection_table(self.source, self.selection)
                    chunks = self.plan()
                    parts = self.send(client, chunks)
                    answer = self.reduce(client, parts)
                    self.action.handle_answer(insight, answer)
                    self.ground(insight, answer)
                    insight.status = InsightStatus.OK
                except (AIError, _DigestError) as exc:
                    insight.status = InsightStatus.FAILED
                    insight.error = str(exc) or type(exc).__name__
            self.store(insight)
        return self.report

    def ground(self, insight: Insight, answer: Any) -> None:
        """Keep the table and the records covered with the answer, and check its
        sentences against them (repeats and a cut-off end dropped)."""
        answer = answer if isinstance(answer, dict) else {}
        sent = selection_values(self.source, self.sent_data, self.table, field_labels(self.source))
        ground_digest_answer(
            insight,
            sent,
            summary=str(answer.get("summary") or ""),
            highlights=[str(item) for item in (insight.data or {}).get("highlights") or []],
            cut_off=self.finish_reason == "length",
            max_sentences=self.action.max_sentences,
        )
        insight.data = {
            **insight.data,
            "table": self.table,
            "covered": {"ids": self.covered[:COVERED_IDS], "count": self.count},
        }

    def plan(self) -> list[list[RecordPayload]]:
        """The records packed into chunks whose prompts fit ``max_input_chars``."""
        source = self.source
        chunks: list[list[RecordPayload]] = []
        current: list[RecordPayload] = []
        for pks in batched(self.pks, BATCH_SIZE):
            for payload in source.payloads_for_pks(pks):
                self.sent_data.append(payload.data)
                self.covered.append(payload.pk)
                candidate = [*current, payload]
                chars = messages_chars(
                    self.action.get_chunk_messages(candidate, self.count, source, self.table)
                )
                if chars <= source.max_input_chars:
                    current = candidate
                    continue
                if not current:
                    raise _DigestError(
                        f"{source.label} {payload.pk} alone makes a prompt of {chars:,} "
                        f"characters, more than the {source.max_input_chars:,} allowed "
                        "(TOOLKIT_AI_MAX_INPUT_CHARS)."
                    )
                chunks.append(current)
                current = [payload]
        if current:
            chunks.append(current)
        if not chunks:
            raise _DigestError("The selection holds no records to summarise.")
        return chunks

    def send(self, client: Client, chunks: list[list[RecordPayload]]) -> list[dict[str, Any]]:
        """Map: each chunk's report, as ``{"records": n, "answer": {...}}``."""
        self.report.sent = self.count
        answers = self.ask(
            client,
            [
                self.action.get_chunk_messages(chunk, self.count, self.source, self.table)
                for chunk in chunks
            ],
        )
        return [
            {"records": len(chunk), "answer": answer}
            for chunk, answer in zip(chunks, answers, strict=True)
        ]

    def reduce(self, client: Client, parts: list[dict[str, Any]]) -> Any:
        """Combine reports in groups that fit, until one is left; return its answer."""
        source = self.source
        while len(parts) > 1:
            groups: list[list[dict[str, Any]]] = []
            pending: list[dict[str, Any]] = []
            for part in parts:
                joined = [*pending, part]
                chars = messages_chars(
                    self.action.get_combine_messages(joined, self.count, source, self.table)
                )
                if chars <= source.max_input_chars or not pending:
                    pending = joined
                else:
                    groups.append(pending)
                    pending = [part]
            groups.append(pending)
            if len(groups) == len(parts):
                # No two reports fit one prompt: combining cannot shrink them further.
                raise _DigestError(
                    "The chunk reports are too long to combine within "
                    f"{source.max_input_chars:,} characters (TOOLKIT_AI_MAX_INPUT_CHARS)."
                )
            answers = self.ask(
                client,
                [
                    self.action.get_combine_messages(members, self.count, source, self.table)
                    for members in groups
                ],
            )
            parts = [
                {"records": sum(part["records"] for part in members), "answer": answer}
                for members, answer in zip(groups, answers, strict=True)
            ]
        return parts[0]["answer"]

    def ask(self, client: Client, prompts: list[list[dict[str, Any]]]) -> list[Any]:
        """The answers to ``prompts``, in their order; raises the first AIError."""
        requests = []
        for index, messages in enumerate(prompts):
            self._last_messages = messages
            requests.append(
                ChatRequest(
                    messages,
                    schema=self.action.get_schema(),
                    schema_name=self.action.name,
                    max_tokens=self.action.max_tokens,
                    key=index,
                )
            )
        answers: dict[int, Any] = {}
        for outcome in client.complete_many(requests):
            if outcome.error is not None:
                raise outcome.error
            completion = outcome.completion
            assert completion is not None
            self.report.requests += 1
            self.report.tokens_in += completion.usage.prompt_tokens
            self.report.tokens_out += completion.usage.completion_tokens
            self._latency += completion.latency
            self.finish_reason = completion.finish_reason
            answers[outcome.request.key] = completion.data
        return [answers[index] for index in range(len(requests))]

    def store(self, insight: Insight) -> None:
        """Save the digest with what it cost, and count its records on the report."""
        report = self.report
        last_messages = self._last_messages
        insight.tokens_in = report.tokens_in
        insight.tokens_out = report.tokens_out
        insight.latency_ms = round(self._latency * 1000)
        insight.prompt_hash = hash_json(last_messages) if last_messages else ""
        if conf.AI_STORE_PROMPTS and last_messages:
            insight.prompt = messages_text(last_messages)
        insight.make_storable()
        insight.save()
        self.insight = insight
        report.insights.append(insight)
        if insight.is_ok:
            report.ok = self.count
        else:
            report.failed = self.count
            report.add_error(insight.error)
