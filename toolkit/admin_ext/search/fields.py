"""How words match ``search_fields``: exactly as ``ModelAdmin.get_search_results`` does.

Each entry of ``search_fields`` becomes the lookup stock Django builds for it (``^``,
``=`` and ``@`` prefixes, an explicit lookup, or ``icontains``), and a word that an
``__exact`` lookup's field cannot hold skips that lookup, converted the way Django 6.1
converts it (on Django 5.2 too, where the admin compared text instead). A word matches
when any lookup does; the search matches when every word does, all in one
``filter()`` call. Over a to-many relation that one call joins the related table once,
so all the words must be found on the same related row (or on the row itself):
``"daniel 19"`` over ``child__name`` and ``child__age`` finds a parent with a child
Daniel aged 19, not one with a Daniel and another child aged 19.

:func:`all_words` keeps that meaning and adds what stock Django lacks: a row is listed
once. The join happens inside ``EXISTS`` over the model's own table, correlated by
primary key (the shape the changelist itself uses to hide stock's duplicates), so the
changelist never needs ``DISTINCT``. :func:`any_field` matches one word with one
``EXISTS`` per relation instead, which is the same rows for a single word and is what
exclusions (``-word``) and full-text search use.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.admin.utils import lookup_spawns_duplicates
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.constants import LOOKUP_SEP

from .paths import PathError, Target, resolve_path
from .qualifiers import in_range

__all__ = ["SearchLookup", "all_words", "any_field", "search_lookups", "stock_value"]


@dataclass(frozen=True)
class SearchLookup:
    """One entry of ``search_fields`` as the search uses it.

    ``path`` is the ORM lookup (``"tags__name__icontains"``); ``validate`` the field a
    word must convert to first, or None (stock's ``field_to_validate``); ``target`` the
    resolved path, or None when it does not resolve on the model's fields (an
    annotation of ``get_queryset()``, a lookup this Django lacks): the ORM gets it as
    it is; ``spawns_duplicates`` whether it crosses a to-many relation.
    """

    path: str
    validate: Any
    target: Target | None
    spawns_duplicates: bool


def search_lookups(model: type[models.Model], search_fields: Sequence[Any]) -> list[SearchLookup]:
    """The lookups of ``search_fields`` on ``model``, in order."""
    lookups = []
    for search_field in search_fields:
        path, validate = construct_search(model, str(search_field))
        try:
            target: Target | None = resolve_path(model, path)
        except PathError:
            target = None
        spawns = lookup_spawns_duplicates(model._meta, path)
        lookups.append(SearchLookup(path, validate, target, spawns))
    return lookups


def construct_search(model: type[models.Model], field_name: str) -> tuple[str, Any]:
    """(lookup, field to validate a word with, or None) for one ``search_fields``
    entry: Django 6.1's rules, step for step."""
    if field_name.startswith("^"):
        return f"{field_name.removeprefix('^')}{LOOKUP_SEP}istartswith", None
    if field_name.startswith("="):
        return f"{field_name.removeprefix('=')}{LOOKUP_SEP}iexact", None
    if field_name.startswith("@"):
        return f"{field_name.removeprefix('@')}{LOOKUP_SEP}search", None
    opts = model._meta
    prev_field: Any = None
    for part in field_name.split(LOOKUP_SEP):
        name = opts.pk.name if part == "pk" else part
        try:
            field: Any = opts.get_field(name)
        except FieldDoesNotExist:
            # An explicit lookup is used as it is; "exact" on a field that does not
            # hold text first checks that the word fits the field.
            if prev_field is not None and prev_field.get_lookup(name):
                if name == "exact" and not isinstance(
                    prev_field, (models.CharField, models.TextField)
                ):
                    return field_name, prev_field
                return field_name, None
        else:
            prev_field = field
            if hasattr(field, "path_infos"):
                opts = field.path_infos[-1].to_opts
    return f"{field_name}{LOOKUP_SEP}icontains", None


