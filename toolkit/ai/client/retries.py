"""Failures of one attempt: which are worth another, how long to wait, how they read.

As openai-python does, connection errors, timeouts, 408, 409, 429 and 5xx are retried
(``x-should-retry`` from the server overrides the choice), after the wait the server
asks for in ``retry-after-ms`` or ``Retry-After``, else an exponential back-off with
jitter (:meth:`~toolkit.ai.client.base.BaseClient._backoff`). A 401, a 404 or a redirect
is not retried: its message says which setting to check.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from typing import Any

import httpx

from toolkit.ai.client.wording import error_detail, redact, safe_url, sentence, who
from toolkit.ai.endpoints import EndpointConfig
from toolkit.exceptions import EndpointError, EndpointTimeout, EndpointUnreachable

__all__ = ["RETRYABLE_STATUSES", "retry_after", "status_error", "transport_error"]

#: Statuses worth retrying besides 5xx (openai-python retries the same ones).
RETRYABLE_STATUSES = frozenset({408, 409, 429})

#: Transport errors that say nothing about the request itself, so trying again may work.
_RETRYABLE_TRANSPORT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.ProxyError)


def transport_error(
    endpoint: EndpointConfig, exc: httpx.TransportError, attempts: int
) -> EndpointError:
    """The error for an attempt that got no HTTP response at all."""
    detail = redact(endpoint, str(exc) or type(exc).__name__)
    url = safe_url(endpoint.base_url)
    common: dict[str, Any] = {"endpoint": endpoint.name, "attempts": attempts}
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
        return EndpointUnreachable(
            f"{who(endpoint)} at {url} cannot be reached ({detail}); is the server running?",
            retryable=True,
            **common,
        )
    if isinstance(exc, httpx.TimeoutException):
        return EndpointTimeout(
            f"{who(endpoint)} at {url} sent no complete answer within "
            f"{endpoint.timeout:g} s (TIMEOUT).",
            retryable=True,
            **common,
        )
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        return EndpointUnreachable(
            f"{who(endpoint)} at {url} dropped the connection ({detail}).",
            retryable=True,
            **common,
        )
    return EndpointError(
        f"{who(endpoint)} at {url} could not be asked ({type(exc).__name__}: {detail}).",
        retryable=isinstance(exc, _RETRYABLE_TRANSPORT_ERRORS),
        **common,
    )


def status_error(
    endpoint: EndpointConfig, response: httpx.Response, content: bytes, attempts: int
) -> EndpointError:
    """The error for a response that is not a 2xx, saying which setting to check."""
    status = response.status_code
    retryable = status in RETRYABLE_STATUSES or status >= 500
    should_retry = response.headers.get("x-should-retry", "").lower()
    if should_retry in ("true", "false"):
        retryable = should_retry == "true"
    message = sentence(
        f"{who(endpoint)} answered HTTP {status} {response.reason_phrase}".rstrip()
        + f": {error_detail(endpoint, response, content)}"
    )
    if status in (401, 403):
        if endpoint.api_key_env:
            message += f" Check the API key in the environment variable {endpoint.api_key_env}."
        else:
            message += " The endpoint may need a key: set API_KEY_ENV in TOOLKIT_AI."
    elif status == 404:
        message += (
            f" Check BASE_URL ({safe_url(endpoint.base_url)}) and MODEL ({endpoint.model!r})."
        )
    elif 300 <= status < 400 and "location" in response.headers:
        message += (
            f" It redirects to {safe_url(response.headers['location'])}: set BASE_URL to that."
        )
    return EndpointError(
        message,
        endpoint=endpoint.name,
        attempts=attempts,
        status=status,
        retryable=retryable,
    )


def retry_after(headers: httpx.Headers) -> float | None:
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
