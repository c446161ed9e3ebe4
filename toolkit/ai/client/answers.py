"""Reading a successful HTTP answer: the chat completion, its text, its JSON, its usage.

Each reader raises a :class:`~toolkit.exceptions.ResponseFormatError` (or its
:class:`~toolkit.exceptions.SchemaValidationError`) whose message says what came
instead, so a person can tell a proxy's page from a model that wandered off the schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import httpx

from toolkit.ai.client.types import Usage
from toolkit.ai.client.wording import error_detail, excerpt, sentence, who
from toolkit.ai.endpoints import EndpointConfig
from toolkit.ai.schema import validate
from toolkit.exceptions import ResponseFormatError, SchemaValidationError

__all__ = ["message_text", "parse_answer", "parse_json_answer", "parse_payload", "usage_of"]

#: ``{`` positions tried as the start of a JSON object in a prose answer, at most.
_MAX_JSON_CANDIDATES = 50


def parse_payload(
    endpoint: EndpointConfig, response: httpx.Response, content: bytes, attempts: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first choice and the whole payload of a 2xx chat completion response."""
    text = content.decode("utf-8", errors="replace")
    common: dict[str, Any] = {
        "endpoint": endpoint.name,
        "attempts": attempts,
        "content": excerpt(endpoint, text),
    }
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        kind = response.headers.get("content-type") or "no content type"
        raise ResponseFormatError(
            f"{who(endpoint)} answered HTTP {response.status_code} with {kind}, not JSON: "
            f"{excerpt(endpoint, ' '.join(text.split()), 80)!r}.",
            **common,
        ) from None
    choices = payload.get("choices") if isinstance(payload, dict) else None
    choice = choices[0] if isinstance(choices, list) and choices else None
    if not isinstance(choice, dict) or not isinstance(choice.get("message"), dict):
        if isinstance(payload, dict) and payload.get("error"):
            detail = error_detail(endpoint, response, content)
            raise ResponseFormatError(
                sentence(f"{who(endpoint)} answered with an error: {detail}"), **common
            )
        raise ResponseFormatError(
            f"{who(endpoint)} answered JSON that is not a chat completion (no "
            "choices[0].message); is BASE_URL an OpenAI-compatible API root?",
            **common,
        )
    return choice, payload


def message_text(endpoint: EndpointConfig, choice: dict[str, Any], attempts: int) -> str:
    """The text of the choice's message; a refusal or an empty message raises."""
    message = choice["message"]
    text = message.get("content")
    if isinstance(text, str):
        return text
    refusal = message.get("refusal")
    raise ResponseFormatError(
        sentence(f"{who(endpoint)} refused to answer: {excerpt(endpoint, str(refusal), 200)}")
        if refusal
        else f"{who(endpoint)} answered without any text.",
        endpoint=endpoint.name,
        attempts=attempts,
    )


def parse_answer(
    endpoint: EndpointConfig, text: str, schema: Mapping[str, Any], attempts: int
) -> Any:
    """The JSON value of the answer ``text``, checked against ``schema``."""
    common: dict[str, Any] = {
        "endpoint": endpoint.name,
        "attempts": attempts,
        "content": excerpt(endpoint, text),
    }
    try:
        data = parse_json_answer(text)
    except ValueError:
        raise ResponseFormatError(
            f"The answer of {who(endpoint)} contains no JSON object: "
            f"{excerpt(endpoint, ' '.join(text.split()), 80)!r}.",
            **common,
        ) from None
    errors = validate(data, dict(schema))
    if errors:
        shown = "; ".join(errors[:3]) + (
            f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        )
        raise SchemaValidationError(
            sentence(
                f"The answer of {who(endpoint)} does not match the schema: "
                + excerpt(endpoint, shown, 200)
            ),
            errors=errors,
            **common,
        )
    return data


def parse_json_answer(text: str) -> Any:
    """The JSON value in a model's answer: the whole text, else its first JSON object.

    Models without structured output wrap JSON in prose or Markdown fences; the first
    ``{...}`` that parses is taken. Raises ``ValueError`` when there is none.
    """
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    decoder = json.JSONDecoder()
    for count, match in enumerate(re.finditer(r"\{", text)):
        if count >= _MAX_JSON_CANDIDATES:
            break
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict):
            return value
    raise ValueError("no JSON object in the answer")


def usage_of(payload: dict[str, Any]) -> Usage:
    """The tokens a payload reports; anything missing or odd counts as 0."""
    usage = payload.get("usage")
    if not isinstance(usage, dict):
        return Usage()

    def count(name: str) -> int:
        value = usage.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0

    return Usage(count("prompt_tokens"), count("completion_tokens"))
