"""What :class:`~toolkit.ai.client.Client` and ``AsyncClient`` share: everything but
the I/O, as httpx's ``BaseClient`` does for its two clients.

:meth:`BaseClient._plan` is a generator that yields the sends and sleeps one request
needs and returns its :class:`~toolkit.ai.client.types.Completion`; each client only
performs them, blocking or with ``await``. So the request bodies, the retries, the
structured-output fallbacks (:mod:`~toolkit.ai.client.formats`), the second chance for
a broken answer and the larger budget for a cut-off one are written once. So are the
slots' httpx clients (:meth:`BaseClient._pool`) and, in :mod:`~toolkit.ai.client.reading`,
the size limit on an answer.
"""

from __future__ import annotations

import logging
import random
import ssl
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

import toolkit
from toolkit.ai.client.answers import message_text, parse_answer, parse_payload, usage_of
from toolkit.ai.client.formats import FORMATS, accepted_formats, rejects_format, request_body
from toolkit.ai.client.reading import Body, TooLarge
from toolkit.ai.client.retries import retry_after, status_error, transport_error
from toolkit.ai.client.types import ChatRequest, Completion, Usage
from toolkit.ai.client.wording import excerpt, safe_url, who
from toolkit.ai.endpoints import DEFAULT_ENDPOINT, EndpointConfig, get_endpoint
from toolkit.ai.schema import check_schema
from toolkit.exceptions import (
    EndpointError,
    ResponseFormatError,
    ResponseTooLarge,
    TruncatedResponse,
)

__all__ = ["BaseClient"]

logger = logging.getLogger("toolkit.ai.client")


@dataclass(frozen=True)
class Send:
    """Send this HTTP request; answer with a :data:`Reply`."""

    request: httpx.Request


@dataclass(frozen=True)
class Sleep:
    """Wait this many seconds before the next attempt; answer with ``None``."""

    seconds: float


Step = Send | Sleep
#: What a client hands back for a :class:`Send`: the answer read in full, or why not.
Reply = Body | TooLarge | httpx.TransportError | httpx.DecodingError
Plan = Generator[Step, Reply | None, Completion]

#: The httpx client of a slot: ``httpx.Client`` or ``httpx.AsyncClient``.
PoolT = TypeVar("PoolT", httpx.Client, httpx.AsyncClient)


