"""Keyset pagination: pages that continue "after the last row shown".

Instead of skipping ``OFFSET`` rows, each page starts after (or before) a boundary row
of the one before, so the last page of a million rows costs what the first one costs.
The position travels in the query string (``?cursor=``) as a signed cursor holding the
ordering values of that boundary row; the ordering always ends with the primary key
(:mod:`.ordering`), so positions are unique. A cursor that was changed, or made for
another ordering, is refused with :class:`~toolkit.exceptions.InvalidCursor`.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from django.core import signing
from django.core.exceptions import FieldError, ValidationError
from django.db import connections, models
from django.db.models import OrderBy, Q
from django.utils.duration import duration_iso_string

from toolkit.exceptions import InvalidCursor, UnsupportedOrdering

from .ordering import OrderingTerm, ordering_terms

__all__ = [
    "CURSOR_VAR",
    "InvalidCursor",
    "Keyset",
    "KeysetCursor",
    "KeysetPage",
]

#: Query-string parameter that carries the keyset cursor.
CURSOR_VAR = "cursor"

#: Longest cursor accepted; anything longer is garbage (or an attack) and is not decoded.
MAX_CURSOR_LENGTH = 2000

# Kept from the module's first home: another salt would void every cursor in a link.
_SIGNING_SALT = "toolkit.admin_ext.keyset"


Direction = Literal["first", "next", "prev", "last"]

_DIRECTION_CODES: dict[str, Direction] = {"n": "next", "p": "prev", "l": "last"}


@dataclass(frozen=True)
class KeysetCursor:
    """Where a page starts: after (``next``) or before (``prev``) the row whose ordering
    values are ``values``; or the first or last page of the list."""

    direction: Direction = "first"
    values: tuple[Any, ...] = ()

    @property
    def backwards(self) -> bool:
        return self.direction in ("prev", "last")


@dataclass
class KeysetPage:
    """The primary keys of one page, in display order, and what lies around it;
    ``objects`` holds the page's model instances when :meth:`Keyset.page` fetched them."""

    pks: list[Any]
    first_values: tuple[Any, ...] | None
    last_values: tuple[Any, ...] | None
    has_previous: bool
    has_next: bool
    objects: list[Any] | None = None


def _lookup(alias: str, lookup: str, value: Any) -> Q:
    return Q(**{f"{alias}__{lookup}": value})


def _beyond(
    term: OrderingTerm, alias: str, value: Any, backwards: bool, inclusive: bool
) -> Q | None:
    """Rows that sort after ``value`` on this term (or at it, when ``inclusive``).

    None means no row can: nothing sorts after a NULL that sorts last.
    """
    greater = term.descending == backwards  # moving towards larger values
    nulls_ahead = term.nulls_high == greater  # NULLs lie in the direction of travel
    if value is None:
        if inclusive:
            return _lookup(alias, "isnull", True) if nulls_ahead else Q()
        return None if nulls_ahead else _lookup(alias, "isnull", False)
    op = ("gte" if inclusive else "gt") if greater else ("lte" if inclusive else "lt")
    condition = _lookup(alias, op, value)
    if term.nullable and nulls_ahead:
        condition |= _lookup(alias, "isnull", True)
    return condition


def _equal(alias: str, value: Any) -> Q:
    return _lookup(alias, "isnull", True) if value is None else _lookup(alias, "exact", value)


