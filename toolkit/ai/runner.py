"""Running an AI action over records, as functions: :func:`run_action`, :func:`run_digest`,
:func:`estimate`.

Each is a thin wrapper over the run objects of :mod:`toolkit.ai.runs` (the action makes
its run: :meth:`AIAction.new_run <toolkit.ai.actions.AIAction.new_run>`), kept for
callers that want one call. What a run does, step by step, is told there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from toolkit.ai.actions import AIAction, resolve_action
from toolkit.ai.client import Client
from toolkit.ai.endpoints import EndpointConfig
from toolkit.ai.limits import check_limits
from toolkit.ai.models import Insight
from toolkit.ai.runs import (
    CHARS_PER_TOKEN,
    DigestRun,
    DryRun,
    RecordRun,
    Records,
    Run,
    RunOptions,
    RunReport,
    findings,
    peer_statistics,
)
from toolkit.ai.sources import AISource
from toolkit.exceptions import ToolkitConfigurationError

if TYPE_CHECKING:
    from toolkit.jobs.models import Job

__all__ = [
    "CHARS_PER_TOKEN",
    "DryRun",
    "RunReport",
    "check_limits",
    "estimate",
    "findings",
    "peer_statistics",
    "run_action",
    "run_digest",
]

RunT = TypeVar("RunT", bound=Run)

# What is said of an action of the wrong kind, after its name.
_NOT_PER_RECORD = "works on a whole selection: use run_digest() for it."
_NO_ESTIMATE = "works on a whole selection: it has no per-record estimate."
_NOT_A_DIGEST = "is not a selection action; use run_action() for it."


def run_action(
    action: str | AIAction | type[AIAction],
    source: AISource,
    records_or_queryset: Records,
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
    options = RunOptions(
        user=user,
        enforce_limits=enforce_limits,
        endpoint=endpoint,
        client=client,
        concurrency=concurrency,
        job=job,
        force=force,
        records_per_prompt=records_per_prompt,
        dry_run=dry_run,
        keep_insights=keep_insights,
        on_progress=on_progress,
        should_stop=should_stop,
    )
    run = _new_run(action, source, records_or_queryset, options, RecordRun, _NOT_PER_RECORD)
    return run.execute()


def estimate(
    action: str | AIAction | type[AIAction],
    source: AISource,
    records: Records,
    *,
    endpoint: str | EndpointConfig | None = None,
    records_per_prompt: int = 1,
    force: bool = False,
) -> DryRun:
    """What :func:`run_action` would send, without sending or storing anything."""
    options = RunOptions(
        endpoint=endpoint,
        records_per_prompt=records_per_prompt,
        force=force,
        dry_run=True,
        keep_insights=False,
    )
    return _new_run(action, source, records, options, RecordRun, _NO_ESTIMATE).estimate()


def run_digest(
    action: str | AIAction | type[AIAction],
    source: AISource,
    queryset: Records,
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

    See :class:`~toolkit.ai.runs.DigestRun`. When a request fails the digest is stored
    ``failed`` with the reason, and nothing else. With a ``user`` and
    ``enforce_limits``, the records are reserved against their limits first; answered,
    the digest counts them all, failed, none.
    """
    options = RunOptions(
        user=user,
        enforce_limits=enforce_limits,
        endpoint=endpoint,
        client=client,
        concurrency=concurrency,
        job=job,
        scope=scope,
    )
    run = _new_run(action, source, queryset, options, DigestRun, _NOT_A_DIGEST)
    run.execute()
    assert run.insight is not None
    return run.insight


def _new_run(
    action: str | AIAction | type[AIAction],
    source: AISource,
    records: Records,
    options: RunOptions,
    kind: type[RunT],
    otherwise: str,
) -> RunT:
    """The run of ``action`` over ``records``; an action whose run is not a ``kind``
    raises, its name followed by ``otherwise``."""
    resolved = resolve_action(action)
    # The class first: making a run counts its records.
    if issubclass(resolved.run_class, kind):
        run = resolved.new_run(source, records, options)
        if isinstance(run, kind):
            return run
    raise ToolkitConfigurationError(f"{resolved.name!r} {otherwise}")