class BaseClient(Generic[PoolT]):
    """The behaviour shared by ``Client`` and ``AsyncClient``; ``PoolT`` is the httpx
    client class of their slots."""

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
        self,
        endpoint: str | EndpointConfig = DEFAULT_ENDPOINT,
        *,
        concurrency: int | None = None,
        transport_injected: bool = False,
    ) -> None:
        self.endpoint = get_endpoint(endpoint) if isinstance(endpoint, str) else endpoint
        #: Requests in flight at once, at most (the endpoint's ``CONCURRENCY`` by default).
        self.concurrency = max(1, concurrency or self.endpoint.concurrency)
        # Parsed once: httpx parses a URL given as text on every request it builds.
        self._url = httpx.URL(self.endpoint.chat_completions_url)
        self._options = self._slot_options(transport_injected)
        # Slot clients are made when their slot is first taken (see _slot_options).
        self._pools: list[PoolT | None] = [None] * self.concurrency

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} endpoint={self.endpoint.name!r} "
            f"url={safe_url(self.endpoint.base_url)!r} model={self.endpoint.model!r}>"
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

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        key = self.endpoint.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _new_pool(self) -> PoolT:
        """A new httpx client for one slot, with :meth:`_slot_options`."""
        raise NotImplementedError(f"{type(self).__name__} must implement _new_pool().")

    def _pool(self, slot: int) -> PoolT:
        # Only the holder of ``slot`` (or of slot 0, which is never closed before the
        # client is) gets here for it, so no lock is needed.
        pool = self._pools[slot]
        if pool is None:
            pool = self._pools[slot] = self._new_pool()
        return pool

    def _build_request(self, body: dict[str, Any]) -> httpx.Request:
        return self._pool(0).build_request("POST", self._url, json=body, headers=self._headers())

    def _backoff(self, retries: int) -> float:
        """Seconds to wait before retry number ``retries + 1`` when the server says nothing."""
        wait_for = min(self.backoff_initial * 2**retries, self.backoff_max)
        return wait_for * (1 - self.backoff_jitter * random.random())

    # -- the logic of one request, free of I/O ----------------------------------------

    def _plan(self, request: ChatRequest) -> Plan:
        """Yield the sends and sleeps one request needs; return its :class:`Completion`.

        The driver answers each :class:`Send` with a :data:`Reply` and each
        :class:`Sleep` with ``None``. Raises an :class:`~toolkit.exceptions.AIError`
        when the request ends without an answer.
        """
        if request.schema is not None:
            check_schema(request.schema)
        endpoint = self.endpoint
        started = time.monotonic()
        first_index = accepted_formats.first(endpoint)
        fmt_index = first_index if request.schema is not None else len(FORMATS) - 1
        max_tokens = request.max_tokens or endpoint.max_tokens
        attempts = retries = 0
        extended = reasked = False
        usage = Usage()
        while True:
            fmt = FORMATS[fmt_index]
            attempts += 1
            body = request_body(endpoint, request, fmt, max_tokens, resample=reasked)
            reply = yield Send(self._build_request(body))
            error: EndpointError
            delay: float | None = None
            if isinstance(reply, TooLarge):
                raise self._too_large(reply, attempts)
            if isinstance(reply, httpx.DecodingError):
                raise ResponseFormatError(
                    f"{who(endpoint)} sent a body that could not be decoded ({reply}).",
                    endpoint=endpoint.name,
                    attempts=attempts,
                )
            if isinstance(reply, httpx.TransportError):
                error = transport_error(endpoint, reply, attempts)
            else:
                assert reply is not None
                response, content = reply.response, reply.content
                if not response.is_success:
                    if fmt_index < len(FORMATS) - 1 and rejects_format(response, content):
                        # Another request may have found the form meanwhile.
                        next_index = max(fmt_index + 1, accepted_formats.first(endpoint))
                        logger.debug(
                            "%s answered response_format %s with HTTP %s; asking with %s.",
                            who(endpoint),
                            fmt,
                            response.status_code,
                            FORMATS[next_index],
                        )
                        fmt_index = next_index
                        continue
                    error = status_error(endpoint, response, content, attempts)
                    delay = retry_after(response.headers)
                else:
                    choice, payload = parse_payload(endpoint, response, content, attempts)
                    usage += usage_of(payload)
                    finish_reason = choice.get("finish_reason")
                    text = message_text(endpoint, choice, attempts)
                    if finish_reason == "length":
                        if not extended:
                            extended = True
                            logger.info(
                                "%s stopped at max_tokens=%s; asking again with %s",
                                who(endpoint),
                                max_tokens,
                                max_tokens * 2,
                            )
                            max_tokens *= 2
                            continue
                        raise TruncatedResponse(
                            f"{who(endpoint)} cut the answer off at max_tokens={max_tokens} "
                            "(finish_reason 'length'), even after a retry with twice the "
                            "budget. Raise MAX_TOKENS or ask for a shorter answer.",
                            endpoint=endpoint.name,
                            attempts=attempts,
                            content=excerpt(endpoint, text),
                        )
                    data = None
                    if request.schema is not None:
                        try:
                            data = parse_answer(endpoint, text, request.schema, attempts)
                        except ResponseFormatError as exc:
                            if reasked:
                                raise
                            reasked = True
                            logger.info("%s Asking once more.", exc)
                            continue
                        if accepted_formats.learn(endpoint, fmt_index):
                            logger.info(
                                "%s takes structured output as %s, not %s; this process "
                                "asks it for that from now on.",
                                who(endpoint),
                                fmt,
                                FORMATS[first_index],
                            )
                    return Completion(
                        text=text,
                        data=data,
                        finish_reason=finish_reason,
                        model=str(payload.get("model") or endpoint.model),
                        endpoint=endpoint.name,
                        usage=usage,
                        attempts=attempts,
                        latency=time.monotonic() - started,
                        response_format=fmt,
                    )
            delay = self._retry_delay(error, delay, retries, attempts)
            retries += 1
            logger.info(
                "%s Retrying in %.2f s (retry %s of %s).",
                error,
                delay,
                retries,
                endpoint.max_retries,
            )
            yield Sleep(delay)

    def _retry_delay(
        self, error: EndpointError, asked: float | None, retries: int, attempts: int
    ) -> float:
        """Seconds to wait before trying again after ``error``; raises when not to.

        ``asked`` is what the server asked for (``Retry-After``), if anything.
        """
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
        if asked is not None and asked > self.retry_after_cap:
            raise EndpointError(
                f"{error} The endpoint asks to wait {asked:.0f} s before retrying, longer "
                f"than the client waits ({self.retry_after_cap:g} s); try again later.",
                endpoint=self.endpoint.name,
                attempts=attempts,
                status=error.status,
                retryable=True,
            )
        if asked is None or asked < 0:
            return self._backoff(retries)
        return asked

    def _too_large(self, reply: TooLarge, attempts: int) -> ResponseTooLarge:
        sent = (
            f"announced an answer of {reply.size:,} bytes, more than"
            if reply.announced
            else "sent an answer longer than"
        )
        return ResponseTooLarge(
            f"{who(self.endpoint)} {sent} the {self.max_response_bytes:,} bytes the client "
            "accepts; the answer was abandoned.",
            endpoint=self.endpoint.name,
            attempts=attempts,
        )
