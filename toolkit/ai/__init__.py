"""LLM-backed admin actions: summaries, anomaly flags and selection digests.

The client speaks to OpenAI-compatible endpoints named in ``TOOLKIT_AI``::

    from toolkit.ai import Client

    with Client("default") as client:
        answer = client.complete(messages, schema=SUMMARY_SCHEMA)
        answer.data, answer.usage.total_tokens

Its errors are in :mod:`toolkit.exceptions` (``AIError`` and below).
"""

from __future__ import annotations

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

__all__ = [
    "DEFAULT_ENDPOINT",
    "AsyncClient",
    "ChatRequest",
    "Client",
    "Completion",
    "EndpointConfig",
    "Outcome",
    "ResponseFormat",
    "Usage",
    "endpoint_names",
    "get_endpoint",
]
