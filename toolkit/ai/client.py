"""A client for OpenAI-compatible ``/v1/chat/completions`` endpoints.

Works with OpenAI, vLLM, Ollama, the llama.cpp server and LiteLLM. Two classes with the
same behaviour, as in httpx: :class:`Client` (blocking; ``complete_many`` runs requests
on threads) and :class:`AsyncClient` (``await``; ``complete_many`` runs them as tasks).

What one request does, in order (the logic lives once, in ``_BaseClient._plan``; the two
classes only perform its sends and sleeps):

1. Structured output: with a ``schema`` the request asks for ``response_format``
   ``json_schema`` (OpenAI, vLLM, Ollama, LiteLLM). An endpoint that rejects that
   (HTTP 400/422, or any error naming ``response_format``) is asked again with
   ``{"type": "json_object", "schema": ...}`` (the llama-cpp-python server, which turns
   that schema into a grammar), then with plain ``json_object``, then with no
   ``response_format`` at all. Below ``json_schema`` the schema is also spelt out in
   the prompt, and the first JSON object in the text is taken. The client remembers the
   step that worked, so later requests skip the ones that failed.
2. The answer is parsed and validated against the schema
   (:mod:`toolkit.ai.schema`). An answer with no JSON object, or of the wrong shape, is
   asked for once more (at :data:`RESAMPLE_TEMPERATURE` when the request said 0) before
   it fails: small local models slip now and then where the next answer is fine.
3. Retries, as openai-python does: up to ``MAX_RETRIES`` (default 2) after connection
   errors, timeouts, 408, 409, 429 and 5xx, waiting ``min(0.5 * 2**n, 8)`` seconds less
   up to 25 % jitter, or what ``retry-after-ms`` / ``Retry-After`` ask for, up to
   :attr:`_BaseClient.retry_after_cap` seconds (a longer wait fails at once, with that
   wait in the message). ``x-should-retry`` from the server overrides the choice.
4. ``finish_reason == "length"`` (an answer cut off at ``max_tokens``) is asked again
   once with twice the budget, then fails with :class:`TruncatedResponse`.
5. Every attempt is bounded: ``CONNECT_TIMEOUT`` to connect and ``TIMEOUT`` to receive
   the whole answer, and a body larger than :attr:`_BaseClient.max_response_bytes` is
   abandoned.

Token usage (summed over all attempts that reported it), latency and attempts are on the
returned :class:`Completion`. Failures raise a subclass of
:class:`~toolkit.exceptions.AIError` whose message is a sentence; the API key (read from
the environment at each request) is sent only as a Bearer header and redacted from any
text the server echoes back.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import queue
import random
import re
import ssl
import time
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast, overload

import httpx

import toolkit
from toolkit.ai.endpoints import DEFAULT_ENDPOINT, EndpointConfig, get_endpoint
from toolkit.ai.schema import check_schema, is_strict, validate
from toolkit.exceptions import (
    AIError,
    EndpointError,
    EndpointTimeout,
    EndpointUnreachable,
    ResponseFormatError,
    ResponseTooLarge,
    SchemaValidationError,
    TruncatedResponse,
)

__all__ = [
    "AsyncClient",
    "ChatRequest",
    "Client",
    "Completion",
    "Outcome",
    "ResponseFormat",
    "Usage",
]

logger = logging.getLogger("toolkit.ai.client")

#: How the answer's structure is asked for, from the strictest to none at all.
ResponseFormat = Literal["json_schema", "json_object_with_schema", "json_object", "text"]

#: An answer that is no JSON, or JSON of the wrong shape, is asked for once more (small
#: models slip now and then); a request sent with temperature 0 is sent again with this
#: one, since greedy decoding would repeat the same answer.
RESAMPLE_TEMPERATURE = 0.5
_FORMATS: tuple[ResponseFormat, ...] = (
    "json_schema",
    "json_object_with_schema",
    "json_object",
    "text",
)

#: Statuses worth retrying besides 5xx (openai-python retries the same ones).
RETRYABLE_STATUSES = frozenset({408, 409, 429})

#: Statuses with which an endpoint rejects a ``response_format`` it does not support.
_FORMAT_REJECTED_STATUSES = frozenset({400, 422})
#: Words that show an error of any status is about the ``response_format`` (the
#: llama-cpp-python server answers an unknown type with a 500 naming it).
_FORMAT_ERROR_WORDS = (b"response_format", b"json_schema")

#: Transport errors that say nothing about the request itself, so trying again may work.
_RETRYABLE_TRANSPORT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.ProxyError)

_EXCERPT = 300
_MAX_JSON_CANDIDATES = 50


@dataclass(frozen=True)
class Usage:
    """Tokens an answer cost, as the endpoint reported them (0 when it did not)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion to make.

    ``messages`` are OpenAI chat messages (``{"role": ..., "content": ...}``). With a
    ``schema`` the answer must be a JSON value matching it and is returned parsed in
    :attr:`Completion.data`. ``max_tokens`` overrides the endpoint's ``MAX_TOKENS``.
    ``key`` is the caller's own tag (say, a record's primary key), returned untouched
    on the :class:`Outcome` so batch results can be matched to their inputs.
    """

    messages: Sequence[Mapping[str, Any]]
    schema: Mapping[str, Any] | None = None
    schema_name: str = "answer"
    max_tokens: int | None = None
    key: Any = None


@dataclass(frozen=True)
class Completion:
    """A successful answer and what it cost."""

    #: The text the model produced.
    text: str
    #: The parsed, validated JSON answer when the request had a schema, else ``None``.
    data: Any
    #: The model's reason for stopping (``"stop"`` normally).
    finish_reason: str | None
    #: The model that answered, as the endpoint named it.
    model: str
    #: The endpoint's name in ``TOOLKIT_AI``.
    endpoint: str
    #: Tokens spent, summed over every attempt that reported usage.
    usage: Usage
    #: HTTP requests made for this answer, retries included.
    attempts: int
    #: Seconds from the first attempt to the answer, back-off waits included.
    latency: float
    #: How the structure was asked for in the attempt that succeeded.
    response_format: ResponseFormat


@dataclass(frozen=True)
class Outcome:
    """What became of one request of a batch: a completion or an error, never neither."""

    request: ChatRequest
    completion: Completion | None = None
    error: AIError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class _Send:
    request: httpx.Request


@dataclass(frozen=True)
class _Sleep:
    seconds: float


@dataclass(frozen=True)
class _Body:
    response: httpx.Response
    content: bytes


@dataclass(frozen=True)
class _TooLarge:
    size: int
    #: True when the size is the response's Content-Length, not bytes read.
    announced: bool = False


_Action = _Send | _Sleep
#: What a driver hands back for a ``_Send``: the answer read in full, or why not.
_Reply = _Body | _TooLarge | httpx.TransportError | httpx.DecodingError
_Plan = Generator[_Action, _Reply | None, Completion]


class _BaseClient:
    """The behaviour shared by :class:`Client` and :class:`AsyncClient`."""

    #: Seconds of the first back-off wait; it doubles with each retry...
    backoff_initial: float = 0.5
    #: ...up to this many seconds.
    backoff_max: float = 8.0
    #: Fraction of the wait taken off at random, so clients do not retry in lockstep.
    backoff_jitter: float = 0.25
    #: The longest ``Retry-After`` honoured; asked to wait longer, the request fails.
    retry_after_cap: float = 60.0
    #: Bodies larger than this are abandoned (:class:`ResponseTooLarge`).
    max_response_bytes: int = 1024 * 1024

    def __init__(
        self, endpoint: str | EndpointConfig = DEFAULT_ENDPOINT, *, concurrency: int | None = None
    ) -> None:
        self.endpoint = get_endpoint(endpoint) if isinstance(endpoint, str) else endpoint
        #: Requests in flight at once, at most (the endpoint's ``CONCURRENCY`` by default).
        self.concurrency = max(1, concurrency or self.endpoint.concurrency)
        # Index into _FORMATS of the strictest structured output the endpoint accepted.
        self._format_index = 0
        # Parsed once: httpx parses a URL given as text on every request it builds.
        self._url = httpx.URL(self.endpoint.chat_completions_url)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} endpoint={self.endpoint.name!r} "
            f"url={_safe_url(self.endpoint.base_url)!r} model={self.endpoint.model!r}>"
        )

    def _slot_options(self, transport_injected: bool) -> dict[str, Any]:
        """Options of the httpx client of each slot.

        A slot is one request in flight with a keep-alive connection of its own:
        ``concurrency`` httpx clients of one connection each, rather than one pool of
        ``concurrency`` connections. httpcore's pool does work quadratic in its size on
        every request (and, with many requests in flight, hands one idle connection to
        several of them, which then retry), so at 150 connections one pool spent more
        CPU than the rest of the request; and a pool above httpx's default of 100 needs
        its limits raised anyway, or the 101st request waits and may hit the pool
        timeout. Slots are taken from a LIFO stack, so a light load keeps reusing the
        same warm connections, and each slot's client is made when the slot is first
        taken: a light load makes one or two, and a run of 150 at a time sends its first
        request before the 150th client exists rather than after.
        """
        options: dict[str, Any] = {
            "timeout": httpx.Timeout(self.endpoint.timeout, connect=self.endpoint.connect_timeout),
            "limits": httpx.Limits(max_connections=1, max_keepalive_connections=1),
            "headers": {"User-Agent": f"django-toolkit/{toolkit.__version__}"},
            "follow_redirects": False,
        }
        if not transport_injected:
            # Loading the CA certificates takes ~50 ms: once per client, not per slot,
            # and only for an https endpoint. A plain-http one never speaks TLS; its
            # context holds no certificate, so TLS there would fail rather than go
            # unverified.
            if self._url.scheme == "https":
                options["verify"] = httpx.create_ssl_context()
            else:
                options["verify"] = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return options

    @property
    def _attempt_budget(self) -> float:
        """Seconds one attempt may take from sending to the last byte of the answer."""
        return self.endpoint.connect_timeout + self.endpoint.timeout

    # -- building requests ------------------------------------------------------------

    def _build_body(
        self,
        request: ChatRequest,
        fmt: ResponseFormat,
        max_tokens: int,
        resample: bool = False,
    ) -> dict[str, Any]:
        messages = [dict(message) for message in request.messages]
        if self.endpoint.merge_system_prompt:
            messages = _merge_system_messages(messages)
        body: dict[str, Any] = {**self.endpoint.options, "model": self.endpoint.model}
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

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        key = self.endpoint.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _build_request(self, body: dict[str, Any]) -> httpx.Request:
        raise NotImplementedError(f"{type(self).__name__} must implement _build_request().")

    # -- the logic of one request, free of I/O ----------------------------------------

    def _plan(self, request: ChatRequest) -> _Plan:
        """Yield the sends and sleeps one request needs; return its :class:`Completion`.

        The driver answers each ``_Send`` with a ``_Reply`` and each ``_Sleep`` with
        ``None``. Raises an :class:`AIError` when the request ends without an answer.
        """
        if request.schema is not None:
            check_schema(request.schema)
        started = time.monotonic()
        fmt_index = self._format_index if request.schema is not None else len(_FORMATS) - 1
        max_tokens = request.max_tokens or self.endpoint.max_tokens
        attempts = retries = 0
        extended = reasked = False
        usage = Usage()
        while True:
            fmt = _FORMATS[fmt_index]
            attempts += 1
            body = self._build_body(request, fmt, max_tokens, resample=reasked)
            reply = yield _Send(self._build_request(body))
            error: EndpointError
            delay: float | None = None
            if isinstance(reply, _TooLarge):
                sent = (
                    f"announced an answer of {reply.size:,} bytes, more than"
                    if reply.announced
                    else "sent an answer longer than"
                )
                raise ResponseTooLarge(
                    f"{self._who} {sent} the {self.max_response_bytes:,} bytes the client "
                    "accepts; the answer was abandoned.",
                    endpoint=self.endpoint.name,
                    attempts=attempts,
                )
            if isinstance(reply, httpx.DecodingError):
                raise ResponseFormatError(
                    f"{self._who} sent a body that could not be decoded ({reply}).",
                    endpoint=self.endpoint.name,
                    attempts=attempts,
                )
            if isinstance(reply, httpx.TransportError):
                error = self._transport_error(reply, attempts)
            else:
                assert reply is not None
                response, content = reply.response, reply.content
                if not response.is_success:
                    if fmt_index < len(_FORMATS) - 1 and _rejects_format(response, content):
                        logger.info(
                            "%s rejected response_format %s (HTTP %s); trying %s",
                            self._who,
                            fmt,
                            response.status_code,
                            _FORMATS[fmt_index + 1],
                        )
                        fmt_index += 1
                        continue
                    error = self._status_error(response, content, attempts)
                    delay = _retry_after(response.headers)
                else:
                    choice, payload = self._parse_payload(response, content, attempts)
                    usage += _usage(payload)
                    finish_reason = choice.get("finish_reason")
                    text = self._message_text(choice, attempts)
                    if finish_reason == "length":
                        if not extended:
                            extended = True
                            logger.info(
                                "%s stopped at max_tokens=%s; asking again with %s",
                                self._who,
                                max_tokens,
                                max_tokens * 2,
                            )
                            max_tokens *= 2
                            continue
                        raise TruncatedResponse(
                            f"{self._who} cut the answer off at max_tokens={max_tokens} "
                            "(finish_reason 'length'), even after a retry with twice the "
                            "budget. Raise MAX_TOKENS or ask for a shorter answer.",
                            endpoint=self.endpoint.name,
                            attempts=attempts,
                            content=self._excerpt(text),
                        )
                    data = None
                    if request.schema is not None:
                        try:
                            data = self._parse_answer(text, request.schema, attempts)
                        except ResponseFormatError as exc:
                            if reasked:
                                raise
                            reasked = True
                            logger.info("%s Asking once more.", exc)
                            continue
                        # Later requests start from the format that worked.
                        self._format_index = max(self._format_index, fmt_index)
                    return Completion(
                        text=text,
                        data=data,
                        finish_reason=finish_reason,
                        model=str(payload.get("model") or self.endpoint.model),
                        endpoint=self.endpoint.name,
                        usage=usage,
                        attempts=attempts,
                        latency=time.monotonic() - started,
                        response_format=fmt,
                    )
            if not error.retryable:
                raise error
            if retries >= self.endpoint.max_retries:
                if retries:
                    raise type(error)(
                        f"{error} Gave up after {attempts} attempts.",
                        endpoint=error.endpoint,
                        attempts=attempts,
                        status=error.status,
                        retryable=True,
                    )
                raise error
            if delay is not None and delay > self.retry_after_cap:
                raise EndpointError(
                    f"{error} The endpoint asks to wait {delay:.0f} s before retrying, longer "
                    f"than the client waits ({self.retry_after_cap:g} s); try again later.",
                    endpoint=self.endpoint.name,
                    attempts=attempts,
                    status=error.status,
                    retryable=True,
                )
            if delay is None or delay < 0:
                delay = self._backoff(retries)
            retries += 1
            logger.info(
                "%s Retrying in %.2f s (retry %s of %s).",
                error,
                delay,
                retries,
                self.endpoint.max_retries,
            )
            yield _Sleep(delay)

    def _backoff(self, retries: int) -> float:
        """Seconds to wait before retry number ``retries + 1`` when the server says nothing."""
        wait_for = min(self.backoff_initial * 2**retries, self.backoff_max)
        return wait_for * (1 - self.backoff_jitter * random.random())

    # -- reading answers --------------------------------------------------------------

    @property
    def _who(self) -> str:
        return f"LLM endpoint {self.endpoint.name!r}"

    def _redact(self, text: str) -> str:
        key = self.endpoint.api_key()
        return text.replace(key, "[redacted]") if key else text

    def _excerpt(self, text: str, limit: int = _EXCERPT) -> str:
        text = self._redact(text)
        return text if len(text) <= limit else text[:limit] + "…"

    def _transport_error(self, exc: httpx.TransportError, attempts: int) -> EndpointError:
        detail = self._redact(str(exc) or type(exc).__name__)
        url = _safe_url(self.endpoint.base_url)
        common: dict[str, Any] = {"endpoint": self.endpoint.name, "attempts": attempts}
        if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
            return EndpointUnreachable(
                f"{self._who} at {url} cannot be reached ({detail}); is the server running?",
                retryable=True,
                **common,
            )
        if isinstance(exc, httpx.TimeoutException):
            return EndpointTimeout(
                f"{self._who} at {url} sent no complete answer within "
                f"{self.endpoint.timeout:g} s (TIMEOUT).",
                retryable=True,
                **common,
            )
        if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
            return EndpointUnreachable(
                f"{self._who} at {url} dropped the connection ({detail}).",
                retryable=True,
                **common,
            )
        return EndpointError(
            f"{self._who} at {url} could not be asked ({type(exc).__name__}: {detail}).",
            retryable=isinstance(exc, _RETRYABLE_TRANSPORT_ERRORS),
            **common,
        )

    def _status_error(
        self, response: httpx.Response, content: bytes, attempts: int
    ) -> EndpointError:
        status = response.status_code
        retryable = status in RETRYABLE_STATUSES or status >= 500
        should_retry = response.headers.get("x-should-retry", "").lower()
        if should_retry in ("true", "false"):
            retryable = should_retry == "true"
        message = _sentence(
            f"{self._who} answered HTTP {status} {response.reason_phrase}".rstrip()
            + f": {self._error_detail(response, content)}"
        )
        if status in (401, 403):
            if self.endpoint.api_key_env:
                message += (
                    f" Check the API key in the environment variable {self.endpoint.api_key_env}."
                )
            else:
                message += " The endpoint may need a key: set API_KEY_ENV in TOOLKIT_AI."
        elif status == 404:
            message += (
                f" Check BASE_URL ({_safe_url(self.endpoint.base_url)}) and "
                f"MODEL ({self.endpoint.model!r})."
            )
        elif 300 <= status < 400 and "location" in response.headers:
            message += (
                f" It redirects to {_safe_url(response.headers['location'])}: set BASE_URL to that."
            )
        return EndpointError(
            message,
            endpoint=self.endpoint.name,
            attempts=attempts,
            status=status,
            retryable=retryable,
        )

    def _error_detail(self, response: httpx.Response, content: bytes) -> str:
        text = content.decode("utf-8", errors="replace")
        try:
            payload = json.loads(text)
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            error = payload.get("error", payload.get("detail", payload.get("message")))
            if isinstance(error, dict):
                error = error.get("message") or error
            if error:
                return self._excerpt(" ".join(str(error).split()), 200)
        content_type = response.headers.get("content-type", "")
        if "html" in content_type or text.lstrip()[:1] == "<":
            title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
            what = (
                f"an HTML page ({' '.join(title.group(1).split())!r})" if title else "an HTML page"
            )
            return self._excerpt(f"{what}, probably from a proxy in front of the model", 200)
        return self._excerpt(" ".join(text.split()), 200) or "(empty body)"

    def _parse_payload(
        self, response: httpx.Response, content: bytes, attempts: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The first choice and the whole payload of a 2xx chat completion response."""
        text = content.decode("utf-8", errors="replace")
        common: dict[str, Any] = {
            "endpoint": self.endpoint.name,
            "attempts": attempts,
            "content": self._excerpt(text),
        }
        try:
            payload = json.loads(text)
        except (ValueError, RecursionError):
            kind = response.headers.get("content-type") or "no content type"
            raise ResponseFormatError(
                f"{self._who} answered HTTP {response.status_code} with {kind}, not JSON: "
                f"{self._excerpt(' '.join(text.split()), 80)!r}.",
                **common,
            ) from None
        choices = payload.get("choices") if isinstance(payload, dict) else None
        choice = choices[0] if isinstance(choices, list) and choices else None
        if not isinstance(choice, dict) or not isinstance(choice.get("message"), dict):
            if isinstance(payload, dict) and payload.get("error"):
                detail = self._error_detail(response, content)
                raise ResponseFormatError(
                    _sentence(f"{self._who} answered with an error: {detail}"), **common
                )
            raise ResponseFormatError(
                f"{self._who} answered JSON that is not a chat completion (no "
                "choices[0].message); is BASE_URL an OpenAI-compatible API root?",
                **common,
            )
        return choice, payload

    def _message_text(self, choice: dict[str, Any], attempts: int) -> str:
        message = choice["message"]
        text = message.get("content")
        if isinstance(text, str):
            return text
        refusal = message.get("refusal")
        raise ResponseFormatError(
            _sentence(f"{self._who} refused to answer: {self._excerpt(str(refusal), 200)}")
            if refusal
            else f"{self._who} answered without any text.",
            endpoint=self.endpoint.name,
            attempts=attempts,
        )

    def _parse_answer(self, text: str, schema: Mapping[str, Any], attempts: int) -> Any:
        common: dict[str, Any] = {
            "endpoint": self.endpoint.name,
            "attempts": attempts,
            "content": self._excerpt(text),
        }
        try:
            data = parse_json_answer(text)
        except ValueError:
            raise ResponseFormatError(
                f"The answer of {self._who} contains no JSON object: "
                f"{self._excerpt(' '.join(text.split()), 80)!r}.",
                **common,
            ) from None
        errors = validate(data, dict(schema))
        if errors:
            shown = "; ".join(errors[:3]) + (
                f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
            )
            raise SchemaValidationError(
                _sentence(
                    f"The answer of {self._who} does not match the schema: "
                    + self._excerpt(shown, 200)
                ),
                errors=errors,
                **common,
            )
        return data


