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
toolkit.W090               values cut no shorter than a whole prompt may be
=========================  ================================================================

The checks of ``AIActionsMixin`` options (``toolkit.E100``-``E111``, ``W100``) are in
:mod:`toolkit.ai.admin.checks`.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import os
import re
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

from django.apps import apps
from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.module_loading import import_string

from toolkit.ai.conf import AI_ENDPOINT_DEFAULTS, AI_REQUIRED_KEYS, conf
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


#: Request fields the AI client sets itself; OPTIONS may not override them.
AI_CLIENT_FIELDS = ("model", "messages", "max_tokens", "response_format", "stream")

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _is_positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
        messages += _check_ai_endpoint(name, endpoint)
    if value and "default" not in value:
        messages.append(
            Warning(
                "TOOLKIT_AI has no 'default' endpoint; AI actions that name none will fail.",
                hint=f"Rename one of {', '.join(map(repr, value))} to 'default', or add one.",
                id="toolkit.W054",
            )
        )
    return messages


def _check_ai_endpoint(name: Any, endpoint: Any) -> list[CheckMessage]:
    where = f"TOOLKIT_AI[{name!r}]"
    if not isinstance(endpoint, dict):
        return [
            Error(
                f"{where} must be a dict of endpoint settings, not {type(endpoint).__name__}.",
                hint=f'Use {where} = {{"BASE_URL": "https://api.openai.com/v1", '
                '"MODEL": "gpt-4o-mini", "API_KEY_ENV": "OPENAI_API_KEY"}.',
                id="toolkit.E050",
            )
        ]
    messages: list[CheckMessage] = []
    settings = {**AI_ENDPOINT_DEFAULTS, **endpoint}

    base_url = settings.get("BASE_URL")
    parts = urlsplit(base_url) if isinstance(base_url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        messages.append(
            Error(
                f"{where}['BASE_URL'] must be the http(s) URL of an OpenAI-compatible API, "
                f"not {base_url!r}."
                if "BASE_URL" in endpoint
                else f"{where} has no BASE_URL.",
                hint="Set it to the API root the client adds /chat/completions to, e.g. "
                "'https://api.openai.com/v1' or 'http://127.0.0.1:8001/v1' (`make llm`).",
                id="toolkit.E051",
            )
        )
    else:
        if parts.path.rstrip("/").endswith("/chat/completions"):
            messages.append(
                Warning(
                    f"{where}['BASE_URL'] ends with /chat/completions, which the client adds.",
                    hint="Drop /chat/completions from BASE_URL (keep the /v1).",
                    id="toolkit.W052",
                )
            )
        if (
            parts.scheme == "http"
            and settings.get("API_KEY_ENV")
            and not _is_loopback(parts.hostname or "")
        ):
            messages.append(
                Warning(
                    f"{where} sends its API key over plain http to {parts.hostname}.",
                    hint="Use an https:// BASE_URL, or drop API_KEY_ENV if the server needs "
                    "no key.",
                    id="toolkit.W053",
                )
            )

    model = settings.get("MODEL")
    if not isinstance(model, str) or not model.strip():
        messages.append(
            Error(
                f"{where}['MODEL'] must be a model name, not {model!r}."
                if "MODEL" in endpoint
                else f"{where} has no MODEL.",
                hint="Set MODEL to the name the endpoint serves, e.g. 'gpt-4o-mini', "
                "'llama3.2' (Ollama) or 'gemma-3-270m' (`make llm`).",
                id="toolkit.E052",
            )
        )

    for key in ("TIMEOUT", "CONNECT_TIMEOUT"):
        if not _is_positive_number(settings[key]):
            messages.append(
                Error(
                    f"{where}[{key!r}] must be a positive number of seconds, "
                    f"not {settings[key]!r}.",
                    hint=f"Use e.g. {AI_ENDPOINT_DEFAULTS[key]:g}; a local CPU model needs "
                    "tens of seconds for TIMEOUT.",
                    id="toolkit.E053",
                )
            )
    retries = settings["MAX_RETRIES"]
    if not _is_int(retries) or retries < 0:
        messages.append(
            Error(
                f"{where}['MAX_RETRIES'] must be a non-negative integer, not {retries!r}.",
                hint="Use 2 (as openai-python does), or 0 to never retry.",
                id="toolkit.E054",
            )
        )
    concurrency = settings["CONCURRENCY"]
    if not _is_int(concurrency) or concurrency < 1:
        messages.append(
            Error(
                f"{where}['CONCURRENCY'] must be a positive integer, not {concurrency!r}.",
                hint="Use the number of requests the endpoint serves at once, e.g. 4 "
                "(1 for a single-slot llama.cpp server).",
                id="toolkit.E055",
            )
        )
    max_tokens = settings["MAX_TOKENS"]
    if not _is_int(max_tokens) or max_tokens < 1:
        messages.append(
            Error(
                f"{where}['MAX_TOKENS'] must be a positive integer, not {max_tokens!r}.",
                hint="Use the longest answer you accept in tokens, e.g. 512.",
                id="toolkit.E056",
            )
        )

    key_env = settings["API_KEY_ENV"]
    if key_env is not None and (not isinstance(key_env, str) or not _ENV_NAME.match(key_env)):
        # Never echo the value: a pasted key is the likely mistake.
        messages.append(
            Error(
                f"{where}['API_KEY_ENV'] must be the name of an environment variable "
                "(letters, digits and underscores) or None.",
                hint="Write the variable's name, e.g. 'OPENAI_API_KEY', and export the key "
                "in it. If you pasted the key itself into settings, remove it and rotate it.",
                id="toolkit.E057",
            )
        )
    elif key_env and not os.environ.get(key_env):
        messages.append(
            Warning(
                f"{where} reads its API key from {key_env}, which is not set.",
                hint=f"Export {key_env} before starting Django, or set API_KEY_ENV to None "
                "for an endpoint that needs no key.",
                id="toolkit.W050",
            )
        )

    options = settings["OPTIONS"]
    if not isinstance(options, dict):
        messages.append(
            Error(
                f"{where}['OPTIONS'] must be a dict of extra request fields, "
                f"not {type(options).__name__}.",
                hint='Use e.g. {"temperature": 0}.',
                id="toolkit.E058",
            )
        )
    elif clashes := sorted(set(options) & set(AI_CLIENT_FIELDS)):
        messages.append(
            Error(
                f"{where}['OPTIONS'] sets {', '.join(clashes)}, which the client sets itself.",
                hint="Use MODEL and MAX_TOKENS for those; remove the others from OPTIONS.",
                id="toolkit.E058",
            )
        )

    if not isinstance(settings["MERGE_SYSTEM_PROMPT"], bool):
        messages.append(
            Error(
                f"{where}['MERGE_SYSTEM_PROMPT'] must be True or False, "
                f"not {settings['MERGE_SYSTEM_PROMPT']!r}.",
                hint="Set it to True for models whose chat template drops system messages "
                "(Gemma on llama.cpp), else leave it out.",
                id="toolkit.E059",
            )
        )

    messages += _check_unavailable_reason(where, settings["UNAVAILABLE_REASON"])

    known = set(AI_REQUIRED_KEYS) | set(AI_ENDPOINT_DEFAULTS)
    for key in endpoint:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), sorted(known), n=1)
        messages.append(
            Warning(
                f"{where} has an unknown key {key!r}, which is ignored.",
                hint=f"Did you mean {close[0]!r}?"
                if close
                else f"Known keys: {', '.join(sorted(known))}.",
                id="toolkit.W051",
            )
        )
    return messages


def _check_unavailable_reason(where: str, path: Any) -> list[CheckMessage]:
    """``UNAVAILABLE_REASON``: None, or the dotted path of a callable."""
    if path is None:
        return []
    problem = ""
    if not isinstance(path, str) or "." not in path:
        problem = f"must be the dotted path of a callable or None, not {path!r}"
    else:
        try:
            target = import_string(path)
        except ImportError as exc:
            problem = f"names {path!r}, which cannot be imported ({exc})"
        else:
            if not callable(target):
                problem = f"names {path!r}, which is not callable"
    if not problem:
        return []
    return [
        Error(
            f"{where}['UNAVAILABLE_REASON'] {problem}.",
            hint="Name a function that takes the request and returns a sentence saying why "
            "the endpoint cannot answer now, or None when it can, e.g. "
            "'myproject.llm.unavailable_reason'; or remove the key.",
            id="toolkit.E097",
        )
    ]


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
