"""The settings of ``toolkit.ai``, read lazily through one object.

Like the core's :mod:`toolkit.conf`, every value is read on attribute access, so
``override_settings`` works; the system checks in :mod:`toolkit.ai.checks` validate them
(``toolkit.E050``-``E059``, ``E090``-``E097``) while ``"toolkit.ai"`` is installed.

Usage::

    from toolkit.ai.conf import conf
    conf.AI_MAX_RECORDS
"""

from __future__ import annotations

from typing import Any

from toolkit.conf import SettingsSection

__all__ = ["AI_ENDPOINT_DEFAULTS", "AI_REQUIRED_KEYS", "DEFAULTS", "AISettings", "conf"]

#: Default value of each AI setting, by its name without the ``TOOLKIT_`` prefix.
DEFAULTS: dict[str, Any] = {
    # Named LLM endpoints, like DATABASES: {"default": {"BASE_URL": ..., "MODEL": ...}}.
    # Empty means no endpoint is configured; toolkit.ai.endpoints parses each entry.
    "AI": {},
    # Admin AI actions on more records than this run as a background job; 0 sends every
    # run to a job (right for a slow local model: no request then waits on it).
    "AI_BACKGROUND_THRESHOLD": 10,
    # Most records one AI action run for a person may send (admin action or job); more is
    # refused with a message, never silently cut.
    "AI_MAX_RECORDS": 1000,
    # Most characters of one prompt (system and user messages together); a record whose
    # prompt is longer fails with a message instead of being truncated.
    "AI_MAX_INPUT_CHARS": 12_000,
    # Each field value (and each related row's text field) is cut to this many characters.
    "AI_VALUE_MAX_CHARS": 1000,
    # Records one person may send per day (UTC), all actions together; None: no limit.
    "AI_DAILY_RECORD_LIMIT": None,
    # Keep the text of each prompt on its insight (for debugging); by default only its hash.
    "AI_STORE_PROMPTS": False,
    # Records per chunk of an AI background job: one cancel check and one commit (the
    # job's counts move record by record meanwhile).
    "AI_JOB_CHUNK_SIZE": 5,
}

#: Keys of one ``TOOLKIT_AI`` endpoint that a site must set.
AI_REQUIRED_KEYS = ("BASE_URL", "MODEL")

#: Defaults of the optional keys of one ``TOOLKIT_AI`` endpoint.
AI_ENDPOINT_DEFAULTS: dict[str, Any] = {
    # Name of the environment variable holding the API key (the key itself is never
    # stored in settings). None sends no Authorization header, as a local server needs.
    "API_KEY_ENV": None,
    # Seconds one HTTP attempt may take (waiting for and reading the answer).
    "TIMEOUT": 60.0,
    # Seconds to wait for the TCP (and TLS) connection.
    "CONNECT_TIMEOUT": 5.0,
    # Retries after the first attempt, for errors that may pass (openai-python's default).
    "MAX_RETRIES": 2,
    # Requests in flight at once from one client.
    "CONCURRENCY": 4,
    # Completion tokens asked for per request (sent as ``max_tokens``).
    "MAX_TOKENS": 512,
    # Extra fields merged into every request body, e.g. {"temperature": 0}.
    "OPTIONS": {},
    # Fold system messages into the first user message, for chat templates that have no
    # system role and drop it (llama-cpp-python's "gemma" format does).
    "MERGE_SYSTEM_PROMPT": False,
    # Dotted path of a callable ``(request) -> str | None``: a sentence saying why the
    # endpoint cannot answer now ("The local model is still being installed."), or None
    # when it can. While it gives a sentence, the admin's AI actions say it and send
    # nothing (``AIActionsMixin.get_ai_unavailable_reason``). None: never asked.
    "UNAVAILABLE_REASON": None,
    # The structured output to ask the endpoint for first: "json_schema",
    # "json_object_with_schema", "json_object" or "text" (toolkit.ai.client.formats).
    # None asks for json_schema and falls back once per process to what the endpoint
    # takes; name the form of a server known to reject json_schema (llama-cpp-python's
    # answers it with a 500) so that not even one request is refused.
    "RESPONSE_FORMAT": None,
}


class AISettings(SettingsSection):
    """Typed, lazy access to the ``TOOLKIT_AI*`` settings with their defaults."""

    defaults = DEFAULTS

    @property
    def AI(self) -> dict[str, dict[str, Any]]:
        """``TOOLKIT_AI`` as written: endpoint name -> its settings dict.

        Parse an entry with :func:`toolkit.ai.endpoints.get_endpoint`, which applies
        :data:`AI_ENDPOINT_DEFAULTS`; the checks ``toolkit.E050``-``E059`` validate it.
        """
        value = self._get("AI")
        return dict(value) if isinstance(value, dict) else {}

    @property
    def AI_BACKGROUND_THRESHOLD(self) -> int:
        return int(self._get("AI_BACKGROUND_THRESHOLD"))

    @property
    def AI_MAX_RECORDS(self) -> int:
        return int(self._get("AI_MAX_RECORDS"))

    @property
    def AI_MAX_INPUT_CHARS(self) -> int:
        return int(self._get("AI_MAX_INPUT_CHARS"))

    @property
    def AI_VALUE_MAX_CHARS(self) -> int:
        return int(self._get("AI_VALUE_MAX_CHARS"))

    @property
    def AI_DAILY_RECORD_LIMIT(self) -> int | None:
        value = self._get("AI_DAILY_RECORD_LIMIT")
        return None if value is None else int(value)

    @property
    def AI_STORE_PROMPTS(self) -> bool:
        return bool(self._get("AI_STORE_PROMPTS"))

    @property
    def AI_JOB_CHUNK_SIZE(self) -> int:
        return int(self._get("AI_JOB_CHUNK_SIZE"))


conf = AISettings()
