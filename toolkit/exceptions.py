"""Exceptions raised by django-toolkit.

One tree, so callers can catch as broadly or as narrowly as they need::

    ToolkitError
    ├── ToolkitConfigurationError  (also an ImproperlyConfigured)
    ├── KeysetPaginationError      a changelist cannot be paged by cursor as asked
    │   ├── UnsupportedOrdering    an ordering a cursor cannot follow (random, to-many)
    │   │   └── UnknownOrderingField  the ordering names no field (an annotation?)
    │   └── InvalidCursor          a cursor that is garbled, forged or for another ordering
    ├── ImportFileError            an uploaded file cannot be imported at all (also a ValueError)
    ├── PathError                  a lookup path that does not resolve on a model (.suggestion)
    ├── TermProblem                a search term that cannot be used; the message says why
    ├── AILimitExceeded            an AI run would pass a budget limit (records, daily quota)
    └── AIError                    talking to an LLM endpoint failed (.endpoint, .attempts)
        ├── EndpointError          no usable HTTP answer (.status, .retryable)
        │   ├── EndpointTimeout    no answer within the endpoint's TIMEOUT
        │   └── EndpointUnreachable  connection refused, reset or dropped
        └── ResponseFormatError    an answer came, but not one we can use (.content)
            ├── SchemaValidationError  JSON that does not match the schema (.errors)
            ├── TruncatedResponse  cut off at max_tokens, even with the larger budget
            └── ResponseTooLarge   more bytes than the client accepts

Messages are sentences a person can act on; none of them contains an API key.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class ToolkitError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class ToolkitConfigurationError(ToolkitError, ImproperlyConfigured):
    """A setting or a ModelAdmin option is wrong; the message says which and how to fix it."""


class AILimitExceeded(ToolkitError):
    """An AI run was refused before sending anything: it would pass a limit that protects
    the budget (``TOOLKIT_AI_MAX_RECORDS``, ``TOOLKIT_AI_DAILY_RECORD_LIMIT``). The message
    says which limit, the numbers, and what to do.
    """


class AIError(ToolkitError):
    """A request to an LLM endpoint ended without a usable answer.

    ``endpoint`` is the endpoint's name in ``TOOLKIT_AI``; ``attempts`` the number of
    HTTP requests made for it (retries included).
    """

    def __init__(self, message: str, *, endpoint: str = "", attempts: int = 0) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.attempts = attempts


class EndpointError(AIError):
    """The endpoint did not answer with a usable HTTP response.

    ``status`` is the HTTP status of the last response (``None`` when none came);
    ``retryable`` tells whether trying again later may help (rate limits, 5xx,
    timeouts) or not (a bad key, an unknown model, a malformed request).
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str = "",
        attempts: int = 0,
        status: int | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message, endpoint=endpoint, attempts=attempts)
        self.status = status
        self.retryable = retryable


class EndpointTimeout(EndpointError):
    """No complete answer arrived within the endpoint's timeouts."""


class EndpointUnreachable(EndpointError):
    """The connection was refused, reset or dropped before an answer arrived."""


class ResponseFormatError(AIError):
    """The endpoint answered, but the answer is not one the caller can use.

    ``content`` holds the start of what the model (or the server) sent, for the log.
    """

    def __init__(
        self, message: str, *, endpoint: str = "", attempts: int = 0, content: str = ""
    ) -> None:
        super().__init__(message, endpoint=endpoint, attempts=attempts)
        self.content = content


class SchemaValidationError(ResponseFormatError):
    """The answer is JSON but does not match the requested schema; ``errors`` lists why."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str = "",
        attempts: int = 0,
        content: str = "",
        errors: list[str] | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, attempts=attempts, content=content)
        self.errors = errors or []


class TruncatedResponse(ResponseFormatError):
    """The model stopped at ``max_tokens`` (``finish_reason == "length"``) twice."""


class ResponseTooLarge(ResponseFormatError):
    """The response body exceeded the client's size limit and was not read to the end."""


# --- changelist: keyset pagination (toolkit.admin_ext.changelist) ------------------------


class KeysetPaginationError(ToolkitError):
    """Keyset pagination cannot page a changelist as asked. The changelist never shows
    these: it falls back to numbered pages, or to the first page with a message."""


class UnsupportedOrdering(KeysetPaginationError):
    """The ordering cannot drive keyset pagination (random, or across a to-many join)."""


class UnknownOrderingField(UnsupportedOrdering):
    """The ordering names something that is not a field (an annotation, perhaps)."""


class InvalidCursor(KeysetPaginationError):
    """A cursor from the query string that is garbled, forged, or for another ordering."""


# --- import/export (toolkit.admin_ext.importexport) -------------------------------------


class ImportFileError(ToolkitError, ValueError):
    """An uploaded file that cannot be imported at all (not UTF-8, empty, beyond the
    import limits, not what its extension says); the message is for the person."""


# --- search (toolkit.admin_ext.search) ----------------------------------------------------


class PathError(ToolkitError):
    """A lookup path (a search qualifier's, a search field's, a filter's) that does not
    resolve on its model; ``suggestion`` is the closest valid name, for the hint."""

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.suggestion = suggestion


class TermProblem(ToolkitError):
    """A search term that cannot be used. The search leaves the term out and shows this
    message, which is for the person, in a warning."""
