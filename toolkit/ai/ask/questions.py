"""Asking one question of one admin's changelist: :func:`ask_question`.

In order: the question is checked (empty, too long, NUL: a message, nothing sent); it is
read by rules (:mod:`.reader`): when they place at least one condition that holds, that is
the search, the words they could not place are "not understood", and no model is asked;
otherwise the answer cached for (admin, normalized question, schema version) is reused;
otherwise one request is counted against the person's daily AI limit
(:func:`toolkit.ai.limits.reserve`) and sent to the admin's endpoint with the schema,
one short attempt. The answer, cached or new, is then turned into a search each time
(:func:`.answer.compose`): names are grounded and relative dates resolved today, not
when the answer was cached.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from toolkit.ai.client import Client
from toolkit.ai.endpoints import DEFAULT_ENDPOINT, get_endpoint
from toolkit.ai.limits import release, reserve, settle
from toolkit.exceptions import AIError, AILimitExceeded, ToolkitError

from .answer import AskAnswer, compose
from .fields import NAME, AskSchema
from .prompt import ask_messages
from .reader import Reading, read_question

__all__ = [
    "ASK_CACHE_SECONDS",
    "ASK_MAX_CHARS",
    "AskOutcome",
    "ask_question",
    "cache_key",
    "normalized",
]

#: Most characters of a question (a longer one is refused before anything is sent).
ASK_MAX_CHARS = 500
#: How long an answer is kept for the same question (seconds).
ASK_CACHE_SECONDS = 24 * 3600
#: Tokens the answer may take.
ASK_MAX_TOKENS = 300
#: Words that ask for a change: Ask only searches, and says so.
_CHANGE_WORDS = re.compile(
    r"\b(delete|remove|drop|update|change|set|insert|edit|modify|truncate|erase)\b", re.I
)


@dataclass
class AskOutcome:
    """What asking gave: a search (``answer``), or an ``error`` sentence, and notes."""

    question: str
    answer: AskAnswer = field(default_factory=AskAnswer)
    error: str = ""
    notes: list[str] = field(default_factory=list)
    cached: bool = False
    #: Whether the rules read it (no model was asked).
    by_rules: bool = False

    @property
    def query(self) -> str:
        return self.answer.query


def normalized(question: str) -> str:
    """The question as the cache knows it: spaces collapsed, case folded."""
    return " ".join(question.split()).casefold()


def cache_key(admin_id: str, question: str, version: str) -> str:
    digest = hashlib.sha256(f"{admin_id}\n{normalized(question)}\n{version}".encode())
    return f"toolkit:ai:ask:{digest.hexdigest()}"


def ask_question(
    model_admin: Any,
    request: HttpRequest,
    question: str,
    *,
    schema: AskSchema | None = None,
    transport: httpx.BaseTransport | None = None,
) -> AskOutcome:
    """Turn ``question`` into a search of ``model_admin``'s changelist for ``request``.

    Never raises for what the person or the endpoint did: a problem is the outcome's
    ``error``, a sentence. ``transport`` replaces the network (tests)."""
    outcome = AskOutcome(question=question)
    text = " ".join(question.replace("\x00", " ").split())
    if not text:
        outcome.error = _("Type a question after the “?”, such as “?cheap cables in stock”.")
        return outcome
    if len(text) > model_admin.get_ask_max_chars(request):
        outcome.error = _(
            "The question is too long (%(length)d characters; at most %(most)d). Nothing was sent."
        ) % {"length": len(text), "most": model_admin.get_ask_max_chars(request)}
        return outcome
    if _CHANGE_WORDS.search(text):
        outcome.notes.append(_("Ask only finds records: it never changes or deletes them."))
    if schema is None:
        schema = model_admin.get_ask_schema(request)
    if not schema.fields:
        outcome.error = _("This list has nothing Ask can search by.")
        return outcome
    if model_admin.get_ask_rules(request):
        reading = read_question(schema, text, model_admin.get_ask_synonyms(request))
    else:
        reading = Reading()
    if reading.conditions:
        answer = compose(
            schema, {"conditions": reading.conditions}, request, admin_site=model_admin.admin_site
        )
        if answer.understood:
            if reading.leftover:
                answer.not_understood.append(" ".join(reading.leftover)[:100])
            outcome.answer, outcome.by_rules = answer, True
            return outcome
    key = cache_key(model_admin.ask_identity(), text, schema.version)
    data = cache.get(key)
    if data is not None:
        outcome.cached = True
    else:
        try:
            data = _send(model_admin, request, schema, text, transport)
        except AILimitExceeded as exc:
            outcome.error = _("%(reason)s Nothing was sent.") % {"reason": exc}
            return outcome
        except (AIError, ToolkitError) as exc:
            outcome.error = _(
                "The AI could not answer: %(reason)s The search box keeps your question."
            ) % {"reason": exc}
            return outcome
        cache.set(key, data, ASK_CACHE_SECONDS)
    outcome.answer = compose(
        schema, data, request, admin_site=model_admin.admin_site, question=text
    )
    if not outcome.answer.understood and reading.leftover:
        # What the person said and nothing could use, rather than what a model invented.
        outcome.answer.not_understood = [" ".join(reading.leftover)[:100]]
    return outcome


def _send(
    model_admin: Any,
    request: HttpRequest,
    schema: AskSchema,
    question: str,
    transport: httpx.BaseTransport | None,
) -> Any:
    endpoint = get_endpoint(model_admin.get_ai_endpoint(request) or DEFAULT_ENDPOINT)
    timeout = model_admin.get_ask_timeout(request)
    endpoint = dataclasses.replace(endpoint, timeout=min(endpoint.timeout, timeout), max_retries=0)
    messages = ask_messages(schema, question, _example_names(schema))
    reservation = reserve(request.user, 1)
    try:
        with Client(endpoint, concurrency=1, transport=transport) as client:
            completion = client.complete(
                messages,
                schema=schema.json_schema(),
                schema_name="search",
                max_tokens=ASK_MAX_TOKENS,
            )
    except BaseException:
        if reservation is not None:
            release(reservation)
        raise
    if reservation is not None:
        settle(reservation, answered=1, ended=1)
    return completion.data


def _example_names(schema: AskSchema) -> dict[str, str]:
    """One existing name for the first ``name`` field, for the prompt's example."""
    for ask_field in schema.fields:
        if ask_field.kind == NAME and ask_field.related_model is not None:
            name = (
                ask_field.related_model._default_manager.order_by("pk")
                .values_list(ask_field.related_field, flat=True)
                .first()
            )
            return {ask_field.name: str(name)} if name else {}
    return {}
