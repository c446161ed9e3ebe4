"""Structured output: how a request asks for JSON, and how the client falls back.

With a schema a request first asks for ``response_format`` ``json_schema`` (OpenAI,
vLLM, Ollama, LiteLLM, llama.cpp's own ``llama-server``). An endpoint that rejects that
(HTTP 400/422, or any error naming ``response_format``) is asked again with ``{"type":
"json_object", "schema": ...}`` (the llama-cpp-python server, whose request model takes
only ``text`` and ``json_object`` and answers any other type with a 500, turns that
schema into a grammar), then with plain ``json_object``, then with no ``response_format``
at all. Below ``json_schema`` the schema is also spelt out in the prompt, and the first
JSON object in the text is taken (:func:`~toolkit.ai.client.answers.parse_json_answer`).

The form an endpoint answered in is remembered for the process
(:data:`accepted_formats`), by its URL and model: every later client, run and job chunk
asks for that form first, so an endpoint is asked in a form it rejects once per process
rather than once per run. An endpoint's ``RESPONSE_FORMAT`` names the form to ask for
first, for a server known to refuse the stricter ones.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx

from toolkit.ai.client.types import ChatRequest, ResponseFormat
from toolkit.ai.endpoints import EndpointConfig
from toolkit.ai.schema import is_strict

__all__ = [
    "FORMATS",
    "RESAMPLE_TEMPERATURE",
    "AcceptedFormats",
    "accepted_formats",
    "configured_format",
    "forget_accepted_formats",
    "rejects_format",
    "request_body",
]

#: The ways of asking for structure, strictest first: the order the client falls back in.
FORMATS: tuple[ResponseFormat, ...] = (
    "json_schema",
    "json_object_with_schema",
    "json_object",
    "text",
)

#: An answer that is no JSON, or JSON of the wrong shape, is asked for once more (small
#: models slip now and then); a request sent with temperature 0 is sent again with this
#: one, since greedy decoding would repeat the same answer.
RESAMPLE_TEMPERATURE = 0.5

#: Statuses with which an endpoint rejects a ``response_format`` it does not support.
_FORMAT_REJECTED_STATUSES = frozenset({400, 422})
#: Words that show an error of any status is about the ``response_format`` (the
#: llama-cpp-python server answers an unknown type with a 500 naming it).
_FORMAT_ERROR_WORDS = (b"response_format", b"json_schema")


class AcceptedFormats:
    """The strictest form of :data:`FORMATS` each endpoint answered in, for the process.

    Thread-safe. An endpoint is its chat-completions URL and model: two ``TOOLKIT_AI``
    names for the same server and model share what was learnt. A form is learnt only
    from an answer that came in it, never from failures alone (a server that answers
    400 to everything is not taken to want plain text).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indexes: dict[tuple[str, str], int] = {}

    def first(self, endpoint: EndpointConfig) -> int:
        """Index into :data:`FORMATS` of the form to ask ``endpoint`` for first: the one
        it answered in, else its ``RESPONSE_FORMAT``, else the strictest."""
        return self._indexes.get(_endpoint_key(endpoint), configured_format(endpoint))

    def learn(self, endpoint: EndpointConfig, index: int) -> bool:
        """Remember that ``endpoint`` answered in ``FORMATS[index]``; ``True`` when that is
        news (a form below the one it was asked for first until now)."""
        key = _endpoint_key(endpoint)
        with self._lock:
            if index <= self._indexes.get(key, configured_format(endpoint)):
                return False
            self._indexes[key] = index
            return True

    def forget(self) -> None:
        """Forget every endpoint: each is asked for ``json_schema`` first again."""
        with self._lock:
            self._indexes.clear()


#: What the endpoints of this process accepted; every client reads and teaches it.
accepted_formats = AcceptedFormats()


def forget_accepted_formats() -> None:
    """Forget the structured output every endpoint accepted (for tests, or after an
    endpoint's server was upgraded while the site runs)."""
    accepted_formats.forget()


def configured_format(endpoint: EndpointConfig) -> int:
    """Index into :data:`FORMATS` of the endpoint's ``RESPONSE_FORMAT`` (0 when unset; the
    system check ``toolkit.E098`` reports a value that is not one of them)."""
    form = endpoint.response_format
    return FORMATS.index(form) if form in FORMATS else 0


def _endpoint_key(endpoint: EndpointConfig) -> tuple[str, str]:
    return (endpoint.chat_completions_url, endpoint.model)


def request_body(
    endpoint: EndpointConfig,
    request: ChatRequest,
    fmt: ResponseFormat,
    max_tokens: int,
    resample: bool = False,
) -> dict[str, Any]:
    """The JSON body of one attempt at ``request``, asking for structure as ``fmt``."""
    messages = [dict(message) for message in request.messages]
    if endpoint.merge_system_prompt:
        messages = merge_system_messages(messages)
    body: dict[str, Any] = {**endpoint.options, "model": endpoint.model}
    if resample and body.get("temperature") == 0:
        # Greedy decoding would give the same broken answer again.
        body["temperature"] = RESAMPLE_TEMPERATURE
    # Ollama and the llama.cpp server read only max_tokens, not max_completion_tokens.
    body["max_tokens"] = max_tokens
    schema = request.schema
    if schema is not None and fmt == "json_schema":
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {
                "name": request.schema_name,
                "schema": dict(schema),
                "strict": is_strict(dict(schema)),
            },
        }
    elif schema is not None:
        if fmt == "json_object_with_schema":
            body["response_format"] = {"type": "json_object", "schema": dict(schema)}
        elif fmt == "json_object":
            body["response_format"] = {"type": "json_object"}
        # Without a schema in response_format the model learns the shape from the
        # prompt; the last message is the one every chat template keeps.
        if messages and isinstance(messages[-1].get("content"), str):
            messages[-1]["content"] += (
                "\n\nAnswer with only a JSON object that matches this JSON Schema:\n"
                + json.dumps(schema, separators=(",", ":"))
            )
    body["messages"] = messages
    return body


def rejects_format(response: httpx.Response, content: bytes) -> bool:
    """Whether an error response says the endpoint does not support the response_format."""
    if response.status_code in _FORMAT_REJECTED_STATUSES:
        return True
    lowered = content[:4096].lower()
    return any(word in lowered for word in _FORMAT_ERROR_WORDS)


def merge_system_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold the text of system messages into the first user message."""
    system: list[str] = []
    rest: list[dict[str, Any]] = []
    for message in messages:
        if message.get("role") == "system" and isinstance(message.get("content"), str):
            system.append(message["content"])
        else:
            rest.append(message)
    if not system:
        return messages
    preamble = "\n\n".join(system)
    for message in rest:
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            message["content"] = f"{preamble}\n\n{message['content']}"
            return rest
    return [{"role": "user", "content": preamble}, *rest]
