"""Reading back the values an export of the changelist writes.

:mod:`.columns` writes a related object as its ``str()`` (a category as
"Parent > Child", its parents fetched with it), a choice as its label, dates in ISO
format. :class:`RelatedValues` finds the related objects a batch of cells names, by the
key the resource declares (``ForeignKeyWidget(field="slug")``) or by that same
``str()``; a cell that names no object, or more than one, is an error that says so,
never a guess. :func:`choice_value` and :func:`iso_datetime` do the rest.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .limits import ImportFileError

__all__ = ["RelatedValues", "choice_value", "iso_datetime"]

#: Where a ``str()`` joins the fields it shows ("Parent > Child", "Name (SKU)"): its
#: pieces narrow the candidates, which are then compared by their whole ``str()``.
_PIECES = re.compile(r"\s*(?:>|»|→|/|\||:|;|,|\(|\)|\[|\])\s*")


class RelatedValues:
    """The objects of ``model`` a batch of cells names, by the resource's key field
    ``key`` or as the export shows them (``str()``)."""

    def __init__(self, model: type[models.Model], key: str) -> None:
        self.model = model
        self.key = key
        opts = model._meta
        self.text_fields = [
            f.name
            for f in opts.concrete_fields
            if isinstance(f, models.CharField) and not f.choices
        ]
        self.parents = [f.name for f in opts.concrete_fields if f.many_to_one]

    def find(self, names: Iterable[str]) -> dict[str, list[models.Model]]:
        """Every object each of ``names`` may mean: a query for the keys, one for the
        display names; objects are listed once per name."""
        names = {n for n in names if n}
        found: dict[str, dict[Any, models.Model]] = {n: {} for n in names}
        keys = self.usable_keys(names)
        if keys:
            for obj in self.model._default_manager.filter(**{f"{self.key}__in": keys}):
                value = str(getattr(obj, self.key))
                if value in found:
                    found[value][obj.pk] = obj
        for obj in self.shown_as(names):
            shown = str(obj)
            if shown in found:
                found[shown][obj.pk] = obj
        return {name: list(objs.values()) for name, objs in found.items()}

    def usable_keys(self, names: set[str]) -> list[Any]:
        """The names that can be values of the key field (a name is no number for a
        key ``id``)."""
        try:
            key_field = self.model._meta.get_field(self.key)
        except Exception:
            return list(names)
        usable = []
        for name in names:
            try:
                usable.append(key_field.to_python(name))  # type: ignore[union-attr]
            except (ValidationError, TypeError, ValueError):
                continue
        return usable

    def shown_as(self, names: set[str]) -> Iterable[models.Model]:
        """Objects whose ``str()`` may be one of ``names``: those with a text field equal
        to a name or to a piece of one (the caller compares the whole ``str()``)."""
        pieces = set(names)
        for name in names:
            pieces.update(p for p in _PIECES.split(name) if p)
        if not self.text_fields:
            return []
        condition = Q()
        for name in self.text_fields:
            condition |= Q(**{f"{name}__in": pieces})
        queryset = self.model._default_manager.filter(condition)
        if self.parents:
            queryset = queryset.select_related(*self.parents)
        return queryset

    def resolve(self, name: str, candidates: list[models.Model], column: str) -> models.Model:
        """The one object ``name`` means; else an error naming the value and column."""
        if len(candidates) == 1:
            return candidates[0]
        verbose = self.model._meta.verbose_name
        if not candidates:
            raise ImportFileError(
                _("No %(model)s has the %(key)s “%(value)s” or is shown as “%(value)s”.")
                % {"model": verbose, "key": self.key, "value": name}
            )
        keys = ", ".join(f"“{getattr(obj, self.key)}”" for obj in candidates[:5])
        raise ImportFileError(
            _(
                "“%(value)s” in column “%(column)s” may mean %(count)d %(models)s "
                "(%(key)s %(keys)s): write the %(key)s of the one you mean."
            )
            % {
                "value": name,
                "column": column,
                "count": len(candidates),
                "models": self.model._meta.verbose_name_plural,
                "key": self.key,
                "keys": keys,
            }
        )


def choice_value(model_field: Any, raw: Any) -> Any:
    """``raw`` as a value of a field with choices: a value is kept, a label (as the
    export writes it, any case) becomes its value; anything else is left for the
    field's own validation to refuse."""
    choices = getattr(model_field, "flatchoices", None)
    if not choices or not isinstance(raw, str) or raw == "":
        return raw
    if any(str(value) == raw for value, _label in choices):
        return raw
    wanted = raw.casefold()
    values = list(dict.fromkeys(v for v, label in choices if str(label).casefold() == wanted))
    if len(values) > 1:
        raise ImportFileError(
            _("“%(value)s” is the label of several choices: write the value.") % {"value": raw}
        )
    return values[0] if values else raw


def iso_datetime(raw: Any, kind: type) -> Any:
    """A date or datetime cell written in ISO format (as exports write them, with a
    UTC offset) as a value of ``kind``; ``None`` when it is not one."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        if kind is datetime.date:
            return datetime.date.fromisoformat(raw)
        value = datetime.datetime.fromisoformat(raw)
    except ValueError:
        return None
    if timezone.is_naive(value):
        from django.conf import settings

        if settings.USE_TZ:
            value = timezone.make_aware(value)
    return value
