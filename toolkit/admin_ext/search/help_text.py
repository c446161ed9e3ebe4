"""The text under the search box, written from the search fields and the qualifiers.

Qualifiers are names no one can guess, so a list that has them says which there are
and how each is typed ("Search by name or SKU. Qualifiers: price>=…, supplier:….").
``SearchMixin.get_search_help_text()`` decides when this text is used: never over a
``search_help_text`` of the admin's own, and not on a list without qualifiers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from .paths import PathError, resolve_path
from .qualifiers import COMPARABLE_FIELDS

__all__ = ["generated_help_text"]


def generated_help_text(
    model: type[models.Model], search_fields: Sequence[Any], qualifiers: dict[str, str]
) -> str | None:
    """Plain text (the template escapes it) naming what the box searches and the
    qualifiers it takes; None when it searches nothing."""
    if not search_fields and not qualifiers:
        return None
    sentences = []
    if search_fields:
        names = _unique(_search_field_label(model, str(f)) for f in search_fields)
        sentences.append(_("Search by %(fields)s.") % {"fields": get_text_list(names, _("or"))})
    if qualifiers:
        examples = [_qualifier_example(model, name, path) for name, path in qualifiers.items()]
        sentences.append(_("Qualifiers: %(examples)s.") % {"examples": ", ".join(examples)})
    sentences.append(_('Use "quotes" for phrases and -word to exclude.'))
    return " ".join(sentences)


def _qualifier_example(model: type[models.Model], name: str, path: str) -> str:
    try:
        target = resolve_path(model, path)
    except PathError:
        return f"{name}:…"
    field = target.field
    if target.lookup is None and not field.choices:
        if isinstance(field, models.DateField):
            return f"{name}>=2025-01-01"
        if isinstance(field, COMPARABLE_FIELDS):
            return f"{name}>=…"
    return f"{name}:…"


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _search_field_label(model: type[models.Model], search_field: str) -> str:
    """A readable name for a search field: ``"reviews__text"`` -> ``"review text"``."""
    name = search_field.lstrip("^=@")
    opts = model._meta
    words: list[str] = []
    for part in name.split(LOOKUP_SEP):
        try:
            field: Any = opts.get_field(opts.pk.name if part == "pk" else part)
        except FieldDoesNotExist:
            break
        if getattr(field, "path_infos", None):
            opts = field.path_infos[-1].to_opts
            words.append(str(opts.verbose_name))
        else:
            words.append(str(getattr(field, "verbose_name", field.name)))
    return " ".join(words) if words else name