def stock_value(field: Any, word: str) -> Any:
    """``word`` converted for an ``__exact`` lookup on ``field`` as Django 6.1's admin
    converts it: booleans strictly (``"None"`` is None on a nullable one), choices
    through ``clean()``, the rest through the form field's ``to_python()``. Raises
    ValidationError when the word does not fit, and then the lookup is skipped."""
    formfield = field.formfield()
    if formfield is None:
        # Fields like AutoField have no form field.
        value = field.to_python(word)
    elif isinstance(formfield, forms.NullBooleanField):
        value = _boolean(word, none_allowed=True)
    elif isinstance(formfield, forms.BooleanField):
        value = _boolean(word, none_allowed=False)
    elif isinstance(formfield, (forms.TypedChoiceField, forms.TypedMultipleChoiceField)):
        value = formfield.clean(word)
    else:
        value = formfield.to_python(word)
    if isinstance(value, datetime.datetime) and not in_range(value):
        # Stock Django fails in the database here; a word no row can hold matches none.
        raise ValidationError("Out of range.")
    return value


def _boolean(word: str, none_allowed: bool) -> bool | None:
    value = word.lower()
    if none_allowed and value == "none":
        return None
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise ValidationError("Invalid value.")


def _pairs(word: str, lookups: Sequence[SearchLookup]) -> list[tuple[SearchLookup, Any]]:
    """The lookups ``word`` can be used with, and its value for each."""
    pairs = []
    for lookup in lookups:
        value: Any = word
        if lookup.validate is not None:
            try:
                value = stock_value(lookup.validate, word)
            except ValidationError:
                continue
        pairs.append((lookup, value))
    return pairs


def _word_condition(word: str, lookups: Sequence[SearchLookup]) -> Q:
    """Stock Django's condition for one word: any lookup matches."""
    pairs = _pairs(word, lookups)
    if not pairs:
        # No field can hold this word (e.g. only id fields and a word that is no id).
        return Q(pk__in=[])
    return Q.create([(lookup.path, value) for lookup, value in pairs], connector=Q.OR)


def all_words(
    queryset: models.QuerySet[Any], words: Sequence[str], lookups: Sequence[SearchLookup]
) -> models.QuerySet[Any]:
    """``queryset`` narrowed to the rows stock Django's search for ``words`` finds,
    each listed once."""
    if not words:
        return queryset
    condition = Q.create([_word_condition(word, lookups) for word in words])
    if not any(lookup.spawns_duplicates for lookup in lookups):
        return queryset.filter(condition)
    if all(lookup.target is not None for lookup in lookups):
        inner = queryset.model._base_manager.all()
    else:
        # A path the model's fields do not explain may be an annotation of the
        # admin's queryset: keep it in scope.
        inner = queryset.order_by()
    return queryset.filter(Exists(inner.filter(pk=OuterRef("pk")).filter(condition)))


def any_field(word: str, lookups: Sequence[SearchLookup]) -> Q:
    """One word matching any of ``lookups``, with one ``EXISTS`` per relation (fields
    behind the same relation share it): the rows stock Django finds for this word
    alone, each once."""
    alternatives: list[Any] = []
    grouped: dict[tuple[Any, ...], tuple[Target, list[Any]]] = {}
    for lookup, value in _pairs(word, lookups):
        target = lookup.target
        if target is None or not target.multi_valued:
            alternatives.append(Q(**{lookup.path: value}))
            continue
        suffix = target.lookup or "exact"
        condition = target.condition([(suffix, value)])
        if value is None and suffix == "exact":
            # "None" on a nullable field behind a relation: stock's LEFT JOIN also
            # matches the rows that have no related row at all.
            alternatives.append(~target.exists())
        grouped.setdefault(target.group, (target, []))[1].append(condition)
    for target, conditions in grouped.values():
        alternatives.append(target.exists(Q.create(conditions, connector=Q.OR)))
    if not alternatives:
        return Q(pk__in=[])
    if len(alternatives) == 1:
        return alternatives[0]
    return Q.create(alternatives, connector=Q.OR)
