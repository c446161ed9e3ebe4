"""Exceptions raised by django-toolkit.

One tree, so callers can catch as broadly or as narrowly as they need::

    ToolkitError
    └── ToolkitConfigurationError  (also an ImproperlyConfigured)
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class ToolkitError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class ToolkitConfigurationError(ToolkitError, ImproperlyConfigured):
    """A setting or a ModelAdmin option is wrong; the message says which and how to fix it."""
