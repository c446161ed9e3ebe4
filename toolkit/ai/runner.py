"""Running an AI action over records: :func:`run_action`, :func:`run_digest`.

What one run does, batch by batch (:data:`~toolkit.ai.sources.BATCH_SIZE` records,
a constant number of queries each):

1. builds the records' payloads (:class:`~toolkit.ai.sources.AISource`) and, for
   actions that use facts, the rule and peer-statistics findings;
2. hashes each record's input (action, prompt version, LLM model, data, facts) and
   skips records whose newest insight is ok with the same hash, unless ``force`` (a
   record whose newest answer failed is sent again);
3. packs the rest ``records_per_prompt`` to a request, within ``max_input_chars``
   (a record whose prompt alone is longer fails with that reason: nothing is cut);
4. sends the requests with bounded concurrency and stores, for each request, all its
   records' insights in one transaction once its answer (or its failure) is in.

So every record ends ``ok``, ``failed`` with a readable error, or skipped as cached;
an interrupted run leaves whole requests stored or none, and a re-run sends exactly the
records whose newest insight is not an ok one for their current input. With a user,
the records are reserved against their limits first (:mod:`toolkit.ai.limits`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from toolkit.ai.actions import AIAction, SummarizeSelectionAction, resolve_action
from toolkit.ai.client import ChatRequest, Client, Completion, Outcome
from toolkit.ai.endpoints import DEFAULT_ENDPOINT, EndpointConfig, get_endpoint
from toolkit.ai.limits import check_limits, release, reserve
from toolkit.ai.models import Insight, InsightStatus
from toolkit.ai.prompts import hash_json, messages_chars, messages_text
from toolkit.ai.rules import evaluate_rules
from toolkit.ai.sources import BATCH_SIZE, AISource, RecordPayload
from toolkit.ai.statistics import PeerStatistics
from toolkit.conf import conf
from toolkit.exceptions import AIError, ToolkitConfigurationError
from toolkit.inserts import insert_rows

if TYPE_CHECKING:
    from toolkit.jobs.models import Job

__all__ = [
    "DryRun",
    "RunReport",
    "check_limits",
    "estimate",
    "findings",
    "run_action",
    "run_digest",
]

#: Characters per token, for estimates (English text and JSON average about 4).
CHARS_PER_TOKEN = 4
#: Records of the first batch a run reads (then 4x that, up to ``BATCH_SIZE``).
FIRST_BATCH_SIZE = 12
#: Stored answers are written at least this often (seconds), or per ``concurrency``.
FLUSH_SECONDS = 0.25
#: Errors kept on a report; the insights keep every one.
MAX_REPORT_ERRORS = 50


@dataclass
class RunReport:
    """What a run did. ``records`` = ``sent`` (ok or failed) + ``cached`` + refused."""

    action: str = ""
    records: int = 0
    #: Records sent to the model (their requests got an answer or failed).
    sent: int = 0
    #: Records whose answer was stored as ok.
    ok: int = 0
    #: Records skipped: an ok insight exists for the same input.
    cached: int = 0
    #: Records that ended failed (the endpoint, the answer, or a prompt too long).
    failed: int = 0
    requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    insights: list[Insight] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: Characters of the prompts sent (or, in a dry run, that would be).
    characters: int = 0
    dry_run: bool = False
    #: ``should_stop`` ended the run before every record was sent.
    stopped: bool = False

    @property
    def estimated_tokens(self) -> int:
        return math.ceil(self.characters / CHARS_PER_TOKEN)

    def add_error(self, message: str) -> None:
        if len(self.errors) < MAX_REPORT_ERRORS:
            self.errors.append(message)


@dataclass(frozen=True)
class DryRun:
    """What a run would send, for ``--dry-run``."""

    count: int
    cached: int
    requests: int
    characters: int
    estimated_tokens: int
    #: Completion tokens the requests may use at most (their ``max_tokens``).
    max_completion_tokens: int


@dataclass
class _Unit:
    """One request: its records and messages."""

    payloads: list[RecordPayload]
    messages: list[dict[str, Any]]
    #: The answer is the list form (several records per prompt).
    batch: bool = False


# -- helpers ---------------------------------------------------------------------------


def _pks_of(records: models.QuerySet[Any] | Iterable[models.Model]) -> tuple[int, Iterator[Any]]:
    """How many records there are and their primary keys, read lazily for a queryset."""
    if isinstance(records, models.QuerySet):
        if records.query.is_sliced:
            pks = list(records.values_list("pk", flat=True))
            return len(pks), iter(pks)
        return records.count(), _walk(records)
    pks = list(dict.fromkeys(record.pk for record in records))
    return len(pks), iter(pks)


def _walk(queryset: models.QuerySet[Any]) -> Iterator[Any]:
    """Primary keys of ``queryset`` in pk order, a batch per query (memory stays flat)."""
    queryset = queryset.order_by()
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        pks = list(
            dict.fromkeys(page.order_by("pk").values_list("pk", flat=True)[: BATCH_SIZE * 5])
        )
        if not pks:
            return
        yield from pks
        last = pks[-1]


def _batches(pks: Iterator[Any], size: int, start: int | None = None) -> Iterator[list[Any]]:
    """``pks`` in lists of ``size``; with ``start``, the first lists are smaller (``start``,
    then four times that, ... up to ``size``), so work on the first records can begin
    before a whole batch is read."""
    batch: list[Any] = []
    limit = min(start or size, size)
    for pk in pks:
        batch.append(pk)
        if len(batch) >= limit:
            yield batch
            batch = []
            limit = min(limit * 4, size)
    if batch:
        yield batch


def findings(
    action: AIAction,
    source: AISource,
    pks: Sequence[Any],
    statistics: PeerStatistics | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Rule and statistics flags of ``pks`` (by ``str(pk)``), computed without the model."""
    result: dict[str, list[dict[str, Any]]] = {}
    if not action.uses_facts:
        return result
    for pk, flags in evaluate_rules(source.model, source.rules, pks).items():
        result.setdefault(pk, []).extend(flags)
    if statistics is not None:
        for pk, flags in statistics.findings(pks).items():
            result.setdefault(pk, []).extend(flags)
    return result


