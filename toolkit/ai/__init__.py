"""LLM-backed admin actions: summaries, anomaly flags and selection digests.

An app of its own: ``INSTALLED_APPS += ["toolkit.ai"]`` (label ``toolkit_ai``) brings its
models (:class:`Insight`, the daily limit's ledger), the insights admin, the checks of
its settings (read through :data:`toolkit.ai.conf.conf`) and, with ``toolkit.jobs``, its
job handler.

The client speaks to OpenAI-compatible endpoints named in ``TOOLKIT_AI``::

    from toolkit.ai import Client

    with Client("default") as client:
        answer = client.complete(messages, schema=SUMMARY_SCHEMA)
        answer.data, answer.usage.total_tokens

Actions run over records and store :class:`Insight` rows::

    from toolkit.ai import AISource, SummarizeAction, run_action

    source = AISource(Product, fields=["name", "category.name", "price"])
    report = run_action(SummarizeAction, source, Product.objects.filter(pk__in=[1, 2]))
    report.ok, report.failed, report.cached

Its errors are in :mod:`toolkit.exceptions` (``AIError`` and below, ``AILimitExceeded``).
Names that need the app registry (models, actions, the runner, the admin) are imported
on first use, as this package is imported while apps load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit.ai.client import (
    AsyncClient,
    ChatRequest,
    Client,
    Completion,
    Outcome,
    ResponseFormat,
    Usage,
)
from toolkit.ai.endpoints import DEFAULT_ENDPOINT, EndpointConfig, endpoint_names, get_endpoint
from toolkit.ai.rules import Rule
from toolkit.ai.sources import AISource, RecordPayload, Related

if TYPE_CHECKING:
    from toolkit.ai.actions import (
        AIAction,
        FlagAnomaliesAction,
        ProposeFieldAction,
        SummarizeAction,
        SummarizeSelectionAction,
        get_action,
        register,
        registered_actions,
        resolve_action,
    )
    from toolkit.ai.admin import AIActionsMixin, AskMixin, InsightAdmin
    from toolkit.ai.handlers import AIJobHandler, start_ai_job
    from toolkit.ai.models import Insight, InsightStatus, ReviewStatus, Severity
    from toolkit.ai.runner import DryRun, RunReport, check_limits, estimate, run_action, run_digest
    from toolkit.ai.statistics import PeerStatistics

__all__ = [
    "DEFAULT_ENDPOINT",
    "AIAction",
    "AIActionsMixin",
    "AIJobHandler",
    "AISource",
    "AskMixin",
    "AsyncClient",
    "ChatRequest",
    "Client",
    "Completion",
    "DryRun",
    "EndpointConfig",
    "FlagAnomaliesAction",
    "Insight",
    "InsightAdmin",
    "InsightStatus",
    "Outcome",
    "PeerStatistics",
    "ProposeFieldAction",
    "RecordPayload",
    "Related",
    "ResponseFormat",
    "ReviewStatus",
    "Rule",
    "RunReport",
    "Severity",
    "SummarizeAction",
    "SummarizeSelectionAction",
    "Usage",
    "check_limits",
    "endpoint_names",
    "estimate",
    "get_action",
    "get_endpoint",
    "register",
    "registered_actions",
    "resolve_action",
    "run_action",
    "run_digest",
    "start_ai_job",
]

_LAZY = {
    "AIAction": "toolkit.ai.actions",
    "FlagAnomaliesAction": "toolkit.ai.actions",
    "ProposeFieldAction": "toolkit.ai.actions",
    "SummarizeAction": "toolkit.ai.actions",
    "SummarizeSelectionAction": "toolkit.ai.actions",
    "get_action": "toolkit.ai.actions",
    "register": "toolkit.ai.actions",
    "registered_actions": "toolkit.ai.actions",
    "resolve_action": "toolkit.ai.actions",
    "AIActionsMixin": "toolkit.ai.admin",
    "AskMixin": "toolkit.ai.admin",
    "InsightAdmin": "toolkit.ai.admin",
    "AIJobHandler": "toolkit.ai.handlers",
    "start_ai_job": "toolkit.ai.handlers",
    "Insight": "toolkit.ai.models",
    "InsightStatus": "toolkit.ai.models",
    "ReviewStatus": "toolkit.ai.models",
    "Severity": "toolkit.ai.models",
    "DryRun": "toolkit.ai.runner",
    "RunReport": "toolkit.ai.runner",
    "check_limits": "toolkit.ai.runner",
    "estimate": "toolkit.ai.runner",
    "run_action": "toolkit.ai.runner",
    "run_digest": "toolkit.ai.runner",
    "PeerStatistics": "toolkit.ai.statistics",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
