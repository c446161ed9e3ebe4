"""A client for OpenAI-compatible ``/v1/chat/completions`` endpoints.

Works with OpenAI, vLLM, Ollama, the llama.cpp server and LiteLLM. Two classes with the
same behaviour, as in httpx: :class:`Client` (blocking; ``complete_many`` runs requests
on threads) and :class:`AsyncClient` (``await``; ``complete_many`` runs them as tasks).

What one request does, in order (the logic lives once, in
:meth:`~toolkit.ai.client.base.BaseClient._plan`; the two classes only perform its
sends and sleeps):

1. Structured output (:mod:`~toolkit.ai.client.formats`): with a ``schema`` the request
   asks for ``response_format`` ``json_schema`` and falls back, for endpoints that
   reject it, to ``json_object`` with the schema (what llama-cpp-python's server takes),
   plain ``json_object`` and no ``response_format`` at all (the schema then spelt out in
   the prompt). The form that worked is remembered per endpoint for the process, so
   later requests, of any client, skip the ones that failed; it is logged once, at
   INFO, and :func:`forget_accepted_formats` starts over.
2. The answer is parsed and validated against the schema
   (:mod:`~toolkit.ai.client.answers`, :mod:`toolkit.ai.schema`). An answer with no
   JSON object, or of the wrong shape, is asked for once more (at
   :data:`RESAMPLE_TEMPERATURE` when the request said 0) before it fails: small local
   models slip now and then where the next answer is fine.
3. Retries (:mod:`~toolkit.ai.client.retries`), as openai-python does: up to
   ``MAX_RETRIES`` (default 2) after connection errors, timeouts, 408, 409, 429 and
   5xx, waiting ``min(0.5 * 2**n, 8)`` seconds less up to 25 % jitter, or what
   ``retry-after-ms`` / ``Retry-After`` ask for, up to
   :attr:`~toolkit.ai.client.base.BaseClient.retry_after_cap` seconds (a longer wait
   fails at once, with that wait in the message). ``x-should-retry`` from the server
   overrides the choice.
4. ``finish_reason == "length"`` (an answer cut off at ``max_tokens``) is asked again
   once with twice the budget, then fails with :class:`~toolkit.exceptions.TruncatedResponse`.
5. Every attempt is bounded: ``CONNECT_TIMEOUT`` to connect and ``TIMEOUT`` to receive
   the whole answer, and a body larger than
   :attr:`~toolkit.ai.client.base.BaseClient.max_response_bytes` is abandoned.

Token usage (summed over all attempts that reported it), latency and attempts are on the
returned :class:`Completion`. Failures raise a subclass of
:class:`~toolkit.exceptions.AIError` whose message is a sentence
(:mod:`~toolkit.ai.client.wording`); the API key (read from the environment at each
request) is sent only as a Bearer header and redacted from any text the server echoes
back.
"""

from __future__ import annotations

from toolkit.ai.client.aio import AsyncClient
from toolkit.ai.client.answers import parse_json_answer
from toolkit.ai.client.formats import RESAMPLE_TEMPERATURE, forget_accepted_formats
from toolkit.ai.client.retries import RETRYABLE_STATUSES
from toolkit.ai.client.sync import Client
from toolkit.ai.client.types import ChatRequest, Completion, Outcome, ResponseFormat, Usage

__all__ = [
    "RESAMPLE_TEMPERATURE",
    "RETRYABLE_STATUSES",
    "AsyncClient",
    "ChatRequest",
    "Client",
    "Completion",
    "Outcome",
    "ResponseFormat",
    "Usage",
    "forget_accepted_formats",
    "parse_json_answer",
]