def peer_statistics(source: AISource) -> PeerStatistics | None:
    if not source.peer_group or not source.peer_fields:
        return None
    return PeerStatistics(source.model, source.peer_group, list(source.peer_fields))


def input_hash(action: AIAction, endpoint: EndpointConfig, payload: RecordPayload) -> str:
    return hash_json(
        {
            "action": action.name,
            "version": action.prompt_version,
            "model": endpoint.model,
            "data": payload.data,
            "facts": action.facts_for_prompt(payload.facts),
        }
    )


def _endpoint(endpoint: str | EndpointConfig | None, client: Client | None) -> EndpointConfig:
    if client is not None:
        return client.endpoint
    if isinstance(endpoint, EndpointConfig):
        return endpoint
    return get_endpoint(endpoint or DEFAULT_ENDPOINT)


def _new_insight(
    action: AIAction,
    content_type: ContentType,
    endpoint: EndpointConfig,
    *,
    user: Any,
    job: Job | None,
) -> Insight:
    insight = Insight(
        content_type=content_type,
        kind=action.kind,
        action=action.name,
        endpoint=endpoint.name,
        model=endpoint.model,
        prompt_version=action.prompt_version,
        requested_by_id=user.pk if user is not None and user.is_authenticated else None,
    )
    insight.job = job
    return insight


def _split(total: int, parts: int, index: int) -> int:
    """``total`` shared by ``parts``: the remainder goes to the first ones."""
    share, rest = divmod(total, parts)
    return share + (1 if index < rest else 0)


# -- per-record runs -------------------------------------------------------------------


