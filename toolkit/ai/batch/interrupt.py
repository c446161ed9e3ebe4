"""Ctrl-C during a batch run: the first one stops cleanly, a second one at once."""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.db import connections

from toolkit.ai.uninterruptible import defer_interrupt, is_uninterruptible

__all__ = ["INTERRUPTED_STATUS", "Interrupt"]

#: Exit status after Ctrl-C, as a shell reports a process ended by SIGINT.
INTERRUPTED_STATUS = 130


class Interrupt:
    """Turns the first Ctrl-C into a request to stop once the requests in flight are in.

    A second Ctrl-C raises ``KeyboardInterrupt`` as usual, for a person who cannot
    wait: the answers in flight are abandoned (the HTTP requests still end within the
    endpoint's TIMEOUT), records stored so far are kept, the others are sent by the
    next run. A database query in progress, and a block of writes marked
    :func:`~toolkit.ai.uninterruptible.uninterruptible` (the answers stored with COPY),
    are let finish first: an interrupt inside the driver leaves the connection with
    "another command is already in progress" (seen on PostgreSQL), and every later query
    of the process would fail.
    Signal handlers can only be set from the main thread; elsewhere (a command called
    from a worker thread) Ctrl-C keeps its default behaviour.
    """

    def __init__(self, on_first: Callable[[], object]) -> None:
        self.requested = False
        self._on_first = on_first
        self._previous: Any = None
        self._installed = False
        self._in_query = 0
        self._deferred = False
        self._wrappers: list[Any] = []

    def __enter__(self) -> Interrupt:
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        except ValueError:  # not the main thread
            return self
        for connection in connections.all():
            wrapper = connection.execute_wrapper(self._shield)
            wrapper.__enter__()
            self._wrappers.append(wrapper)
        return self

    def __exit__(self, *exc_info: object) -> None:
        while self._wrappers:
            self._wrappers.pop().__exit__(None, None, None)
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            if is_uninterruptible():
                defer_interrupt()  # raised as the block of writes ends
                return
            if self._in_query:
                self._deferred = True  # raised once the query is done (_shield)
                return
            raise KeyboardInterrupt
        self.requested = True
        self._on_first()

    def _shield(self, execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
        self._in_query += 1
        try:
            return execute(sql, params, many, context)
        finally:
            self._in_query -= 1
            if self._deferred and not self._in_query:
                self._deferred = False
                raise KeyboardInterrupt
