"""How :mod:`.reader` knows a field in a question: its cue words, and the nearest one.

A field's cues are its qualifier's name, the words of its model field's verbose name
("is active" gives "active" too), the English words of :data:`~.vocabulary.CUES` and the
admin's ``ask_synonyms``.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import FieldDoesNotExist

from .fields import AskField, AskSchema
from .vocabulary import CUES

__all__ = ["field_cues", "fields_of", "first_cue", "near_cue"]


def field_cues(schema: AskSchema, synonyms: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """Each field's cue words, longest first."""
    result: dict[str, tuple[str, ...]] = {}
    for ask_field in schema.fields:
        words = {ask_field.name.casefold().replace("_", " ")}
        words.update(_verbose_words(schema, ask_field))
        words.update(CUES.get(ask_field.name, ()))
        words.update(str(word).casefold() for word in synonyms.get(ask_field.name, ()))
        result[ask_field.name] = tuple(sorted((w for w in words if w), key=len, reverse=True))
    return result


def _verbose_words(schema: AskSchema, ask_field: AskField) -> set[str]:
    """The model field's verbose name ("is active" gives "active" too)."""
    first = ask_field.path.split("__", 1)[0]
    try:
        model_field = schema.model._meta.get_field(first)
    except FieldDoesNotExist:  # a path the schema no longer resolves: no cue
        return set()
    verbose = str(getattr(model_field, "verbose_name", "") or "").casefold()
    words = {verbose} if verbose else set()
    if verbose.startswith("is "):
        words.add(verbose[3:])
    return words


def fields_of(schema: AskSchema, kind: str) -> list[AskField]:
    return [f for f in schema.fields if f.kind == kind]


def near_cue(
    text: str, cues: dict[str, tuple[str, ...]], names: list[str], start: int, end: int
) -> str | None:
    """The field (of ``names``) with a cue in ``text[start:end]``, the nearest to
    ``end`` if several."""
    best: tuple[int, int, str] | None = None
    window = text[start:end]
    for name in names:
        for cue in cues.get(name, ()):
            for match in re.finditer(rf"(?<!\w){re.escape(cue)}(?!\w)", window):
                # The nearest cue; of two ending together, the longer ("that cost").
                found = (match.end(), len(cue), name)
                if best is None or found[:2] > best[:2]:
                    best = found
    return best[2] if best else None


def first_cue(text, cues, names, start, end) -> str | None:  # type: ignore[no-untyped-def]
    best: tuple[int, str] | None = None
    window = text[start:end]
    for name in names:
        for cue in cues.get(name, ()):
            match = re.search(rf"(?<!\w){re.escape(cue)}(?!\w)", window)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), name)
    return best[1] if best else None
