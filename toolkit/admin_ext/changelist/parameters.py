"""Hostile paging, sorting and filtering input, answered with a message instead of an error.

Django's ``ChangeList`` answers ``?p=abc``, ``?o=99`` and a lookup the admin does not
allow (``?supplier__email__contains=x``) with a redirect to ``?e=1`` that drops every
other filter, or with a 400. :func:`reject_bad_parameters` runs before Django reads the
query string: it leaves each bad parameter out of ``request.GET`` (so that every link
of the page leaves it out too), and says what it ignored in an admin warning. Only
pages that answer on the page (:mod:`.in_page`) do this.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.main import ERROR_FLAG, ORDER_VAR, PAGE_VAR, ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.http import HttpRequest, QueryDict
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .in_page import log_disallowed_lookup
from .keyset import CURSOR_VAR

__all__ = ["reject_bad_parameters", "rewrite_query", "shorten"]


def shorten(value: object, length: int = 60) -> str:
    """Query-string values are quoted back to the person; a hostile one can be huge."""
    return Truncator(str(value)).chars(length)


def rewrite_query(request: HttpRequest, drop: set[str], replace: dict[str, str]) -> None:
    """Replace ``request.GET`` by a copy without ``drop`` and with ``replace``."""
    query = request.GET.copy()
    for name in drop:
        query.pop(name, None)
    for name, value in replace.items():
        query[name] = value
    request.GET = QueryDict(query.urlencode(), encoding=request.GET.encoding)


def reject_bad_parameters(cl: ChangeList, request: HttpRequest, *, numbered_pages: bool) -> None:
    """Warn about, and leave out, a bad page, sort or disallowed lookup.

    ``cl`` is a changelist whose ``__init__`` has not yet read the query string (it
    only needs its model admin and ``list_display``); ``numbered_pages`` is False when
    it pages by cursor, where ``?p=`` means nothing. ``request.GET`` is replaced by a
    copy without the bad parameters, so that every link of the page (pagination,
    filters, the preserved filters of the change form) leaves them out too.
    """
    query = request.GET
    drop: set[str] = set()
    replace: dict[str, str] = {}
    notes: list[str] = []

    page = query.get(PAGE_VAR)
    if page is not None and numbered_pages and _page_number(page) is None:
        drop.add(PAGE_VAR)
        notes.append(
            _("There is no page “%(page)s”; showing the first page.") % {"page": shorten(page)}
        )

    ordering = query.get(ORDER_VAR)
    if ordering:
        parts = ordering.split(".")
        bad = [part for part in parts if not _is_sortable(cl, part)]
        # A column sorted twice sorts by its first mention only: the rest mean
        # nothing, and hundreds of them make a query no database plans.
        seen: set[str] = set()
        good_parts = []
        for part in parts:
            column = part.lstrip("-")
            if part not in bad and column not in seen:
                seen.add(column)
                good_parts.append(part)
        if bad or len(good_parts) != len(parts):
            good = ".".join(good_parts)
            if good:
                replace[ORDER_VAR] = good
            else:
                drop.add(ORDER_VAR)
        if bad:
            notes.append(
                ngettext(
                    "Ignored the sort “%(parts)s”: there is no such sortable column.",
                    "Ignored the sorts “%(parts)s”: there are no such sortable columns.",
                    len(bad),
                )
                % {"parts": shorten(".".join(bad))}
            )

    lists = dict(query.lists())
    for name in (PAGE_VAR, ERROR_FLAG, CURSOR_VAR):
        lists.pop(name, None)
    lookups = cl.get_filters_params(lists) if lists else {}
    for name, values in lookups.items():
        for value in values if isinstance(values, list) else [values]:
            if not cl.model_admin.lookup_allowed(name, value, request):
                log_disallowed_lookup(request, name)
                drop.add(name)
                notes.append(
                    _("Filtering by %(name)s is not allowed; it was ignored.")
                    % {"name": shorten(name)}
                )
                break

    if drop or replace:
        rewrite_query(request, drop, replace)
    for note in notes:
        messages.warning(request, note, fail_silently=True)


def _page_number(raw: str) -> int | None:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return None
    return number if number >= 1 else None


def _is_sortable(cl: ChangeList, part: str) -> bool:
    """Is ``part`` of ``?o=`` (``"2"``, ``"-2"``) a sortable column of ``cl``?"""
    head, _sign, index = part.rpartition("-")
    if head or not (index.isascii() and index.isdigit()):
        return False
    position = int(index)
    if position >= len(cl.list_display):
        return False
    try:
        return bool(cl.get_ordering_field(cl.list_display[position]))
    except (AttributeError, FieldDoesNotExist):
        return False
