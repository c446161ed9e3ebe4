"""The run of an AI action over records, as an object: :class:`Run` and its options.

A run is made by its action (:meth:`AIAction.new_run <toolkit.ai.actions.AIAction.new_run>`,
through the action's ``run_class``) and goes through the same steps whatever the
action: **plan** what to send, skip what is **cached**, **send** it with bounded
concurrency, **store** the answers as insights. What differs between one answer per
record (:class:`~toolkit.ai.runs.RecordRun`) and one for a whole selection
(:class:`~toolkit.ai.runs.DigestRun`) is in those subclasses; the limits, the client
and the insights' provenance are here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeAlias

from django.contrib.contenttypes.models import ContentType
from django.db import models

from toolkit.ai.client import Client
from toolkit.ai.conf import conf
from toolkit.ai.endpoints import DEFAULT_ENDPOINT, EndpointConfig, get_endpoint
from toolkit.ai.limits import release, reserve
from toolkit.ai.models import Insight
from toolkit.ai.runs.report import RunReport
from toolkit.ai.sources import BATCH_SIZE, AISource, RecordPayload
from toolkit.pk_batches import walk_pks

if TYPE_CHECKING:
    from toolkit.ai.statistics import PeerStatistics
    from toolkit.jobs.models import Job

__all__ = ["Records", "Run", "RunAction", "RunOptions"]

#: What a run goes over: a queryset (walked in primary-key batches) or model instances.
Records: TypeAlias = models.QuerySet[Any] | Iterable[models.Model]


class RunAction(Protocol):
    """What a run asks of its action; every :class:`~toolkit.ai.actions.AIAction` has it.

    A protocol rather than the class: the action names its run class, so the run
    modules cannot import the action's.
    """

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def prompt_version(self) -> str: ...
    @property
    def max_tokens(self) -> int | None: ...
    @property
    def uses_facts(self) -> bool: ...
    def get_statistics(self, source: AISource) -> PeerStatistics | None: ...
    def get_schema(self) -> dict[str, Any]: ...
    def get_batch_schema(self) -> dict[str, Any]: ...
    def get_batch_messages(
        self, payloads: Sequence[RecordPayload], source: AISource, batch: bool | None = None
    ) -> list[dict[str, Any]]: ...
    def facts_for_prompt(self, facts: list[dict[str, Any]]) -> list[dict[str, Any]]: ...
    def handle_answer(
        self, insight: Insight, answer: dict[str, Any], payload: RecordPayload | None = None
    ) -> None: ...
    def handle_failure(self, insight: Insight, payload: RecordPayload | None = None) -> None: ...


@dataclass(frozen=True)
class RunOptions:
    """How to run: who asked, where to send, and what to do along the way.

    A run reads the options that apply to it: a digest has no ``force`` or
    ``records_per_prompt``, a per-record run no ``scope``.
    """

    #: Who asked: the insights name them and, with ``enforce_limits``, the run reserves
    #: its records against their limits before sending anything.
    user: Any = None
    #: False when the caller reserved the records itself (a job, the batch command).
    enforce_limits: bool = True
    #: The ``TOOLKIT_AI`` endpoint (a name or a config); ``None`` for "default".
    endpoint: str | EndpointConfig | None = None
    #: A client to use (tests pass one with a mock transport); otherwise the run makes
    #: one for ``endpoint``, with ``concurrency``, and closes it after.
    client: Client | None = None
    concurrency: int | None = None
    #: The job the run works for: its insights name it.
    job: Job | None = None
    #: Send records even when an ok insight exists for the same input.
    force: bool = False
    #: k records per request (N/k requests); the answer is then a list keyed by id.
    records_per_prompt: int = 1
    #: Build and count everything, send nothing, store nothing.
    dry_run: bool = False
    #: Collect the insights on the report (turn off for millions).
    keep_insights: bool = True
    #: Called with the report after each group of answers is stored.
    on_progress: Callable[[RunReport], None] | None = None
    #: Asked before each request is sent; once it says True no new request goes out.
    should_stop: Callable[[], bool] | None = None
    #: What a digest covered (the changelist's filters and search), stored on it.
    scope: dict[str, Any] | None = None


class Run:
    """One run of an action over records; :meth:`execute` it once.

    ``records`` is a queryset (walked in primary-key batches, so memory stays flat) or
    an iterable of model instances.
    """

    #: Capability: the run answers for each record (a job then sends a few records per
    #: chunk); False for a run whose one answer covers the whole selection.
    per_record: ClassVar[bool] = True

    def __init__(
        self, action: RunAction, source: AISource, records: Records, options: RunOptions
    ) -> None:
        self.action = action
        self.source = source
        self.options = options
        self.endpoint = _endpoint(options.endpoint, options.client)
        #: How many records the run covers, and their primary keys (read lazily).
        self.count, self.pks = _pks_of(records)
        self.report = RunReport(action=action.name, records=self.count, dry_run=options.dry_run)

    def execute(self) -> RunReport:
        """Run: plan, skip what is cached, send, store; return the report.

        Raises :class:`~toolkit.exceptions.AILimitExceeded` before sending anything when
        a limit would be passed. Endpoint failures never raise: they end on the
        insights as ``failed``.
        """
        raise NotImplementedError(f"{type(self).__name__} must define execute().")

    # -- what every run shares ---------------------------------------------------------

    @contextmanager
    def reserved(self) -> Iterator[None]:
        """The run's records reserved against the person's limits, checked once, here
        (unless the caller reserved them: ``enforce_limits=False``); once the run ends,
        however it ends, those not answered are given back."""
        options = self.options
        reservation = None
        if options.user is not None and options.enforce_limits:
            reservation = reserve(options.user, self.count)
        try:
            yield
        finally:
            if reservation is not None:
                release(reservation, answered=self.report.ok)

    @contextmanager
    def connected(self) -> Iterator[Client]:
        """The options' client, or one of the run's own, closed when the run ends."""
        if self.options.client is not None:
            yield self.options.client
            return
        with Client(self.endpoint, concurrency=self.options.concurrency) as client:
            yield client

    def new_insight(self) -> Insight:
        """An unsaved insight of this run, with its provenance filled in."""
        user = self.options.user
        insight = Insight(
            content_type=self.content_type,
            kind=self.action.kind,
            action=self.action.name,
            endpoint=self.endpoint.name,
            model=self.endpoint.model,
            prompt_version=self.action.prompt_version,
            requested_by_id=user.pk if user is not None and user.is_authenticated else None,
        )
        insight.job = self.options.job
        return insight

    @cached_property
    def content_type(self) -> ContentType:
        return ContentType.objects.get_for_model(self.source.model, for_concrete_model=False)

    # -- in a job ----------------------------------------------------------------------

    @classmethod
    def job_chunk_size(cls, total: int | None) -> int:
        """Records per chunk of a job of ``total`` records: ``TOOLKIT_AI_JOB_CHUNK_SIZE``,
        so the progress page moves and a cancel takes effect between chunks."""
        return conf.AI_JOB_CHUNK_SIZE

    @classmethod
    def stored_about(
        cls, insights: models.QuerySet[Insight], objects: models.QuerySet[Any] | Sequence[Any]
    ) -> models.QuerySet[Insight]:
        """Of a job's ``insights``, those about ``objects``."""
        return insights

    @classmethod
    def left_to_send(
        cls, objects: models.QuerySet[Any] | Sequence[Any], stored: dict[str, Insight]
    ) -> models.QuerySet[Any] | Sequence[Any] | None:
        """``objects`` but those a job's earlier run answered already (``stored``, by
        record id); ``None`` when nothing is left to send."""
        return None if stored else objects


def _endpoint(endpoint: str | EndpointConfig | None, client: Client | None) -> EndpointConfig:
    if client is not None:
        return client.endpoint
    if isinstance(endpoint, EndpointConfig):
        return endpoint
    return get_endpoint(endpoint or DEFAULT_ENDPOINT)


def _pks_of(records: Records) -> tuple[int, Iterator[Any]]:
    """How many records there are and their primary keys, read lazily for a queryset."""
    if isinstance(records, models.QuerySet):
        if records.query.is_sliced:
            pks = list(records.values_list("pk", flat=True))
            return len(pks), iter(pks)
        return records.count(), walk_pks(records, BATCH_SIZE * 5)
    pks = list(dict.fromkeys(record.pk for record in records))
    return len(pks), iter(pks)
