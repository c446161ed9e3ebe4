"""What a caller hands the client and gets back: requests, answers, usage, outcomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from toolkit.exceptions import AIError

__all__ = ["ChatRequest", "Completion", "Outcome", "ResponseFormat", "Usage"]

#: How the answer's structure is asked for, from the strictest to none at all.
ResponseFormat = Literal["json_schema", "json_object_with_schema", "json_object", "text"]


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
