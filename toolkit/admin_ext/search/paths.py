"""Lookup paths of search qualifiers and search fields, resolved on a model.

:func:`resolve_path` follows ``"tags__name__iexact"`` the way ``QuerySet.filter()``
does (fields, then transforms, then at most one lookup) and says where the path
crosses a many-to-many or reverse relation, so the search can match those rows with an
``EXISTS`` subquery instead of a join that repeats the row.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, FieldError
from django.db import models
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.constants import LOOKUP_SEP
from django.utils.translation import gettext as _

from toolkit.exceptions import PathError

__all__ = ["PathError", "Target", "closest", "describe_field", "field_names", "resolve_path"]


@dataclass(frozen=True)
class Target:
    """Where a qualifier or search field points, split for building subqueries.

    ``field_path`` is the path without its trailing lookup (transforms included) and
    ``field`` the output field there, which values are converted for. When the path
    crosses a many-to-many or reverse relation, ``field_path`` is relative to
    ``subquery_model``, whose rows are correlated to the outer row by
    ``correlation=OuterRef(outer_ref)``; ``relation_only`` says the path ended on the
    relation itself (``reviews__isnull``).
    """

    field_path: str
    field: Any
    lookup: str | None
    subquery_model: type[models.Model] | None = None
    correlation: str = ""
    outer_ref: str = ""
    relation_only: bool = False

    @property
    def multi_valued(self) -> bool:
        return self.subquery_model is not None

    @property
    def group(self) -> tuple[Any, ...]:
        """Targets in the same group can share one ``EXISTS`` subquery."""
        return (self.subquery_model, self.correlation, self.outer_ref)

    def lookup_path(self, suffix: str | None) -> str:
        return f"{self.field_path}{LOOKUP_SEP}{suffix}" if suffix else self.field_path

    def condition(self, suffixes: Sequence[tuple[str, Any]]) -> Q:
        """``field_path__<suffix>=value`` for each pair, ANDed, relative to where it is
        evaluated: the changelist's model, or the subquery's for multi-valued paths."""
        return Q.create([(self.lookup_path(suffix), value) for suffix, value in suffixes])

    def exists(self, condition: Q | None = None) -> Exists:
        """``EXISTS`` of a related row matching ``condition`` (any row when None)."""
        assert self.subquery_model is not None
        inner = self.subquery_model._base_manager.filter(
            **{self.correlation: OuterRef(self.outer_ref)}
        )
        if condition is not None:
            inner = inner.filter(condition)
        return Exists(inner)


def resolve_path(model: type[models.Model], path: str) -> Target:
    """Resolve ``path`` (``"tags__name__iexact"``) on ``model`` or raise PathError.

    Follows relations like Django's own lookups: fields, then transforms, then at
    most one lookup at the end.
    """
    parts = path.split(LOOKUP_SEP)
    opts = model._meta
    fields: list[Any] = []
    owners: list[type[models.Model]] = []
    i = 0
    while i < len(parts):
        name = opts.pk.name if parts[i] == "pk" else parts[i]
        try:
            field: Any = opts.get_field(name)
        except FieldDoesNotExist:
            if not fields:
                raise PathError(
                    _("%(model)s has no field %(name)r.")
                    % {"model": opts.object_name, "name": parts[i]},
                    closest(parts[i], field_names(opts)),
                ) from None
            break
        fields.append(field)
        owners.append(opts.model)
        i += 1
        if not getattr(field, "path_infos", None):
            # Only a relation leads to more fields; transforms and a lookup follow.
            break
        opts = field.path_infos[-1].to_opts
    output = fields[-1]
    lookup: str | None = None
    for position in range(i, len(parts)):
        part = parts[position]
        last = position == len(parts) - 1
        if last and output.get_lookup(part) is not None:
            lookup = part
            break
        transform = output.get_transform(part)
        if transform is None:
            choices = list(output.get_lookups())
            if getattr(output, "path_infos", None):
                choices += field_names(output.path_infos[-1].to_opts)
            raise PathError(
                _("%(name)r is neither a field nor a lookup of %(field)s.")
                % {"name": part, "field": describe_field(output)},
                closest(part, choices),
            )
        try:
            output = transform(Value(None, output_field=output)).output_field
        except (FieldError, TypeError, ValueError) as exc:
            raise PathError(str(exc)) from exc
    field_parts = parts[: len(parts) - 1] if lookup else parts
    return _split_multi_valued(field_parts, fields, owners, output, lookup)


def _split_multi_valued(
    field_parts: list[str],
    fields: list[Any],
    owners: list[type[models.Model]],
    output: Any,
    lookup: str | None,
) -> Target:
    for index, field in enumerate(fields):
        path_infos = getattr(field, "path_infos", None) or []
        if not any(info.m2m for info in path_infos):
            continue
        prefix = field_parts[:index]
        rest = LOOKUP_SEP.join(field_parts[index + 1 :])
        related, correlation, outer = _correlation(field)
        if related is None:
            # A relation with no way back (related_name="+", generic relations):
            # correlate on the owner's primary key and keep the relation in the path.
            related, correlation, outer = owners[index], "pk", "pk"
            rest = LOOKUP_SEP.join(field_parts[index:])
        elif not rest:
            # The path ends on the relation itself: its value is the related row's key.
            rest = "pk"
        return Target(
            field_path=rest,
            field=output,
            lookup=lookup,
            subquery_model=related,
            correlation=correlation,
            outer_ref=LOOKUP_SEP.join([*prefix, outer]),
            relation_only=len(field_parts) == index + 1,
        )
    return Target(field_path=LOOKUP_SEP.join(field_parts), field=output, lookup=lookup)


def _correlation(field: Any) -> tuple[type[models.Model] | None, str, str]:
    """(model to query, its path back to the outer row, the outer field it matches)."""
    try:
        if isinstance(field, models.ManyToOneRel):
            return field.related_model, field.field.name, field.field.target_field.name
        if isinstance(field, models.ManyToManyRel):
            return field.related_model, field.field.name, "pk"
        if isinstance(field, models.ManyToManyField) and not field.remote_field.hidden:
            return field.related_model, field.related_query_name(), "pk"
    except FieldError:
        # Relations over several columns have no single target field.
        pass
    return None, "", ""


def field_names(opts: Any) -> list[str]:
    # A reverse relation's name is its query name ("reviews"), as filter() spells it.
    return [field.name for field in opts.get_fields()]


def closest(name: str, choices: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(name, sorted(set(choices)), n=1, cutoff=0.5)
    return close[0] if close else None


def describe_field(field: Any) -> str:
    model = getattr(field, "model", None)
    name = getattr(field, "name", None)
    if model is not None and name:
        return f"{type(field).__name__} {model._meta.object_name}.{name}"
    return type(field).__name__