def run_action(
    action: str | AIAction | type[AIAction],
    source: AISource,
    records_or_queryset: models.QuerySet[Any] | Iterable[models.Model],
    *,
    user: Any = None,
    force: bool = False,
    endpoint: str | EndpointConfig | None = None,
    concurrency: int | None = None,
    records_per_prompt: int = 1,
    job: Job | None = None,
    dry_run: bool = False,
    client: Client | None = None,
    on_progress: Callable[[RunReport], None] | None = None,
    keep_insights: bool = True,
    enforce_limits: bool = True,
    should_stop: Callable[[], bool] | None = None,
) -> RunReport:
    """Run a per-record ``action`` over the records; return what happened.

    - ``user``: who asked; the insights record them and, with ``enforce_limits``,
      the run reserves its records against their limits before sending anything
      (:func:`~toolkit.ai.limits.reserve`) and, once done, gives back those that did
      not end answered. A job reserves for its records itself (``enforce_limits=False``).
    - ``force``: send records even when an ok insight exists for the same input.
    - ``records_per_prompt``: k records per request (N/k requests); the answer is then
      a list keyed by record id.
    - ``dry_run``: build and count everything, send nothing, store nothing.
    - ``client``: a :class:`~toolkit.ai.client.Client` to use (tests pass one with a
      mock transport); otherwise one is made for ``endpoint`` and closed after.
    - ``on_progress``: called with the report after each group of answers is stored.
    - ``keep_insights``: collect the insights on the report (turn off for millions).
    - ``should_stop``: asked before each request is sent; once it says True no new
      request goes out, the ones in flight are stored, and the report says
      ``stopped`` (a later run sends the rest).

    Raises :class:`~toolkit.exceptions.AILimitExceeded` before sending anything when a
    limit would be passed, and ``ToolkitConfigurationError`` for an endpoint that is not
    configured. Endpoint failures never raise: they end on the records as ``failed``.
    """
    action = resolve_action(action)
    if not action.per_record:
        raise ToolkitConfigurationError(
            f"{action.name!r} works on a whole selection: use run_digest() for it."
        )
    if records_per_prompt < 1:
        raise ValueError("records_per_prompt must be at least 1.")
    config = _endpoint(endpoint, client)
    count, pks = _pks_of(records_or_queryset)
    if user is not None and enforce_limits and not dry_run:
        check_limits(user, count)  # refused before any record is read
    report = RunReport(action=action.name, records=count, dry_run=dry_run)
    content_type = ContentType.objects.get_for_model(source.model, for_concrete_model=False)
    statistics = peer_statistics(source) if action.uses_facts else None
    schema = action.get_schema() if records_per_prompt == 1 else action.get_batch_schema()

    batch_mode = records_per_prompt > 1
    per_request_tokens = action.max_tokens

    def render(payloads: list[RecordPayload]) -> list[dict[str, Any]]:
        return action.get_batch_messages(payloads, source, batch=batch_mode)

    def new_insight() -> Insight:
        return _new_insight(action, content_type, config, user=user, job=job)

    def fail_alone(payload: RecordPayload, error: str) -> None:
        insight = new_insight()
        insight.object_id = payload.pk
        insight.input_hash = payload.input_hash
        insight.status = InsightStatus.FAILED
        insight.error = error
        action.handle_failure(insight, payload)
        insight.make_storable()
        insight.save()
        report.failed += 1
        report.add_error(f"{source.label} {payload.pk}: {error}")
        if keep_insights:
            report.insights.append(insight)

    def units() -> Iterator[_Unit]:
        # A group of records for one prompt may span batches, so k records per prompt
        # make N/k requests whatever the batch sizes.
        group: list[RecordPayload] = []
        group_messages: list[dict[str, Any]] = []
        # A small first batch: the first request goes out before 200 records are read.
        for batch in _batches(pks, BATCH_SIZE, start=FIRST_BATCH_SIZE):
            payloads = source.payloads_for_pks(batch)
            facts = findings(action, source, batch, statistics)
            by_pk = {payload.pk: payload for payload in payloads}
            for payload in payloads:
                payload.facts = facts.get(payload.pk, [])
                payload.input_hash = input_hash(action, config, payload)
            cached: dict[str, Insight] = {}
            if not force and payloads:
                for insight in _newest(content_type, action, list(by_pk)):
                    # The newest answer decides: after a failed run (a forced "Run
                    # again" included) the record is sent again, even if an older
                    # answer for the same input was ok.
                    payload = by_pk[insight.object_id]
                    if insight.is_ok and insight.input_hash == payload.input_hash:
                        cached[insight.object_id] = insight
            for payload in payloads:
                if payload.pk in cached:
                    report.cached += 1
                    if keep_insights:
                        report.insights.append(cached[payload.pk])
                    continue
                alone = render([payload])
                if messages_chars(alone) > source.max_input_chars:
                    message = (
                        f"Its prompt would be {messages_chars(alone):,} characters, more than "
                        f"the {source.max_input_chars:,} allowed (TOOLKIT_AI_MAX_INPUT_CHARS); "
                        "send fewer fields or related rows, or raise the limit."
                    )
                    if dry_run:
                        report.failed += 1
                        report.add_error(f"{source.label} {payload.pk}: {message}")
                    else:
                        fail_alone(payload, message)
                    continue
                if group:
                    candidate = [*group, payload]
                    if len(candidate) <= records_per_prompt:
                        messages = render(candidate)
                        if messages_chars(messages) <= source.max_input_chars:
                            group, group_messages = candidate, messages
                            continue
                    yield _Unit(group, group_messages, batch_mode)
                group, group_messages = [payload], alone
                if len(group) >= records_per_prompt:
                    yield _Unit(group, group_messages, batch_mode)
                    group = []
        if group:
            yield _Unit(group, group_messages, batch_mode)

    def dry_requests() -> None:
        for unit in units():
            if should_stop is not None and should_stop():
                report.stopped = True
                return
            report.requests += 1
            report.characters += messages_chars(unit.messages)

    if dry_run:
        dry_requests()
        return report

    # Requests are counted as they are answered (or fail): read-ahead requests that a
    # stop keeps from being sent are not.
    yielded = 0
    exhausted = False

    def requests() -> Iterator[ChatRequest]:
        nonlocal yielded, exhausted
        for unit in units():
            yielded += 1
            yield ChatRequest(
                unit.messages,
                schema=schema,
                schema_name=action.name,
                max_tokens=(
                    (per_request_tokens or config.max_tokens) * len(unit.payloads)
                    if batch_mode
                    else per_request_tokens
                ),
                key=unit,
            )
        exhausted = True

    # Reserved only now, with the records about to be read and sent; given back, but
    # for those answered, however the run ends.
    reservation = reserve(user, count) if user is not None and enforce_limits else None
    own_client = client is None
    client = client or Client(config, concurrency=concurrency)
    # Answers are written in groups: one transaction per request costs a few round trips
    # each, which at high concurrency outweighs the requests themselves. A group holds
    # whole requests (each request's records are stored all or none) and is written as
    # soon as it holds ``concurrency`` requests or FLUSH_SECONDS have passed, and in any
    # case at the end, on a stop or an error: a hard kill loses at most the answers of
    # one group, which the next run sends again.
    pending: list[Insight] = []
    pending_requests = 0
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal pending, pending_requests, last_flush
        insights, pending, pending_requests = pending, [], 0
        last_flush = time.monotonic()
        if insights:
            with transaction.atomic():
                if keep_insights:
                    # The report's insights are shown and linked: they need their keys.
                    Insight.objects.bulk_create(insights)
                    report.insights.extend(insights)
                else:
                    insert_rows(Insight, insights)
        if on_progress is not None:
            on_progress(report)

    try:
        # Twice the concurrency is read ahead, so a thread that finishes starts its next
        # request while this thread stores answers or reads the next batch of records.
        for outcome in client.complete_many(
            requests(), read_ahead=client.concurrency, should_stop=should_stop
        ):
            pending += _build(outcome, action, source, report, new_insight)
            pending_requests += 1
            if (
                pending_requests >= client.concurrency
                or time.monotonic() - last_flush >= FLUSH_SECONDS
            ):
                flush()
    finally:
        try:
            if pending:
                flush()
        finally:
            if own_client:
                client.close()
            if reservation is not None:
                release(reservation, answered=report.ok)
    report.stopped = yielded > report.requests or (
        not exhausted and should_stop is not None and should_stop()
    )
    return report