class Client(_BaseClient):
    """Blocking client for one endpoint. Thread-safe; close it (or use ``with``).

    ``transport`` replaces the network, e.g. ``httpx.MockTransport(handler)`` in tests.
    """

    def __init__(
        self,
        endpoint: str | EndpointConfig = DEFAULT_ENDPOINT,
        *,
        concurrency: int | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(endpoint, concurrency=concurrency)
        self._transport = transport
        self._options = self._slot_options(transport is not None)
        # Slot clients are made when their slot is first taken (see _slot_options).
        self._pools: list[httpx.Client | None] = [None] * self.concurrency
        self._slots: queue.LifoQueue[int] = queue.LifoQueue()
        for slot in reversed(range(self.concurrency)):
            self._slots.put(slot)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        for pool in self._pools:
            if pool is not None:
                pool.close()

    def complete(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        schema: Mapping[str, Any] | None = None,
        schema_name: str = "answer",
        max_tokens: int | None = None,
    ) -> Completion:
        """Ask for one answer; raise an :class:`~toolkit.exceptions.AIError` if none comes."""
        return self.complete_request(
            ChatRequest(messages, schema=schema, schema_name=schema_name, max_tokens=max_tokens)
        )

    def complete_request(self, request: ChatRequest) -> Completion:
        """:meth:`complete` for a prepared :class:`ChatRequest`."""
        plan = self._plan(request)
        reply: _Reply | None = None
        try:
            while True:
                action = plan.send(reply)
                if isinstance(action, _Sleep):
                    self._sleep(action.seconds)
                    reply = None
                else:
                    reply = self._send(action.request)
        except StopIteration as stop:
            return cast(Completion, stop.value)

    def complete_many(
        self,
        requests: Iterable[ChatRequest],
        *,
        read_ahead: int = 0,
        should_stop: Callable[[], bool] | None = None,
    ) -> Iterator[Outcome]:
        """Yield an :class:`Outcome` for every request, in the order they finish.

        Keeps up to ``concurrency`` requests in flight on worker threads and reads
        ``requests`` lazily on the calling thread (so it may be a queryset iterator and
        memory stays flat). :class:`AIError` ends up on the outcome; anything else (a
        bug, a bad schema) propagates.

        - ``read_ahead``: requests read beyond those in flight and queued for the
          threads, so a thread that finishes starts the next at once, even while the
          caller is busy with an outcome (storing answers, reading its next batch).
        - ``should_stop``: asked before each request is sent, on the thread that sends
          it; once it says True nothing more is read or sent, queued requests are
          dropped without an outcome, and the ones in flight finish.
        """
        source = iter(requests)
        queued = self.concurrency + max(0, read_ahead)
        # Finished requests land on a queue (a done-callback each), so waiting for the
        # next costs the same with 150 in flight as with 1; ``wait(FIRST_COMPLETED)``
        # instead walks every pending future on each call.
        finished: queue.SimpleQueue[Future[Completion]] = queue.SimpleQueue()

        def send(request: ChatRequest) -> Completion:
            if should_stop is not None and should_stop():
                raise _NotSent
            return self.complete_request(request)

        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="toolkit-ai") as pool:
            pending: dict[Future[Completion], ChatRequest] = {}
            stopped = False

            def fill() -> None:
                nonlocal stopped
                while not stopped and len(pending) < queued:
                    if should_stop is not None and should_stop():
                        stopped = True
                        for future in pending:
                            future.cancel()  # only those no thread has started
                        return
                    request = next(source, None)
                    if request is None:
                        return
                    future = pool.submit(send, request)
                    pending[future] = request
                    future.add_done_callback(finished.put)

            try:
                fill()
                while pending:
                    done = [finished.get()]
                    while not finished.empty():
                        done.append(finished.get_nowait())
                    outcomes = _collect(done, pending)
                    # Refill before handing results out, so the caller's work on them
                    # overlaps with the next requests.
                    fill()
                    yield from outcomes
            finally:
                for future in pending:
                    future.cancel()

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def _build_request(self, body: dict[str, Any]) -> httpx.Request:
        return self._pool(0).build_request("POST", self._url, json=body, headers=self._headers())

    def _pool(self, slot: int) -> httpx.Client:
        # Only the thread holding ``slot`` (or slot 0, which is never closed before the
        # client is) gets here for it, so no lock is needed.
        pool = self._pools[slot]
        if pool is None:
            pool = self._pools[slot] = httpx.Client(transport=self._transport, **self._options)
        return pool

    def _send(self, request: httpx.Request) -> _Reply:
        slot = self._slots.get()
        try:
            return self._read(self._pool(slot), request)
        finally:
            self._slots.put(slot)

    def _read(self, pool: httpx.Client, request: httpx.Request) -> _Reply:
        deadline = time.monotonic() + self._attempt_budget
        try:
            response = _transport_for(pool, request.url).handle_request(request)
        except httpx.TransportError as exc:
            return exc
        try:
            if _declared_size(response) > self.max_response_bytes:
                return _TooLarge(_declared_size(response), announced=True)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_response_bytes:
                    return _TooLarge(size)
                chunks.append(chunk)
                # httpx's read timeout is per read; a server that trickles bytes
                # would never trip it, so the attempt has a deadline of its own.
                if time.monotonic() > deadline:
                    return httpx.ReadTimeout("answer took too long", request=request)
            return _Body(response, b"".join(chunks))
        except (httpx.TransportError, httpx.DecodingError) as exc:
            return exc
        finally:
            response.close()


