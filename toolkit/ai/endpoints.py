"""Named LLM endpoints, configured like ``DATABASES``.

::

    TOOLKIT_AI = {
        "default": {
            "BASE_URL": "http://127.0.0.1:8001/v1",   # the API root; the client adds
            "MODEL": "gemma-3-270m",                  # /chat/completions
            "API_KEY_ENV": "OPENAI_API_KEY",          # optional: the variable's *name*
            "TIMEOUT": 60, "CONNECT_TIMEOUT": 5, "MAX_RETRIES": 2,
            "CONCURRENCY": 4, "MAX_TOKENS": 512, "OPTIONS": {"temperature": 0},
            "MERGE_SYSTEM_PROMPT": False,             # True for Gemma on llama.cpp
            "RESPONSE_FORMAT": None,                  # or a form of client.formats.FORMATS
        },
    }

The API key stays in the environment: an :class:`EndpointConfig` holds only the name of
the variable and reads it when a request is sent. The system checks ``toolkit.E050`` to
``toolkit.W059`` (in :mod:`toolkit.checks`) report bad values with a hint; parsing here
trusts them and raises :class:`~toolkit.exceptions.ToolkitConfigurationError` only for an
endpoint name that is not configured at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from toolkit.ai.conf import AI_ENDPOINT_DEFAULTS, AI_REQUIRED_KEYS, conf
from toolkit.exceptions import ToolkitConfigurationError

__all__ = ["DEFAULT_ENDPOINT", "EndpointConfig", "endpoint_names", "get_endpoint"]

#: The endpoint used when a caller names none.
DEFAULT_ENDPOINT = "default"


@dataclass(frozen=True)
class EndpointConfig:
    """One parsed ``TOOLKIT_AI`` entry. Build one directly in tests or scripts."""

    base_url: str
    model: str
    name: str = DEFAULT_ENDPOINT
    api_key_env: str | None = AI_ENDPOINT_DEFAULTS["API_KEY_ENV"]
    timeout: float = AI_ENDPOINT_DEFAULTS["TIMEOUT"]
    connect_timeout: float = AI_ENDPOINT_DEFAULTS["CONNECT_TIMEOUT"]
    max_retries: int = AI_ENDPOINT_DEFAULTS["MAX_RETRIES"]
    concurrency: int = AI_ENDPOINT_DEFAULTS["CONCURRENCY"]
    max_tokens: int = AI_ENDPOINT_DEFAULTS["MAX_TOKENS"]
    options: dict[str, Any] = field(default_factory=dict)
    merge_system_prompt: bool = AI_ENDPOINT_DEFAULTS["MERGE_SYSTEM_PROMPT"]
    #: The structured output asked for first (``None``: the strictest, ``json_schema``).
    response_format: str | None = AI_ENDPOINT_DEFAULTS["RESPONSE_FORMAT"]

    @classmethod
    def from_setting(cls, name: str, value: dict[str, Any]) -> EndpointConfig:
        """Build the config of endpoint ``name`` from its ``TOOLKIT_AI`` dict."""
        merged = {**AI_ENDPOINT_DEFAULTS, **value}
        return cls(
            name=name,
            base_url=str(merged["BASE_URL"]),
            model=str(merged["MODEL"]),
            api_key_env=merged["API_KEY_ENV"] or None,
            timeout=float(merged["TIMEOUT"]),
            connect_timeout=float(merged["CONNECT_TIMEOUT"]),
            max_retries=int(merged["MAX_RETRIES"]),
            concurrency=int(merged["CONCURRENCY"]),
            max_tokens=int(merged["MAX_TOKENS"]),
            options=dict(merged["OPTIONS"] or {}),
            merge_system_prompt=bool(merged["MERGE_SYSTEM_PROMPT"]),
            response_format=merged["RESPONSE_FORMAT"] or None,
        )

    @property
    def chat_completions_url(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"

    def api_key(self) -> str | None:
        """The key from the environment, read now (so rotating it needs no restart).

        Returns ``None`` when the endpoint names no variable or the variable is unset
        or empty; the request then goes out without an ``Authorization`` header.
        """
        if not self.api_key_env:
            return None
        return os.environ.get(self.api_key_env) or None


def endpoint_names() -> list[str]:
    """Names of the endpoints in ``TOOLKIT_AI``, in the order the site wrote them."""
    return list(conf.AI)


def get_endpoint(name: str = DEFAULT_ENDPOINT) -> EndpointConfig:
    """The parsed endpoint ``name`` from ``TOOLKIT_AI`` (read now, so overrides apply)."""
    endpoints = conf.AI
    value = endpoints.get(name)
    if not isinstance(value, dict) or not all(value.get(key) for key in AI_REQUIRED_KEYS):
        configured = ", ".join(repr(n) for n in endpoints) or "none"
        raise ToolkitConfigurationError(
            f"No usable LLM endpoint named {name!r} in TOOLKIT_AI (configured: {configured}). "
            f'Add TOOLKIT_AI = {{{name!r}: {{"BASE_URL": ..., "MODEL": ...}}}} to your settings '
            "and run `manage.py check`."
        )
    try:
        return EndpointConfig.from_setting(name, value)
    except (TypeError, ValueError) as exc:
        raise ToolkitConfigurationError(
            f"TOOLKIT_AI[{name!r}] has a bad value ({exc}); `manage.py check` says which."
        ) from exc