def _newest(content_type: ContentType, action: AIAction, ids: list[str]) -> list[Insight]:
    """The newest insight of ``action`` for each of the records ``ids``, in one query."""
    newest = Insight.objects.filter(
        content_type=content_type,
        action=action.name,
        object_id=models.OuterRef("object_id"),
    ).order_by("-created_at", "-pk")
    return list(
        Insight.objects.filter(
            content_type=content_type, action=action.name, object_id__in=ids
        ).filter(pk=models.Subquery(newest.values("pk")[:1]))
    )


def _answers_by_id(
    unit: _Unit, completion: Completion, batch: bool
) -> dict[str, dict[str, Any] | None]:
    data = completion.data
    if not batch:
        return {unit.payloads[0].pk: data if isinstance(data, dict) else None}
    answers: dict[str, dict[str, Any] | None] = {}
    for item in (data or {}).get("records") or []:
        if isinstance(item, dict):
            answer = dict(item)
            answers.setdefault(str(answer.pop("id", "")), answer)
    return answers


def _build(
    outcome: Outcome,
    action: AIAction,
    source: AISource,
    report: RunReport,
    new_insight: Callable[[], Insight],
) -> list[Insight]:
    """The (unsaved) insights of one request's records, counted on ``report``."""
    unit: _Unit = outcome.request.key
    count = len(unit.payloads)
    report.sent += count
    report.requests += 1
    report.characters += messages_chars(unit.messages)
    completion = outcome.completion
    store_prompt = conf.AI_STORE_PROMPTS
    prompt_hash = hash_json(unit.messages)
    answers = _answers_by_id(unit, completion, unit.batch) if completion is not None else {}
    if completion is not None:
        report.tokens_in += completion.usage.prompt_tokens
        report.tokens_out += completion.usage.completion_tokens
    insights = []
    for index, payload in enumerate(unit.payloads):
        insight = new_insight()
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
            action.handle_failure(insight, payload)
            report.failed += 1
            report.add_error(f"{source.label} {payload.pk}: {error}")
        else:
            assert answer is not None
            action.handle_answer(insight, answer, payload)
            insight.status = InsightStatus.OK
            report.ok += 1
        insight.make_storable()
        insights.append(insight)
    return insights


