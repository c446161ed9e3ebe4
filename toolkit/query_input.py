"""Query-string input that no database can take, left out before it reaches one.

A changelist passes its query string to the ORM as filter values, search terms and
orderings. Some values fail only when the query is sent, past every check an admin
makes: PostgreSQL refuses text holding a NUL character (psycopg raises while sending),
and a parameter of megabytes makes a pattern no database plans cheaply. Django answers
both with a server error. :func:`drop_unusable_parameters` removes such parameters from
the request before the changelist reads it, with a message naming each; every toolkit
changelist (the ``admin_ext`` mixins, and the toolkit's own admins through
:class:`QueryInputMixin`) calls it first.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.text import Truncator
from django.utils.translation import gettext as _

__all__ = ["MAX_PARAMETER_LENGTH", "QueryInputMixin", "drop_unusable_parameters"]

#: Longest query-string value a changelist reads, in characters. A search box holds a
#: few words; a filter value a date or a number; a keyset cursor a few hundred bytes.
MAX_PARAMETER_LENGTH = 10_000

_DONE = "_toolkit_query_input_checked"


def _problem(name: str, values: list[str]) -> str | None:
    if "\x00" in name or any("\x00" in value for value in values):
        return _("it holds a NUL character")
    if len(name) > MAX_PARAMETER_LENGTH or any(len(v) > MAX_PARAMETER_LENGTH for v in values):
        return _("it is longer than %(max)d characters") % {"max": MAX_PARAMETER_LENGTH}
    return None


def drop_unusable_parameters(request: HttpRequest) -> list[str]:
    """Leave out of ``request.GET`` every parameter no database can take; warn about each.

    Returns the names left out. Idempotent: a request is checked once, however many
    mixins ask.
    """
    if getattr(request, _DONE, False):
        return []
    setattr(request, _DONE, True)
    dropped = []
    for name, values in request.GET.lists():
        problem = _problem(name, values)
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
    can take (see :func:`drop_unusable_parameters`). Put it before ``admin.ModelAdmin``."""

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        drop_unusable_parameters(request)
        return super().changelist_view(request, extra_context)  # type: ignore[misc]
