"""What a search box's text must fit before it reaches the database.

A pasted page of text would otherwise become a query the database refuses: SQLite
rejects a ``LIKE`` pattern over 50,000 bytes ("LIKE pattern too complex") and a
condition nested a thousand deep ("expression tree too large"), and PostgreSQL any
text holding the NUL character. :class:`SearchLimits` (a base of ``SearchMixin``)
checks the text first and says what it left out, in a message, instead of a 500.
:class:`~.checks.SearchChecks` checks the limits themselves (``toolkit.E015``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = ["SearchLimits", "has_nul", "shown"]

_T = TypeVar("_T")

#: How many of the terms past the cap a message names; the rest are counted.
_NAMED_IGNORED_TERMS = 10


class SearchLimits:
    """The length and the number of terms a search may have, with their hooks."""

    #: Terms beyond this many are ignored (with a message): each term adds a condition
    #: to the query, and a pasted paragraph must not produce a query the database
    #: refuses. Repeated terms count once.
    search_max_terms: int = 32

    #: A longer search text is not applied at all (with a message): no one types it,
    #: and a single word this long is already more than SQLite matches with ``LIKE``.
    search_max_length: int = 1000

    def get_search_max_terms(self, request: HttpRequest) -> int:
        """How many terms this request's search may use; override to allow some
        people more."""
        return self.search_max_terms

    def get_search_max_length(self, request: HttpRequest) -> int:
        """How many characters this request's search may have."""
        return self.search_max_length

    def _search_too_long(self, request: HttpRequest, text: str) -> str | None:
        """The message for a search text over the limit, or None when it fits."""
        limit = self.get_search_max_length(request)
        if len(text) <= limit:
            return None
        return _(
            "The search was not applied: it is %(length)d characters long, and this list "
            "searches at most %(limit)d. Shorten it."
        ) % {"length": len(text), "limit": limit}

    def _capped_terms(
        self, request: HttpRequest, terms: Sequence[_T], raw: Sequence[str]
    ) -> tuple[list[_T], str | None]:
        """The first terms up to the limit, and a message naming the others (``raw``
        is what the person typed for each term)."""
        limit = self.get_search_max_terms(request)
        if len(terms) <= limit:
            return list(terms), None
        ignored = list(raw[limit:])
        named = " ".join(shown(text) for text in ignored[:_NAMED_IGNORED_TERMS])
        more = len(ignored) - _NAMED_IGNORED_TERMS
        if more > 0:
            named += " " + ngettext("and %(count)d more", "and %(count)d more", more) % {
                "count": more
            }
        message = _("The search uses its first %(count)d terms; ignored: %(terms)s") % {
            "count": limit,
            "terms": named,
        }
        return list(terms[:limit]), message


def has_nul(text: str) -> bool:
    """Whether ``text`` holds the NUL character, which PostgreSQL refuses in any text."""
    return "\x00" in text


def shown(text: str) -> str:
    """``text`` fit for a message: the NUL character as the visible ␀."""
    return text.replace("\x00", "\N{SYMBOL FOR NULL}")