def estimate(
    action: str | AIAction | type[AIAction],
    source: AISource,
    records: models.QuerySet[Any] | Iterable[models.Model],
    *,
    endpoint: str | EndpointConfig | None = None,
    records_per_prompt: int = 1,
    force: bool = False,
) -> DryRun:
    """What :func:`run_action` would send, without sending or storing anything."""
    action = resolve_action(action)
    config = _endpoint(endpoint, None)
    report = run_action(
        action,
        source,
        records,
        endpoint=config,
        records_per_prompt=records_per_prompt,
        force=force,
        dry_run=True,
        keep_insights=False,
    )
    per_request = action.max_tokens or config.max_tokens
    if records_per_prompt > 1:
        per_request *= records_per_prompt
    return DryRun(
        count=report.records,
        cached=report.cached,
        requests=report.requests,
        characters=report.characters,
        estimated_tokens=report.estimated_tokens,
        max_completion_tokens=report.requests * per_request,
    )


# -- the selection digest --------------------------------------------------------------


def run_digest(
    action: str | AIAction | type[AIAction],
    source: AISource,
    queryset: models.QuerySet[Any] | Iterable[models.Model],
    *,
    user: Any = None,
    scope: dict[str, Any] | None = None,
    endpoint: str | EndpointConfig | None = None,
    job: Job | None = None,
    client: Client | None = None,
    concurrency: int | None = None,
    enforce_limits: bool = True,
) -> Insight:
    """One report across the records, by map-reduce; return the stored digest insight.

    Map: records in chunks that fit ``max_input_chars`` are summarised (with bounded
    concurrency). Reduce: the chunk reports are combined, in as many rounds as their
    size needs, into one. The insight (kind "digest", no ``object_id``) holds the
    answer, ``record_count`` and ``scope`` (the filters and search it covered). When a
    request fails the digest is stored ``failed`` with the reason, and nothing else.
    With a ``user`` and ``enforce_limits``, the records are reserved against their
    limits first; answered, the digest counts them all, failed, none.
    """
    resolved = resolve_action(action)
    if not isinstance(resolved, SummarizeSelectionAction):
        raise ToolkitConfigurationError(
            f"{resolved.name!r} is not a selection action; use run_action() for it."
        )
    config = _endpoint(endpoint, client)
    count, pks = _pks_of(queryset)
    # Answered, the digest counts every record it covers; failed, none.
    reservation = reserve(user, count) if user is not None and enforce_limits else None
    answered = 0
    try:
        insight = _digest(
            resolved, source, count, pks, config, user, scope, job, client, concurrency
        )
        answered = count if insight.is_ok else 0
    finally:
        if reservation is not None:
            release(reservation, answered=answered)
    return insight


