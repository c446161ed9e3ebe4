"""What a question may be turned into: this admin's qualifiers, as typed fields.

:func:`ask_fields` reads the admin's ``get_search_qualifiers(request)`` and describes
each qualifier by what its lookup path ends on, through the search's own path
resolution (:func:`toolkit.admin_ext.search.paths.resolve_path`):

- ``number`` and ``date``: compared with ``>``, ``>=``, ``<``, ``<=``, ``=`` (a date
  also takes a relative-date token, resolved by :mod:`.dates`);
- ``choice``: one of the field's choices (keys, with their labels for the prompt);
- ``yesno``: a boolean;
- ``name``: text on a related model (a supplier's or category's name), grounded
  against the database before it is used (:mod:`.grounding`);
- ``text``: text on the model itself (a SKU), used as typed.

A ``words`` field stands for the free words of the search box (the admin's
``search_fields``) when it has any. Nothing else is offered to the model.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.http import HttpRequest

from toolkit.admin_ext.search.paths import resolve_path
from toolkit.admin_ext.search.qualifiers import COMPARABLE_FIELDS, TEXT_FIELDS
from toolkit.admin_ext.search.syntax import OPERATORS
from toolkit.exceptions import PathError

from .dates import ISO_DAY, RELATIVE_DATES

__all__ = ["WORDS", "AskField", "AskSchema", "ask_fields"]

#: The name of the pseudo-field for free words (matched like the search box's words).
WORDS = "words"

NUMBER, DATE, CHOICE, YESNO, NAME, TEXT = "number", "date", "choice", "yesno", "name", "text"


@dataclass(frozen=True)
class AskField:
    """One name the model may use: a qualifier of the admin (or :data:`WORDS`)."""

    name: str
    kind: str
    #: The qualifier's lookup path ("" for :data:`WORDS`).
    path: str = ""
    #: Operators the field takes: every comparison for numbers and dates, else "=".
    operators: tuple[str, ...] = ("=",)
    #: Values the model must pick from (choices, yes/no); empty: free text.
    values: tuple[str, ...] = ()
    #: The labels of ``values``, for the prompt.
    labels: tuple[str, ...] = ()
    #: For a ``name`` field: the related model and its field the value must exist in.
    related_model: type[models.Model] | None = None
    related_field: str = ""

    def describe(self) -> dict[str, Any]:
        """What the field is, as plain data (the schema's version is a hash of it)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "path": self.path,
            "operators": list(self.operators),
            "values": list(self.values),
        }


@dataclass(frozen=True)
class AskSchema:
    """The fields of one admin for one request, and what the model is asked to answer."""

    model: type[models.Model]
    fields: tuple[AskField, ...]
    #: Most conditions an answer may hold.
    max_conditions: int = 8
    extra: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> AskField | None:
        for ask_field in self.fields:
            if ask_field.name == name:
                return ask_field
        return None

    @property
    def qualifiers(self) -> dict[str, str]:
        """The qualifiers the fields stand for (name to lookup path)."""
        return {f.name: f.path for f in self.fields if f.name != WORDS}

    @property
    def version(self) -> str:
        """A short hash of the fields: an answer cached for other fields is not reused."""
        data = json.dumps(
            [
                self.model._meta.label_lower,
                self.max_conditions,
                [f.describe() for f in self.fields],
            ],
            sort_keys=True,
        )
        return hashlib.sha256(data.encode()).hexdigest()[:16]

    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of an answer: conditions whose field, operator and (for
        choices, yes/no and dates) value come from enums, and the parts of the question
        the model could not express."""
        items = [_item_schema(f) for f in self.fields]
        return {
            "type": "object",
            "properties": {
                "conditions": {
                    "type": "array",
                    "items": items[0] if len(items) == 1 else {"anyOf": items},
                    "maxItems": self.max_conditions,
                },
                "not_understood": {
                    "type": "array",
                    "items": {"type": "string", "maxLength": 100},
                    "maxItems": 5,
                },
            },
            "required": ["conditions", "not_understood"],
            "additionalProperties": False,
        }

    def without(self, *names: str) -> AskSchema:
        """These fields left out (for ``get_ask_schema()`` overrides)."""
        return AskSchema(
            self.model, tuple(f for f in self.fields if f.name not in names), self.max_conditions
        )


def _item_schema(ask_field: AskField) -> dict[str, Any]:
    value: dict[str, Any] = {"type": "string", "maxLength": 100}
    if ask_field.values:
        value = {"enum": list(ask_field.values)}
    elif ask_field.kind == DATE:
        value = {"anyOf": [{"enum": list(RELATIVE_DATES)}, {"type": "string", "pattern": ISO_DAY}]}
    return {
        "type": "object",
        "properties": {
            "field": {"const": ask_field.name},
            "op": {"enum": list(ask_field.operators)},
            "value": value,
        },
        "required": ["field", "op", "value"],
        "additionalProperties": False,
    }


def ask_fields(model_admin: Any, request: HttpRequest) -> list[AskField]:
    """The fields of ``model_admin``'s qualifiers for ``request`` (those whose path no
    longer resolves are left out: ``manage.py check`` names them), then :data:`WORDS`
    when the admin has search fields."""
    model = model_admin.model
    qualifiers = {}
    if hasattr(model_admin, "get_search_qualifiers"):
        qualifiers = model_admin.get_search_qualifiers(request)
    found = []
    for name, path in qualifiers.items():
        described = _describe(model, name, path)
        if described is not None:
            found.append(described)
    if model_admin.get_search_fields(request) and not any(f.name == WORDS for f in found):
        found.append(AskField(WORDS, TEXT))
    return found


def _describe(model: type[models.Model], name: str, path: str) -> AskField | None:
    try:
        target = resolve_path(model, path)
    except PathError:
        return None
    target_field = target.field
    lookup = target.lookup
    if getattr(target_field, "is_relation", False):
        target_field = target_field.target_field
    if target_field.choices:
        keys = tuple(str(key) for key, _label in target_field.flatchoices)
        labels = tuple(str(label) for _key, label in target_field.flatchoices)
        return AskField(name, CHOICE, path, values=keys, labels=labels)
    if isinstance(target_field, models.BooleanField):
        return AskField(name, YESNO, path, values=("yes", "no"))
    if lookup is None and isinstance(target_field, COMPARABLE_FIELDS):
        if isinstance(target_field, models.DateField | models.DateTimeField):
            return AskField(name, DATE, path, operators=OPERATORS)
        if not isinstance(target_field, models.TimeField):
            return AskField(name, NUMBER, path, operators=OPERATORS)
    if isinstance(target_field, TEXT_FIELDS):
        owner = target_field.model
        if owner is not model and lookup not in ("isnull", "in"):
            return AskField(name, NAME, path, related_model=owner, related_field=target_field.name)
        return AskField(name, TEXT, path)
    return None
