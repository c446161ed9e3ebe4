"""Turning finished futures of ``complete_many`` into :class:`~toolkit.ai.client.Outcome`.

An :class:`~toolkit.exceptions.AIError` becomes the outcome's ``error``; any other
exception (a bug, a bad schema) propagates. A request that was never sent (cancelled
while queued, or kept back by ``should_stop``) has no outcome at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from concurrent.futures import Future
from typing import Any

from toolkit.ai.client.types import ChatRequest, Completion, Outcome
from toolkit.exceptions import AIError

__all__ = ["aiter_requests", "collect"]


class _NotSent(Exception):
    """A queued request that ``should_stop`` kept from being sent."""


def collect(done: list[Any], pending: dict[Any, ChatRequest]) -> list[Outcome]:
    """The outcomes of the finished futures ``done``, taken off ``pending``."""
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


async def aiter_requests(
    items: Iterable[ChatRequest] | AsyncIterable[ChatRequest],
) -> AsyncIterator[ChatRequest]:
    """``items``, a plain or an async iterable, as an async iterator."""
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item
