"""Database writes that a Ctrl-C must not cut in two.

A ``KeyboardInterrupt`` raised inside the database driver (between the rows of a COPY,
say) leaves the connection with "another command is already in progress", and every
later query of the process fails. The batch command's Ctrl-C handler
(:class:`toolkit.ai.batch.Interrupt`) asks :func:`is_uninterruptible` and, inside such a
block, defers the interrupt to its end.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["defer_interrupt", "is_uninterruptible", "uninterruptible"]

_state = threading.local()


def is_uninterruptible() -> bool:
    """Is this thread inside :func:`uninterruptible`?"""
    return getattr(_state, "depth", 0) > 0


def defer_interrupt() -> None:
    """Raise ``KeyboardInterrupt`` when this thread's outermost block ends."""
    _state.deferred = True


@contextmanager
def uninterruptible() -> Iterator[None]:
    """A block a Ctrl-C handler that asks :func:`is_uninterruptible` lets finish."""
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1
        if not _state.depth and getattr(_state, "deferred", False):
            _state.deferred = False
            raise KeyboardInterrupt
