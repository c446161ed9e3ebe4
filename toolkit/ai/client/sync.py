"""The blocking client: :class:`Client`, whose ``complete_many`` runs requests on threads."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, cast

import httpx

from toolkit.ai.client.base import BaseClient, Reply, Sleep
from toolkit.ai.client.outcomes import _NotSent, collect
from toolkit.ai.client.reading import BodyReader, transport_for
from toolkit.ai.client.types import ChatRequest, Completion, Outcome
from toolkit.ai.endpoints import DEFAULT_ENDPOINT, EndpointConfig

__all__ = ["Client"]


class Client(BaseClient[httpx.Client]):
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
        super().__init__(
            endpoint, concurrency=concurrency, transport_injected=transport is not None
        )
        self._transport = transport
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
        reply: Reply | None = None
        try:
            while True:
                step = plan.send(reply)
                if isinstance(step, Sleep):
                    self._sleep(step.seconds)
                    reply = None
                else:
                    reply = self._send(step.request)
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
        memory stays flat). :class:`~toolkit.exceptions.AIError` ends up on the outcome;
        anything else (a bug, a bad schema) propagates.

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
                    outcomes = collect(done, pending)
                    # Refill before handing results out, so the caller's work on them
                    # overlaps with the next requests.
                    fill()
                    yield from outcomes
            finally:
                for future in pending:
                    future.cancel()

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def _new_pool(self) -> httpx.Client:
        return httpx.Client(transport=self._transport, **self._options)

    def _send(self, request: httpx.Request) -> Reply:
        slot = self._slots.get()
        try:
            return self._read(self._pool(slot), request)
        finally:
            self._slots.put(slot)

    def _read(self, pool: httpx.Client, request: httpx.Request) -> Reply:
        deadline = time.monotonic() + self._attempt_budget
        try:
            response = transport_for(pool, request.url).handle_request(request)
        except httpx.TransportError as exc:
            return exc
        body = BodyReader(response, self.max_response_bytes)
        try:
            if body.wanted:
                for chunk in response.iter_bytes():
                    if not body.feed(chunk):
                        break
                    # httpx's read timeout is per read; a server that trickles bytes
                    # would never trip it, so the attempt has a deadline of its own.
                    if time.monotonic() > deadline:
                        return httpx.ReadTimeout("answer took too long", request=request)
            return body.reply()
        except (httpx.TransportError, httpx.DecodingError) as exc:
            return exc
        finally:
            response.close()
