"""System checks of the ``toolkit.ai`` settings: ``TOOLKIT_AI`` and ``TOOLKIT_AI_*``.

Registered by :class:`toolkit.ai.apps.AIConfig` and silent while ``"toolkit.ai"`` is not
installed. Ids (unchanged since they lived in :mod:`toolkit.checks`):

=========================  ================================================================
toolkit.E050-E059          a malformed ``TOOLKIT_AI`` endpoint (type, URL, model, timeouts,
                           retries, concurrency, tokens, key variable, options, merge flag)
toolkit.W050-W054          an endpoint that works but is likely wrong (unset key variable,
                           unknown key, ``/chat/completions`` in the URL, a key over http,
                           no "default" endpoint)
toolkit.E090-E096          a ``TOOLKIT_AI_*`` limit or switch of the AI actions
toolkit.E097               an endpoint's ``UNAVAILABLE_REASON`` that names no callable
toolkit.E098               an endpoint's ``RESPONSE_FORMAT`` that is not a known form
toolkit.W090               values cut no shorter than a whole prompt may be
=========================  ================================================================

The checks of each endpoint are in :mod:`toolkit.ai.endpoint_checks`; those of
``AIActionsMixin`` options (``toolkit.E100``-``E111``, ``W100``) are in
:mod:`toolkit.ai.admin.checks`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

from django.apps import apps
from django.core.checks import CheckMessage, Error, Warning, register

from toolkit.ai.conf import conf
from toolkit.ai.endpoint_checks import check_endpoint
from toolkit.conf import PREFIX

__all__ = ["check_ai_action_settings", "check_ai_settings"]

_Check = Callable[..., list[CheckMessage]]


def _while_installed(check: _Check) -> _Check:
    """Run ``check`` only while ``toolkit.ai`` is installed: checks stay registered for
    the whole process, and a test that overrides ``INSTALLED_APPS`` without it must not
    hear about its settings."""

    @functools.wraps(check)
    def wrapper(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
        if not apps.is_installed("toolkit.ai"):
            return []
        return check(app_configs, **kwargs)

    return cast(_Check, wrapper)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@register()
@_while_installed
def check_ai_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``TOOLKIT_AI``: a dict of named endpoints, each like ``DATABASES`` entries."""
    value = conf.raw("AI")
    if not isinstance(value, dict):
        return [
            Error(
                f"TOOLKIT_AI must be a dict of named endpoints, not {type(value).__name__}.",
                hint='Use TOOLKIT_AI = {"default": {"BASE_URL": "http://127.0.0.1:8001/v1", '
                '"MODEL": "gemma-3-270m"}}.',
                id="toolkit.E050",
            )
        ]
    messages: list[CheckMessage] = []
    for name, endpoint in value.items():
        messages += check_endpoint(name, endpoint)
    if value and "default" not in value:
        messages.append(
            Warning(
                "TOOLKIT_AI has no 'default' endpoint; AI actions that name none will fail.",
                hint=f"Rename one of {', '.join(map(repr, value))} to 'default', or add one.",
                id="toolkit.W054",
            )
        )
    return messages


#: ``TOOLKIT_AI_*`` integer settings of the AI actions: name -> (smallest value, id, hint).
_AI_INT_SETTINGS: dict[str, tuple[int, str, str]] = {
    "AI_BACKGROUND_THRESHOLD": (
        0,
        "toolkit.E090",
        "Use the number of records above which an AI action runs as a background job "
        "(0 sends every run to a job), e.g. 10.",
    ),
    "AI_MAX_RECORDS": (
        1,
        "toolkit.E091",
        "Use the most records one AI run may send, e.g. 1000.",
    ),
    "AI_MAX_INPUT_CHARS": (
        500,
        "toolkit.E092",
        "Use the most characters of one prompt (at least 500), e.g. 12000; keep it under "
        "the model's context (about 4 characters per token).",
    ),
    "AI_VALUE_MAX_CHARS": (
        1,
        "toolkit.E093",
        "Use the length each field value is cut to, e.g. 1000.",
    ),
    "AI_JOB_CHUNK_SIZE": (
        1,
        "toolkit.E095",
        "Use the records per chunk of an AI job (a cancel takes effect between chunks), e.g. 5.",
    ),
}


@register()
@_while_installed
def check_ai_action_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The ``TOOLKIT_AI_*`` limits and switches of AI actions (``toolkit.E090``-``W090``)."""
    messages: list[CheckMessage] = []
    for name, (least, check_id, hint) in _AI_INT_SETTINGS.items():
        value = conf.raw(name)
        if not _is_int(value) or value < least:
            messages.append(
                Error(
                    f"{PREFIX}{name} must be an integer of at least {least}, not {value!r}.",
                    hint=hint,
                    id=check_id,
                )
            )
    daily = conf.raw("AI_DAILY_RECORD_LIMIT")
    if daily is not None and (not _is_int(daily) or daily < 1):
        messages.append(
            Error(
                f"TOOLKIT_AI_DAILY_RECORD_LIMIT must be a positive integer or None, not {daily!r}.",
                hint="Use the records one person may send per day, e.g. 500, or None for no limit.",
                id="toolkit.E094",
            )
        )
    store = conf.raw("AI_STORE_PROMPTS")
    if not isinstance(store, bool):
        messages.append(
            Error(
                f"TOOLKIT_AI_STORE_PROMPTS must be True or False, not {store!r}.",
                hint="Leave it False (only a hash of each prompt is kept) unless you are "
                "debugging prompts.",
                id="toolkit.E096",
            )
        )
    value_cap, input_cap = conf.raw("AI_VALUE_MAX_CHARS"), conf.raw("AI_MAX_INPUT_CHARS")
    if _is_int(value_cap) and _is_int(input_cap) and value_cap >= input_cap > 0:
        messages.append(
            Warning(
                f"TOOLKIT_AI_VALUE_MAX_CHARS ({value_cap}) is not below "
                f"TOOLKIT_AI_MAX_INPUT_CHARS ({input_cap}): one long value makes a record's "
                "prompt too long to send.",
                hint="Cut values well below the prompt limit, e.g. 1000 of 12000.",
                id="toolkit.W090",
            )
        )
    return messages