def _to_json(value: Any) -> Any:
    """A JSON value that ``Field.to_python`` turns back into ``value`` exactly.

    (``DjangoJSONEncoder`` would cut datetimes to milliseconds: a cursor must not.)
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    raise UnsupportedOrdering(f"cannot put a {type(value).__name__} into a cursor")


class Keyset:
    """Keyset pagination over one queryset's ordering.

    The ordering is taken from the queryset (``order_by()``, else the model's
    ``Meta.ordering``), with names of foreign keys expanded to the related model's
    ordering as Django's compiler does, and completed with the primary key. Raises
    :class:`UnsupportedOrdering` for a random ordering, ``extra()`` ordering, or an
    ordering across a many-valued relation (it would list a row more than once).
    """

    def __init__(self, queryset: models.QuerySet[Any]) -> None:
        query = queryset.query
        if query.extra_order_by:
            raise UnsupportedOrdering("extra() ordering")
        ordering: Sequence[Any] = query.order_by
        if not ordering and query.default_ordering:
            ordering = queryset.model._meta.ordering
        connection = connections[queryset.db]
        self.terms = ordering_terms(
            queryset.model,
            ordering,
            annotations=set(query.annotations),
            nulls_high=connection.features.nulls_order_largest,
        )
        self.aliases = [f"toolkit_keyset_{index}" for index in range(len(self.terms))]
        self.fingerprint = hashlib.sha256(
            "|".join(
                f"{term.label}:{term.descending:d}{term.nulls_high:d}" for term in self.terms
            ).encode()
        ).hexdigest()[:16]
        self._queryset = queryset
        self._signer = signing.Signer(salt=f"{_SIGNING_SALT}:{queryset.model._meta.label}")

    # ordering and filters

    def order_by(self, backwards: bool = False) -> list[OrderBy]:
        """The full ordering (primary key last), reversed when ``backwards``."""
        return [term.order_by(backwards) for term in self.terms]

    def annotations(self) -> dict[str, Any]:
        """The ordering terms by the names :meth:`beyond` filters on."""
        return {
            alias: term.expression for alias, term in zip(self.aliases, self.terms, strict=True)
        }

    def beyond(self, values: Sequence[Any], backwards: bool = False) -> Q:
        """Rows strictly after ``values`` (before them when ``backwards``).

        Written as ``t1 >= v1 AND (t1 > v1 OR (t1 = v1 AND t2 > v2) OR ...)``: the
        redundant first bound lets the database start an index scan at the cursor
        instead of filtering from the start of the index.
        """
        disjuncts: list[Q] = []
        prefix = Q()
        for term, alias, value in zip(self.terms, self.aliases, values, strict=True):
            step = _beyond(term, alias, value, backwards, inclusive=False)
            if step is not None:
                disjuncts.append(prefix & step)
            prefix &= _equal(alias, value)
        if not disjuncts:
            return Q(pk__in=[])
        condition = disjuncts[0]
        for disjunct in disjuncts[1:]:
            condition |= disjunct
        bound = _beyond(self.terms[0], self.aliases[0], values[0], backwards, inclusive=True)
        if bound is not None and bound != Q() and len(disjuncts) > 1:
            condition = bound & condition
        return condition

    def page(
        self,
        queryset: models.QuerySet[Any],
        cursor: KeysetCursor,
        size: int,
        *,
        objects: bool = False,
    ) -> KeysetPage:
        """Fetch the primary keys and boundary values of the page at ``cursor``.

        One query, reading ``size + 1`` rows: the extra row says whether there is more
        in the direction of travel. By default only the key and ordering columns are
        read; with ``objects`` the rows are fetched whole, as ``queryset`` fetches them
        (``select_related``, fetch mode), into :attr:`KeysetPage.objects`, so that
        showing the page needs no second query.
        """
        backwards = cursor.backwards
        window = queryset.annotate(**self.annotations()).order_by(*self.order_by(backwards))
        if cursor.direction in ("next", "prev"):
            window = window.filter(self.beyond(cursor.values, backwards))
        instances: list[Any] = []
        if objects:
            instances = list(window[: size + 1])
            rows = [
                (instance.pk, *(getattr(instance, alias) for alias in self.aliases))
                for instance in instances
            ]
        else:
            rows = list(window.values_list("pk", *self.aliases)[: size + 1])
        more = len(rows) > size
        rows, instances = rows[:size], instances[:size]
        if backwards:
            rows.reverse()
            instances.reverse()
        return KeysetPage(
            pks=[row[0] for row in rows],
            first_values=tuple(rows[0][1:]) if rows else None,
            last_values=tuple(rows[-1][1:]) if rows else None,
            has_previous=more if backwards else cursor.direction != "first",
            has_next=True if cursor.direction == "prev" else (more and not backwards),
            objects=instances if objects else None,
        )

    # cursors

    def encode(self, direction: Direction, values: Sequence[Any] = ()) -> str:
        """A signed, URL-safe cursor for ``direction`` from the row with ``values``."""
        code = next(code for code, name in _DIRECTION_CODES.items() if name == direction)
        payload = {"d": code, "k": self.fingerprint, "v": [_to_json(v) for v in values]}
        return self._signer.sign_object(payload, compress=True)

    def decode(self, token: str) -> KeysetCursor:
        """The cursor in ``token``; :class:`InvalidCursor` unless this keyset made it."""
        if not token or len(token) > MAX_CURSOR_LENGTH:
            raise InvalidCursor("empty or too long")
        try:
            payload = self._signer.unsign_object(token)
        except (signing.BadSignature, ValueError, TypeError, UnicodeError, zlib.error) as exc:
            raise InvalidCursor("bad signature") from exc
        if not isinstance(payload, dict) or payload.get("k") != self.fingerprint:
            raise InvalidCursor("made for another ordering")
        direction = _DIRECTION_CODES.get(payload.get("d"))  # type: ignore[arg-type]
        raw = payload.get("v")
        if direction is None or not isinstance(raw, list):
            raise InvalidCursor("malformed")
        if direction == "last":
            return KeysetCursor("last")
        if len(raw) != len(self.terms):
            raise InvalidCursor("wrong number of values")
        try:
            values = tuple(
                None if value is None else field.to_python(value)
                for field, value in zip(self._output_fields, raw, strict=True)
            )
        except (ValidationError, TypeError, ValueError) as exc:
            raise InvalidCursor("value of the wrong type") from exc
        return KeysetCursor(direction, values)

    @cached_property
    def _output_fields(self) -> list[models.Field[Any, Any]]:
        annotated = self._queryset.annotate(**self.annotations())
        try:
            return [annotated.query.annotations[alias].output_field for alias in self.aliases]
        except FieldError as exc:
            raise UnsupportedOrdering(str(exc)) from exc
