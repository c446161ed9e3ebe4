"""Query-string input that no database can take, left out before it reaches one.

A changelist passes its query string to the ORM as filter values, search terms and
orderings. Some values fail only when the query is sent, past every check an admin
makes: PostgreSQL refuses text holding a NUL character (psycopg raises while sending);
a number beyond the column's integer range overflows SQLite's driver (Django guards
``exact``, ``gt``, ``gte``, ``lt`` and ``lte`` on integer fields, not a foreign key nor
``__in``); a parameter of megabytes, or a search of thousands of words, makes a query no
database plans cheaply (SQLite refuses it). Django answers each with a server error.
:func:`drop_unusable_parameters` removes such parameters from the request before the
changelist reads it, with a message naming each; every toolkit changelist calls it
first: the ``admin_ext`` mixins through a changelist part of theirs
(``toolkit.admin_ext.parts.DropUnusableParameters``), other admins (the toolkit's own,
a project's) through :class:`QueryInputMixin`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, QueryDict
from django.utils.text import Truncator
from django.utils.translation import gettext as _

__all__ = [
    "MAX_PARAMETER_LENGTH",
    "MAX_SEARCH_WORDS",
    "QueryInputMixin",
    "drop_unusable_parameters",
]

#: Longest query-string value a changelist reads, in characters. A search box holds a
#: few words; a filter value a date or a number; a keyset cursor a few hundred bytes.
MAX_PARAMETER_LENGTH = 10_000

_DONE = "_toolkit_query_input_checked"


#: Most words a search may hold. Django's search adds one condition per word, and a few
#: thousand make a query SQLite refuses ("Expression tree is too large"). The toolkit's
#: SearchMixin applies its own, lower cap with a message naming what it left out.
MAX_SEARCH_WORDS = 100

#: Lookups on an integer field that Django itself keeps from overflowing.
GUARDED_LOOKUPS = frozenset({"exact", "gt", "gte", "lt", "lte"})


def _problem(model: type[models.Model] | None, name: str, values: list[str]) -> str | None:
    if "\x00" in name or any("\x00" in value for value in values):
        return _("it holds a NUL character")
    if len(name) > MAX_PARAMETER_LENGTH or any(len(v) > MAX_PARAMETER_LENGTH for v in values):
        return _("it is longer than %(max)d characters") % {"max": MAX_PARAMETER_LENGTH}
    if name == SEARCH_VAR and any(len(v.split()) > MAX_SEARCH_WORDS for v in values):
        return _("it has more than %(max)d words") % {"max": MAX_SEARCH_WORDS}
    if model is not None and _overflows(model, name, values):
        return _("the number is out of range")
    return None


def _integer_target(model: type[models.Model], name: str) -> tuple[Any, bool, str]:
    """The field a lookup compares with (a relation's target), whether the path crossed
    a relation, and the lookup (``exact`` when none is named)."""
    opts: Any = model._meta
    field: Any = None
    related = False
    parts = name.split(LOOKUP_SEP)
    lookup = "exact"
    for index, part in enumerate(parts):
        try:
            field = opts.pk if part == "pk" else opts.get_field(part)
        except FieldDoesNotExist:
            lookup = LOOKUP_SEP.join(parts[index:])
            break
        if field.is_relation and field.related_model is not None:
            related = True
            opts = field.related_model._meta
            field = getattr(field, "target_field", None) or opts.pk
    return field, related, lookup


#: Parts of a date or time a lookup compares as a number (``created__year=2025``).
DATE_PARTS = frozenset(
    {"year", "iso_year", "quarter", "month", "week", "week_day", "iso_week_day", "day",
     "hour", "minute", "second"}
)  # fmt: skip

#: A date part beyond this does not fit the C integer Python's datetime takes: Django
#: catches the ValueError of a year such as 10000, not this OverflowError.
DATE_PART_RANGE = (-(2**31), 2**31 - 1)


def _overflows(model: type[models.Model], name: str, values: list[str]) -> bool:
    field, related, lookup = _integer_target(model, name)
    if isinstance(field, models.DateField | models.TimeField):
        if lookup.split(LOOKUP_SEP)[0] not in DATE_PARTS:
            return False
        low, high = DATE_PART_RANGE
    elif isinstance(field, models.IntegerField):
        if not related and lookup in GUARDED_LOOKUPS:
            return False
        low, high = connection.ops.integer_field_range(field.get_internal_type())
    else:
        return False  # text, decimals...: their own validation answers them
    for value in values:
        for item in value.split(","):
            try:
                number = int(item.strip())
            except ValueError:
                continue  # not a number: the filter's own validation answers it
            if (low is not None and number < low) or (high is not None and number > high):
                return True
    return False


def drop_unusable_parameters(
    request: HttpRequest, model: type[models.Model] | None = None
) -> list[str]:
    """Leave out of ``request.GET`` every parameter no database can take; warn about each.

    With ``model``, filter parameters are also checked against its integer columns and
    the parts of its dates.
    Returns the names left out. Idempotent: a request is checked once, however many
    mixins ask.
    """
    if getattr(request, _DONE, False):
        return []
    setattr(request, _DONE, True)
    dropped = []
    for name, values in request.GET.lists():
        problem = _problem(model, name, values)
        if problem is None:
            continue
        dropped.append(name)
        shown = Truncator(name.replace("\x00", "\\0")).chars(60)
        messages.warning(
            request,
            _("The parameter “%(name)s” was ignored: %(problem)s.")
            % {"name": shown, "problem": problem},
            fail_silently=True,
        )
    if dropped:
        kept = request.GET.copy()
        for name in dropped:
            kept.pop(name, None)
        request.GET = QueryDict(kept.urlencode(), encoding=request.GET.encoding)
    return dropped


class QueryInputMixin:
    """ModelAdmin mixin: the changelist leaves out query-string parameters no database
    can take (see :func:`drop_unusable_parameters`). Put it before ``admin.ModelAdmin``.

    It extends ``get_changelist_instance()``, where Django's ``changelist_view`` first
    reads the query string (the ``changelist_view`` of the toolkit's mixins is their
    base's alone, and the core knows no mixin of ``toolkit.admin_ext``).
    """

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        drop_unusable_parameters(request, getattr(self, "model", None))
        return super().get_changelist_instance(request)  # type: ignore[misc]
