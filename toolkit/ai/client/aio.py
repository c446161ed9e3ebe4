"""The asynchronous client: :class:`AsyncClient`, whose ``complete_many`` runs tasks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any, cast

import httpx

from toolkit.ai.client.base import BaseClient, Reply, Sleep
from toolkit.ai.client.outcomes import _NotSent, aiter_requests, collect
from toolkit.ai.client.reading import BodyReader, transport_for
from toolkit.ai.client.types import ChatRequest, Completion, Outcome
from toolkit.ai.endpoints import DEFAULT_ENDPOINT, EndpointConfig

__all__ = ["AsyncClient"]


class AsyncClient(BaseClient[httpx.AsyncClient]):
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
        super().__init__(
            endpoint, concurrency=concurrency, transport_injected=transport is not None
        )
        self._transport = transport
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
        reply: Reply | None = None
        try:
            while True:
                step = plan.send(reply)
                if isinstance(step, Sleep):
                    await self._sleep(step.seconds)
                    reply = None
                else:
                    reply = await self._send(step.request)
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
        are. :class:`~toolkit.exceptions.AIError` ends up on the outcome; anything else
        propagates. Closing the iterator early cancels the requests still in flight.
        ``read_ahead`` and ``should_stop`` as in :meth:`Client.complete_many
        <toolkit.ai.client.Client.complete_many>`.
        """
        pending: dict[asyncio.Future[Completion], ChatRequest] = {}
        # As in Client.complete_many: finished tasks land on a queue, so waiting for the
        # next does not walk every pending task.
        finished: asyncio.Queue[asyncio.Future[Completion]] = asyncio.Queue()
        # Read-ahead tasks wait here before doing anything, so ``should_stop`` is asked
        # right before a request is sent.
        in_flight = asyncio.Semaphore(self.concurrency)
        queued = self.concurrency + max(0, read_ahead)
        source = aiter_requests(requests)
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
                outcomes = collect(done, pending)
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

    def _new_pool(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self._transport, **self._options)

    async def _send(self, request: httpx.Request) -> Reply:
        slot = await self._slots.get()
        try:
            async with asyncio.timeout(self._attempt_budget):
                return await self._read(self._pool(slot), request)
        except TimeoutError:
            return httpx.ReadTimeout("answer took too long", request=request)
        finally:
            self._slots.put_nowait(slot)

    async def _read(self, pool: httpx.AsyncClient, request: httpx.Request) -> Reply:
        try:
            response = await transport_for(pool, request.url).handle_async_request(request)
        except httpx.TransportError as exc:
            return exc
        body = BodyReader(response, self.max_response_bytes)
        try:
            if body.wanted:
                async for chunk in response.aiter_bytes():
                    if not body.feed(chunk):
                        break
            return body.reply()
        except (httpx.TransportError, httpx.DecodingError) as exc:
            return exc
        finally:
            await response.aclose()
