"""Bad query-string input: a message on the changelist page, Django's exception elsewhere.

Django's ``ChangeList`` raises ``IncorrectLookupParameters`` for input it cannot use (a
filter value of the wrong type, a page that does not exist, a bad date drill-down), and
``changelist_view`` turns that into a redirect to ``?e=1`` that drops every parameter.
On the page itself the toolkit instead warns about each unusable parameter and renders
the list with everything else applied. Code that builds a changelist by itself (a
project's ``get_changelist_instance()`` call, its tests, a background job) keeps Django's
contract: the exception. The mixins whose ChangeList validates its input declare the
part :class:`AnswerOnPage`, which marks the changelist view's request with
:func:`mark_changelist_page`; the validating ChangeList classes ask
:func:`on_changelist_page`.
"""

from __future__ import annotations

import logging
from typing import Any

from ..parts import ChangeListPart

__all__ = ["AnswerOnPage", "log_disallowed_lookup", "mark_changelist_page", "on_changelist_page"]

_MARK = "_toolkit_changelist_page"


def mark_changelist_page(request: Any) -> None:
    """Say that ``request`` renders a changelist page for a person to read."""
    setattr(request, _MARK, True)


class AnswerOnPage(ChangeListPart):
    """The changelist view's request answers bad input on the page (a changelist part)."""

    def prepare(self) -> None:
        mark_changelist_page(self.request)


def on_changelist_page(request: Any) -> bool:
    """Is bad input of ``request`` to be answered on the page, with a message?"""
    return bool(getattr(request, _MARK, False))


def log_disallowed_lookup(request: Any, name: str) -> None:
    """Log a lookup the admin does not allow where Django logs it.

    Django answers it with a 400 and an entry on this security logger. The page answers
    with a message instead; a project's security monitoring still sees the attempt.
    """
    logging.getLogger("django.security.DisallowedModelAdminLookup").error(
        "Filtering by %s not allowed", name, extra={"request": request}
    )
