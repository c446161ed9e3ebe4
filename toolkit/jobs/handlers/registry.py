"""Which handler runs which job: handlers registered by name.

A job stores the ``name`` of its handler as its ``kind``; every process that runs or
shows jobs finds the handler again here. Handlers register themselves with
:func:`register` when their app's ``jobs`` module is imported (the jobs app imports every
installed app's ``jobs`` module at start-up, as the admin does with ``admin`` modules).
"""

from __future__ import annotations

from typing import TypeVar

from toolkit.exceptions import ToolkitConfigurationError
from toolkit.jobs.exceptions import UnknownJobKind
from toolkit.jobs.handlers.base import JobHandler

_registry: dict[str, type[JobHandler]] = {}

H = TypeVar("H", bound=type[JobHandler])


def register(handler_class: H) -> H:
    """Class decorator: make ``handler_class`` run the jobs whose kind is its ``name``.

    Raises :class:`~toolkit.exceptions.ToolkitConfigurationError` for a missing name,
    a name taken by another class, a bad ``chunk_size`` or a missing ``process_chunk``.
    """
    where = f"{handler_class.__module__}.{handler_class.__qualname__}"
    name = handler_class.name
    if not name or not isinstance(name, str):
        raise ToolkitConfigurationError(f"{where} needs a `name` to be registered.")
    chunk_size = handler_class.chunk_size
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ToolkitConfigurationError(
            f"{where}.chunk_size must be a positive integer or None, not {chunk_size!r}."
        )
    if handler_class.process_chunk is JobHandler.process_chunk:
        raise ToolkitConfigurationError(f"{where} must define process_chunk().")
    existing = _registry.get(name)
    if existing is not None and existing is not handler_class:
        existing_where = f"{existing.__module__}.{existing.__qualname__}"
        # The same class imported twice (a module reloaded) replaces itself.
        if existing_where != where:
            raise ToolkitConfigurationError(
                f"Two job handlers are named {name!r}: {existing_where} and {where}. "
                "Give one of them another `name`."
            )
    _registry[name] = handler_class
    return handler_class


def unregister(name: str) -> None:
    """Forget the handler registered as ``name`` (tests use this)."""
    _registry.pop(name, None)


def get_handler_class(name: str) -> type[JobHandler]:
    """The handler class registered as ``name``; raises :class:`UnknownJobKind`."""
    try:
        return _registry[name]
    except KeyError:
        raise UnknownJobKind(
            f"No job handler is registered as {name!r}. Is the app that defines it in "
            "INSTALLED_APPS, with the handler in its `jobs` module?"
        ) from None


def get_handler(name: str) -> JobHandler:
    """A fresh instance of the handler registered as ``name``; raises
    :class:`UnknownJobKind`."""
    return get_handler_class(name)()


def find_handler(name: str) -> JobHandler | None:
    """A fresh instance of the handler registered as ``name``, or ``None``: for pages and
    commands that show a job of a kind this process does not know (its app removed)."""
    try:
        return get_handler(name)
    except UnknownJobKind:
        return None


def registered_handlers() -> dict[str, type[JobHandler]]:
    """Every registered handler class by name (a copy)."""
    return dict(_registry)


def handler_name(kind: str | type[JobHandler] | JobHandler) -> str:
    """The registered name for a kind given as a name, a handler class or instance."""
    if isinstance(kind, str):
        return kind
    return kind.name
