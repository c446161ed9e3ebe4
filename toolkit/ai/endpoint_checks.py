"""The system checks of one ``TOOLKIT_AI`` endpoint (``toolkit.E050``-``E059``,
``W050``-``W053``, ``E097``, ``E098``): :func:`check_endpoint`, which
:func:`toolkit.ai.checks.check_ai_settings` runs for each named endpoint.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from typing import Any
from urllib.parse import urlsplit

from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string

from toolkit.ai.client.formats import FORMATS
from toolkit.ai.conf import AI_ENDPOINT_DEFAULTS, AI_REQUIRED_KEYS

__all__ = ["AI_CLIENT_FIELDS", "check_endpoint"]


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


def check_endpoint(name: Any, endpoint: Any) -> list[CheckMessage]:
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
    form = settings["RESPONSE_FORMAT"]
    if form is not None and form not in FORMATS:
        messages.append(
            Error(
                f"{where}['RESPONSE_FORMAT'] must be None or one of {', '.join(FORMATS)}, "
                f"not {form!r}.",
                hint="Leave it out to ask for json_schema and fall back to what the endpoint "
                "takes; 'json_object_with_schema' suits llama-cpp-python's server.",
                id="toolkit.E098",
            )
        )

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
