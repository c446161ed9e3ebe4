"""Actions by name: what a job or the command finds an action by."""

from __future__ import annotations

from typing import TypeVar

from toolkit.ai.actions.base import AIAction
from toolkit.exceptions import ToolkitConfigurationError

__all__ = ["get_action", "register", "registered_actions", "resolve_action", "unregister"]

_registry: dict[str, type[AIAction]] = {}

A = TypeVar("A", bound=type[AIAction])


def register(action_class: A) -> A:
    """Class decorator: make ``action_class`` findable by its ``name``."""
    name = action_class.name
    where = f"{action_class.__module__}.{action_class.__qualname__}"
    if not name:
        raise ToolkitConfigurationError(f"{where} needs a `name` to be registered.")
    existing = _registry.get(name)
    if existing is not None and existing is not action_class:
        existing_where = f"{existing.__module__}.{existing.__qualname__}"
        if existing_where != where:
            raise ToolkitConfigurationError(
                f"Two AI actions are named {name!r}: {existing_where} and {where}."
            )
    _registry[name] = action_class
    return action_class


def unregister(name: str) -> None:
    """Forget the action registered as ``name`` (tests use this)."""
    _registry.pop(name, None)


def registered_actions() -> dict[str, type[AIAction]]:
    """Every registered action class by name (a copy)."""
    return dict(_registry)


def get_action(name: str) -> AIAction:
    """A fresh instance of the action registered as ``name``."""
    try:
        return _registry[name]()
    except KeyError:
        known = ", ".join(sorted(_registry)) or "none"
        raise ToolkitConfigurationError(
            f"No AI action is named {name!r} (registered: {known})."
        ) from None


def resolve_action(action: str | AIAction | type[AIAction]) -> AIAction:
    """An action instance from a name, a class or an instance (as ``ai_actions`` lists)."""
    if isinstance(action, AIAction):
        return action
    if isinstance(action, type) and issubclass(action, AIAction):
        return action()
    if isinstance(action, str):
        return get_action(action)
    raise ToolkitConfigurationError(f"{action!r} is not an AI action.")