def _digest(
    resolved: SummarizeSelectionAction,
    source: AISource,
    count: int,
    pks: Iterator[Any],
    config: EndpointConfig,
    user: Any,
    scope: dict[str, Any] | None,
    job: Job | None,
    client: Client | None,
    concurrency: int | None,
) -> Insight:
    """The work of :func:`run_digest` once its records are reserved."""
    content_type = ContentType.objects.get_for_model(source.model, for_concrete_model=False)
    insight = _new_insight(resolved, content_type, config, user=user, job=job)
    insight.record_count = count
    insight.scope = scope or {}
    own_client = client is None
    client = client or Client(config, concurrency=concurrency)
    totals = {"tokens_in": 0, "tokens_out": 0, "latency": 0.0}
    last_messages: list[dict[str, Any]] = []

    def ask(requests: list[ChatRequest]) -> list[Any]:
        """Answers of ``requests`` in their order; raises the first AIError."""
        answers: dict[int, Any] = {}
        for outcome in client.complete_many(requests):
            if outcome.error is not None:
                raise outcome.error
            completion = outcome.completion
            assert completion is not None
            totals["tokens_in"] += completion.usage.prompt_tokens
            totals["tokens_out"] += completion.usage.completion_tokens
            totals["latency"] += completion.latency
            answers[outcome.request.key] = completion.data
        return [answers[index] for index in range(len(requests))]

    def request(index: int, messages: list[dict[str, Any]]) -> ChatRequest:
        nonlocal last_messages
        last_messages = messages
        return ChatRequest(
            messages,
            schema=resolved.get_schema(),
            schema_name=resolved.name,
            max_tokens=resolved.max_tokens,
            key=index,
        )

    try:
        # Map: pack records into chunks that fit.
        chunks: list[list[RecordPayload]] = []
        current: list[RecordPayload] = []
        for batch in _batches(pks, BATCH_SIZE):
            for payload in source.payloads_for_pks(batch):
                candidate = [*current, payload]
                chars = messages_chars(resolved.get_chunk_messages(candidate, count, source))
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
        answers = ask(
            [
                request(index, resolved.get_chunk_messages(chunk, count, source))
                for index, chunk in enumerate(chunks)
            ]
        )
        parts = [
            {"records": len(chunk), "answer": answer}
            for chunk, answer in zip(chunks, answers, strict=True)
        ]
        # Reduce: combine reports in groups that fit, until one is left.
        while len(parts) > 1:
            groups: list[list[dict[str, Any]]] = []
            pending: list[dict[str, Any]] = []
            for part in parts:
                joined = [*pending, part]
                chars = messages_chars(resolved.get_combine_messages(joined, count, source))
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
            answers = ask(
                [
                    request(index, resolved.get_combine_messages(members, count, source))
                    for index, members in enumerate(groups)
                ]
            )
            parts = [
                {"records": sum(part["records"] for part in members), "answer": answer}
                for members, answer in zip(groups, answers, strict=True)
            ]
        resolved.handle_answer(insight, parts[0]["answer"])
        insight.status = InsightStatus.OK
    except (AIError, _DigestError) as exc:
        insight.status = InsightStatus.FAILED
        insight.error = str(exc) or type(exc).__name__
    finally:
        if own_client:
            client.close()
    insight.tokens_in = totals["tokens_in"]
    insight.tokens_out = totals["tokens_out"]
    insight.latency_ms = round(totals["latency"] * 1000)
    insight.prompt_hash = hash_json(last_messages) if last_messages else ""
    if conf.AI_STORE_PROMPTS and last_messages:
        insight.prompt = messages_text(last_messages)
    insight.make_storable()
    insight.save()
    return insight


class _DigestError(Exception):
    """A digest that cannot be made; its message is stored on the failed insight."""