class AsyncClient(_BaseClient):
    """Asynchronous client for one endpoint; ``async with`` it or ``await aclose()``.

    ``transport`` replaces the network, e.g. ``httpx.MockTransport(handler)`` in tests.
    """

    def __init__(
        self,
        endpoint: str | EndpointConfig = DEFAULT_ENDPOINT,
        *,
        concurrency: int | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(endpoint, concurrency=concurrency)
        self._transport = transport
        self._options = self._slot_options(transport is not None)
        # Slot clients are made when their slot is first taken (see _slot_options).
        self._pools: list[httpx.AsyncClient | None] = [None] * self.concurrency
        self._slots: asyncio.LifoQueue[int] = asyncio.LifoQueue()
        for slot in reversed(range(self.concurrency)):
            self._slots.put_nowait(slot)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for pool in self._pools:
            if pool is not None:
                await pool.aclose()

    async def complete(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        schema: Mapping[str, Any] | None = None,
        schema_name: str = "answer",
        max_tokens: int | None = None,
    ) -> Completion:
        """Ask for one answer; raise an :class:`~toolkit.exceptions.AIError` if none comes."""
        return await self.complete_request(
            ChatRequest(messages, schema=schema, schema_name=schema_name, max_tokens=max_tokens)
        )

    async def complete_request(self, request: ChatRequest) -> Completion:
        """:meth:`complete` for a prepared :class:`ChatRequest`."""
        plan = self._plan(request)
        reply: _Reply | None = None
        try:
            while True:
                action = plan.send(reply)
                if isinstance(action, _Sleep):
                    await self._sleep(action.seconds)
                    reply = None
                else:
                    reply = await self._send(action.request)
        except StopIteration as stop:
            return cast(Completion, stop.value)

    async def complete_many(
        self,
        requests: Iterable[ChatRequest] | AsyncIterable[ChatRequest],
        *,
        read_ahead: int = 0,
        should_stop: Callable[[], bool] | None = None,
    ) -> AsyncIterator[Outcome]:
        """Yield an :class:`Outcome` for every request, in the order they finish.

        Keeps up to ``concurrency`` requests in flight as tasks and reads ``requests``
        (a plain or an async iterable) lazily, so memory stays flat however many there
        are. :class:`AIError` ends up on the outcome; anything else propagates. Closing
        the iterator early cancels the requests still in flight. ``read_ahead`` and
        ``should_stop`` as in :meth:`Client.complete_many`.
        """
        pending: dict[asyncio.Future[Completion], ChatRequest] = {}
        # As in Client.complete_many: finished tasks land on a queue, so waiting for the
        # next does not walk every pending task.
        finished: asyncio.Queue[asyncio.Future[Completion]] = asyncio.Queue()
        # Read-ahead tasks wait here before doing anything, so ``should_stop`` is asked
        # right before a request is sent.
        in_flight = asyncio.Semaphore(self.concurrency)
        queued = self.concurrency + max(0, read_ahead)
        source = _aiter(requests)
        exhausted = False

        async def send(request: ChatRequest) -> Completion:
            async with in_flight:
                if should_stop is not None and should_stop():
                    raise _NotSent
                return await self.complete_request(request)

        async def fill() -> None:
            nonlocal exhausted
            while not exhausted and len(pending) < queued:
                if should_stop is not None and should_stop():
                    exhausted = True
                    return
                try:
                    request = await anext(source)
                except StopAsyncIteration:
                    exhausted = True
                    return
                task = asyncio.ensure_future(send(request))
                pending[task] = request
                task.add_done_callback(finished.put_nowait)

        try:
            await fill()
            while pending:
                done = [await finished.get()]
                while not finished.empty():
                    done.append(finished.get_nowait())
                outcomes = _collect(done, pending)
                await fill()
                for outcome in outcomes:
                    yield outcome
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def _build_request(self, body: dict[str, Any]) -> httpx.Request:
        return self._pool(0).build_request("POST", self._url, json=body, headers=self._headers())

    def _pool(self, slot: int) -> httpx.AsyncClient:
        pool = self._pools[slot]
        if pool is None:
            pool = self._pools[slot] = httpx.AsyncClient(transport=self._transport, **self._options)
        return pool

    async def _send(self, request: httpx.Request) -> _Reply:
        slot = await self._slots.get()
        try:
            async with asyncio.timeout(self._attempt_budget):
                return await self._read(self._pool(slot), request)
        except TimeoutError:
            return httpx.ReadTimeout("answer took too long", request=request)
        finally:
            self._slots.put_nowait(slot)

    async def _read(self, pool: httpx.AsyncClient, request: httpx.Request) -> _Reply:
        try:
            response = await _transport_for(pool, request.url).handle_async_request(request)
        except httpx.TransportError as exc:
            return exc
        try:
            if _declared_size(response) > self.max_response_bytes:
                return _TooLarge(_declared_size(response), announced=True)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_response_bytes:
                    return _TooLarge(size)
                chunks.append(chunk)
            return _Body(response, b"".join(chunks))
        except (httpx.TransportError, httpx.DecodingError) as exc:
            return exc
        finally:
            await response.aclose()


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


def _sentence(text: str) -> str:
    """``text`` ending like a sentence, so that more sentences can follow it."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _rejects_format(response: httpx.Response, content: bytes) -> bool:
    """Whether an error response says the endpoint does not support the response_format."""
    if response.status_code in _FORMAT_REJECTED_STATUSES:
        return True
    lowered = content[:4096].lower()
    return any(word in lowered for word in _FORMAT_ERROR_WORDS)


def _merge_system_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


@overload
def _transport_for(client: httpx.Client, url: httpx.URL) -> httpx.BaseTransport: ...
@overload
def _transport_for(client: httpx.AsyncClient, url: httpx.URL) -> httpx.AsyncBaseTransport: ...
def _transport_for(
    client: httpx.Client | httpx.AsyncClient, url: httpx.URL
) -> httpx.BaseTransport | httpx.AsyncBaseTransport:
    """The transport ``client`` sends a request for ``url`` through: its own, or the
    proxy the environment names for that URL.

    Requests go to it directly. ``Client.send`` adds what this client never uses
    (cookie persistence, auth flows, redirects, event hooks), and that cost a quarter of
    the CPU of a request, which at 150 in flight is what bounds a batch.
    """
    return client._transport_for_url(url)


class _NotSent(Exception):
    """A queued request that ``should_stop`` kept from being sent."""


def _collect(done: list[Any], pending: dict[Any, ChatRequest]) -> list[Outcome]:
    """The outcomes of the finished futures ``done``, taken off ``pending``; a request
    never sent (cancelled while queued, or kept back by ``should_stop``) has none."""
    outcomes = []
    for future in done:
        request = pending.pop(future)
        if not (future.cancelled() or isinstance(future.exception(), _NotSent)):
            outcomes.append(_outcome(request, future))
    return outcomes


def _outcome(
    request: ChatRequest, future: Future[Completion] | asyncio.Future[Completion]
) -> Outcome:
    error = future.exception()
    if error is None:
        return Outcome(request, completion=future.result())
    if isinstance(error, AIError):
        return Outcome(request, error=error)
    raise error


async def _aiter(
    items: Iterable[ChatRequest] | AsyncIterable[ChatRequest],
) -> AsyncIterator[ChatRequest]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


def _usage(payload: dict[str, Any]) -> Usage:
    usage = payload.get("usage")
    if not isinstance(usage, dict):
        return Usage()

    def count(name: str) -> int:
        value = usage.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0

    return Usage(count("prompt_tokens"), count("completion_tokens"))


def _declared_size(response: httpx.Response) -> int:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else 0


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the server asks to wait (``retry-after-ms``, then ``Retry-After``)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return float(milliseconds) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - datetime.now(UTC)).total_seconds()


def _safe_url(url: str) -> str:
    """``url`` without user info or query string, which may carry credentials."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "(invalid URL)"
    return str(parsed.copy_with(userinfo=b"", query=None, fragment=None))
