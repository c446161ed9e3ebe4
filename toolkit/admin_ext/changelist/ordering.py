"""A changelist's ordering as keyset terms: one column each, ending with the primary key.

:func:`ordering_terms` turns an ``order_by()`` list into the terms :class:`.keyset.Keyset`
pages by. It follows what Django's compiler does with the same list: a name of a foreign
key orders by the related model's ``Meta.ordering`` (``SQLCompiler.find_ordering_name``),
NULLs sort where the database puts them unless the ordering says otherwise, and the
primary key is added to break ties. An ordering a cursor cannot follow (random, or across
a many-valued relation) raises :class:`~toolkit.exceptions.UnsupportedOrdering`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import F, OrderBy
from django.db.models.constants import LOOKUP_SEP
from django.db.models.expressions import BaseExpression

from toolkit.exceptions import UnknownOrderingField, UnsupportedOrdering

__all__ = ["OrderingTerm", "UnknownOrderingField", "UnsupportedOrdering", "ordering_terms"]


@dataclass(frozen=True)
class OrderingTerm:
    """One column of a keyset ordering, and where its NULLs sort."""

    expression: Any
    descending: bool
    #: Where NULL sorts in ascending order: True means after every value.
    nulls_high: bool
    nullable: bool
    label: str

    def order_by(self, backwards: bool) -> OrderBy:
        """This term in ``order_by()``, reversed when ``backwards``, NULLs kept in place."""
        descending = self.descending != backwards
        if not self.nullable:
            return OrderBy(self.expression, descending=descending)
        if self.nulls_high != descending:
            return OrderBy(self.expression, descending=descending, nulls_last=True)
        return OrderBy(self.expression, descending=descending, nulls_first=True)


def _f_name(expression: F) -> str:
    return str(expression.name)  # type: ignore[attr-defined]


def ordering_terms(
    model: type[models.Model],
    ordering: Sequence[Any],
    *,
    annotations: set[str] | frozenset[str] = frozenset(),
    nulls_high: bool = True,
) -> list[OrderingTerm]:
    """Turn an ``order_by()`` list into keyset terms ending with the primary key.

    ``nulls_high`` is the database's own placement of NULLs (``nulls_order_largest``),
    used where the ordering does not say. Terms after the primary key or a unique,
    non-null field of ``model`` are dropped: they can never break a tie.
    """
    terms: list[OrderingTerm] = []
    for item in ordering:
        for term in _expand(model, item, annotations, nulls_high, seen=frozenset()):
            terms.append(term)
            if _is_unique(model, term):
                return terms
    pk_descending = terms[-1].descending if terms else True
    terms.append(OrderingTerm(F("pk"), pk_descending, nulls_high, nullable=False, label="pk"))
    return terms


def _is_unique(model: type[models.Model], term: OrderingTerm) -> bool:
    if not isinstance(term.expression, F):
        return False
    name = _f_name(term.expression)
    if name == "pk":
        return True
    try:
        field: Any = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return bool(
        getattr(field, "concrete", False)
        and not field.is_relation
        and (field.primary_key or (field.unique and not field.null))
    )


def _expand(
    model: type[models.Model],
    item: Any,
    annotations: set[str] | frozenset[str],
    nulls_high: bool,
    seen: frozenset[tuple[type[models.Model], str]],
    prefix: str = "",
    descending: bool = False,
) -> list[OrderingTerm]:
    """One ordering item as terms; related names become the related model's ordering."""
    explicit_nulls: bool | None = None
    if isinstance(item, str):
        if item == "?":
            raise UnsupportedOrdering("random ordering")
        if item.startswith("-"):
            descending, item = not descending, item[1:]
        name = item
    elif isinstance(item, OrderBy):
        if item.nulls_first or item.nulls_last:
            # nulls_first on an ascending term puts NULL below every value.
            explicit_nulls = bool(item.nulls_last) != item.descending
        descending = descending != item.descending
        if not isinstance(item.expression, F):
            return [_expression_term(item.expression, descending, explicit_nulls, nulls_high)]
        name = _f_name(item.expression)
    elif isinstance(item, F):
        name = _f_name(item)
    elif isinstance(item, BaseExpression):
        return [_expression_term(item, descending, None, nulls_high)]
    else:
        raise UnsupportedOrdering(f"ordering by {item!r}")

    path = prefix + name
    if not prefix and name in annotations:
        return [OrderingTerm(F(name), descending, _nulls(explicit_nulls, nulls_high), True, path)]
    field, related_ordering, nullable = _resolve(model, path)
    if related_ordering is not None and field is not None:
        key = (field.model, field.name)
        if key in seen:
            raise UnsupportedOrdering(f"the ordering of {path} loops")
        terms: list[OrderingTerm] = []
        for sub in related_ordering:
            if isinstance(sub, BaseExpression) and not isinstance(sub, F | OrderBy):
                sub = sub.asc()
            if isinstance(sub, OrderBy) and not isinstance(sub.expression, F):
                sub = sub.prefix_references(f"{path}{LOOKUP_SEP}")
                terms.append(
                    _expression_term(sub.expression, descending != sub.descending, None, nulls_high)
                )
                continue
            terms.extend(
                _expand(
                    model,
                    sub,
                    annotations,
                    nulls_high,
                    seen | {key},
                    prefix=f"{path}{LOOKUP_SEP}",
                    descending=descending,
                )
            )
        return terms
    label = ("-" if descending else "") + path
    return [OrderingTerm(F(path), descending, _nulls(explicit_nulls, nulls_high), nullable, label)]


def _nulls(explicit: bool | None, default: bool) -> bool:
    return default if explicit is None else explicit


def _expression_term(
    expression: Any, descending: bool, explicit_nulls: bool | None, nulls_high: bool
) -> OrderingTerm:
    return OrderingTerm(
        expression,
        descending,
        _nulls(explicit_nulls, nulls_high),
        nullable=True,
        label=repr(expression),
    )


def _resolve(
    model: type[models.Model], path: str
) -> tuple[models.Field[Any, Any] | None, Sequence[Any] | None, bool]:
    """Walk ``path``: (last field, related ordering to expand or None, may be NULL).

    Mirrors ``SQLCompiler.find_ordering_name``: a path ending on a relation orders by
    the related model's ``Meta.ordering`` unless it names the column (``category_id``).
    """
    opts = model._meta
    field: Any = None
    nullable = False
    parts = path.split(LOOKUP_SEP)
    for index, part in enumerate(parts):
        try:
            field = opts.pk if part == "pk" else opts.get_field(part)
        except FieldDoesNotExist:
            if field is not None and not field.is_relation:
                return field, None, True  # a transform (name__lower): may be anything
            raise UnknownOrderingField(f"unknown field {path}") from None
        if field.many_to_many or field.one_to_many:
            raise UnsupportedOrdering(f"{path} crosses a to-many relation")
        if field.is_relation and not getattr(field, "concrete", True):
            nullable = True  # a reverse one-to-one may have no row
        nullable = nullable or bool(getattr(field, "null", False))
        last = index == len(parts) - 1
        if field.is_relation and field.related_model is not None:
            related_opts = field.related_model._meta
            if last:
                if (
                    related_opts.ordering
                    and part != getattr(field, "attname", None)
                    and part != "pk"
                ):
                    return field, related_opts.ordering, nullable
                return field, None, nullable
            opts = related_opts
        elif not last:
            # The rest is a transform of this field (created__year).
            return field, None, True
    return field, None, nullable
