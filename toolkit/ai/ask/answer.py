"""The model's answer, turned into a search the person could have typed.

Each condition ``{"field", "op", "value"}`` becomes one term of the search box's
syntax (``price<20``, ``supplier:"acme corp"``, ``created>=2025-06-01``), and each term
is checked by the code that checks a typed search: it is parsed with the admin's
qualifiers (:func:`toolkit.admin_ext.search.syntax.parse`) and turned into its
condition (:func:`toolkit.admin_ext.search.qualifiers.qualifier_condition`), which
converts the value with the field's own form field. A term that fails, a name that does
not exist (:mod:`.grounding`) or a field or operator the schema does not hold is listed
as not understood, never guessed.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldError, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from toolkit.admin_ext.search.qualifiers import error_text, qualifier_condition
from toolkit.admin_ext.search.syntax import QualifiedTerm, TextTerm, parse
from toolkit.exceptions import TermProblem

from .dates import RELATIVE_DATES, date_terms
from .fields import CHOICE, DATE, NAME, NUMBER, WORDS, YESNO, AskSchema
from .grounding import ground_name

__all__ = ["AskAnswer", "compose", "quoted"]

# Values that the search syntax cannot carry inside quotes, or control characters.
_UNQUOTABLE = re.compile(r'["\\\x00-\x1f\x7f]')


@dataclass
class AskAnswer:
    """What a question became: the search text and what could not be used."""

    query: str = ""
    terms: list[str] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)
    #: A model's conditions on values the question does not hold, dropped: the person
    #: never said them, so they are not "not understood" either (kept for logs, tests).
    invented: list[str] = field(default_factory=list)

    @property
    def understood(self) -> bool:
        return bool(self.terms)


def quoted(value: str) -> str:
    """``value`` as the search box needs it: in double quotes when it holds a space, or
    starts with a character the syntax reads (``-``, a quote)."""
    if not value or any(c.isspace() for c in value) or value[0] in "-'\"" or ":" in value:
        return f'"{value}"'
    return value


def compose(
    schema: AskSchema,
    data: Any,
    request: HttpRequest,
    *,
    admin_site: Any = None,
    today: datetime.date | None = None,
    question: str | None = None,
) -> AskAnswer:
    """The search ``data`` (a validated answer) stands for, on ``schema``'s admin.

    With the ``question``, a condition whose value the question does not hold (a number
    it never says, a name none of its words is part of, a period it does not name) is
    not understood: small models copy their examples, and a search the person did not
    ask for is worse than none."""
    answer = AskAnswer()
    if not isinstance(data, dict):
        return answer
    for text in data.get("not_understood") or []:
        if isinstance(text, str) and text.strip():
            answer.not_understood.append(text.strip()[:100])
    for condition in data.get("conditions") or []:
        if question is not None and not _in_question(schema, condition, question):
            if isinstance(condition, dict):
                answer.invented.append(_shown(condition))
            continue
        for term in _terms(schema, condition, request, admin_site, today, answer):
            if term not in answer.terms:
                answer.terms.append(term)
    answer.query = " ".join(answer.terms)
    return answer


def _terms(
    schema: AskSchema,
    condition: Any,
    request: HttpRequest,
    admin_site: Any,
    today: datetime.date | None,
    answer: AskAnswer,
) -> list[str]:
    if not isinstance(condition, dict):
        return []
    name, operator = str(condition.get("field", "")), str(condition.get("op", "="))
    value = str(condition.get("value", "")).strip()
    shown = _shown(condition)
    ask_field = schema.get(name)
    if ask_field is None or operator not in ask_field.operators or not value:
        answer.not_understood.append(shown)
        return []
    if _UNQUOTABLE.search(value):
        answer.not_understood.append(shown)
        return []
    if name == WORDS:
        return _words(schema, value, answer)
    if ask_field.kind == DATE and value in RELATIVE_DATES:
        pairs = date_terms(operator, value, today)
    else:
        if ask_field.kind == YESNO:
            value = "true" if value == "yes" else "false" if value == "no" else value
        if ask_field.kind == NAME:
            grounded = ground_name(ask_field, value, request, admin_site)
            if grounded is None:
                answer.not_understood.append(value)
                return []
            value = grounded
        pairs = [(operator, value)]
    terms = []
    for op, raw in pairs:
        text = f"{name}{op}{quoted(raw)}" if op != "=" else f"{name}:{quoted(raw)}"
        problem = _check(schema, text)
        if problem is not None:
            answer.not_understood.append(f"{shown} ({problem})")
            return []
        terms.append(text)
    return terms


def _words(schema: AskSchema, value: str, answer: AskAnswer) -> list[str]:
    """Free words, searched as the search box searches them (each one a term)."""
    text = quoted(value) if " " in value.strip() else value
    parsed = parse(text, schema.qualifiers)
    if parsed.problems or len(parsed.terms) != 1 or not isinstance(parsed.terms[0], TextTerm):
        answer.not_understood.append(value)
        return []
    return [text]


def _check(schema: AskSchema, text: str) -> str | None:
    """Why the typed term ``text`` cannot be searched, or ``None`` when it can: the
    search's own parser and qualifier conditions decide."""
    parsed = parse(text, schema.qualifiers)
    if parsed.problems or len(parsed.terms) != 1:
        return _("not a search term")
    term = parsed.terms[0]
    if not isinstance(term, QualifiedTerm):
        return _("not a search term")
    try:
        qualifier_condition(schema.model, term, schema.qualifiers[term.name])
    except TermProblem as exc:
        return str(exc)
    except (ValidationError, FieldError, ValueError, TypeError) as exc:
        return error_text(exc)
    return None


def _shown(condition: dict[str, Any]) -> str:
    parts = (condition.get("field", ""), condition.get("op", ""), condition.get("value", ""))
    return " ".join(str(part) for part in parts if part).strip()[:100]


_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _numbers(text: str) -> set[Decimal]:
    found = set()
    for match in _NUMBER.findall(text):
        try:
            found.add(Decimal(match.replace(",", "")))
        except InvalidOperation:
            continue
    return found


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}", text) is not None


def _in_question(schema: AskSchema, condition: Any, question: str) -> bool:
    """Whether ``question`` holds the value of ``condition`` (see :func:`compose`)."""
    if not isinstance(condition, dict):
        return False
    ask_field = schema.get(str(condition.get("field", "")))
    value = str(condition.get("value", "")).strip().casefold()
    text = question.casefold()
    if ask_field is None or not value:
        return True  # refused later, with its reason
    if ask_field.kind == DATE:
        if value in RELATIVE_DATES:
            return value.replace("_", " ") in text
        return value in text
    if ask_field.kind in (NUMBER,):
        try:
            return Decimal(value) in _numbers(text)
        except InvalidOperation:
            return True  # refused later by the field's own validation
    if ask_field.kind == CHOICE:
        labels = dict(zip(ask_field.values, ask_field.labels, strict=False))
        return _has_word(text, value) or _has_word(text, str(labels.get(value, value)).casefold())
    if ask_field.kind == YESNO:
        return _has_word(text, ask_field.name.casefold()) or ask_field.name.casefold() in text
    # A name's own words, not the list's ("Apex Products" is not in "products over 5").
    generic = {
        str(schema.model._meta.verbose_name).casefold(),
        str(schema.model._meta.verbose_name_plural).casefold(),
    }
    words = [w for w in re.findall(r"\w+", value) if len(w) >= 3 and w not in generic]
    return any(_has_word(text, word) for word in words) if words else False
