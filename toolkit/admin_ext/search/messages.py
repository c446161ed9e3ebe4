"""What the person reads when the search cannot use part of what they typed.

Every term the search leaves out becomes one warning that names the term as it was
typed ("Ignored “price>abc” in the search: ..."), and the list is still filtered by
everything else: a typo costs the person a sentence, never the page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.utils.translation import gettext as _

from .limits import shown
from .syntax import EMPTY_VALUE, UNCLOSED_QUOTE, UNKNOWN_QUALIFIER, SyntaxProblem

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.http import HttpRequest

__all__ = ["ignored", "report_problems", "syntax_message"]


def ignored(raw: str, reason: str) -> str:
    """The message for a term left out of the search: ``raw`` as typed, and why."""
    return _("Ignored “%(term)s” in the search: %(reason)s") % {
        "term": shown(raw),
        "reason": reason,
    }


def syntax_message(problem: SyntaxProblem) -> str:
    """The message for a piece of the text the parser could not use as typed."""
    if problem.code == UNCLOSED_QUOTE:
        return ignored(problem.raw, _("the quote is not closed."))
    if problem.code == EMPTY_VALUE:
        return ignored(
            problem.raw,
            _("type a value after %(name)s:, e.g. %(name)s:abc.") % {"name": problem.name},
        )
    if problem.code == UNKNOWN_QUALIFIER:
        # The piece is still searched as text (it may be "Re:" or "ISBN:..."); the
        # message only points at the qualifier the person probably meant.
        start = problem.raw.index(problem.name)
        meant = problem.raw[:start] + problem.suggestion + problem.raw[start + len(problem.name) :]
        return _(
            "Searched for “%(term)s” as text: there is no %(name)s: qualifier. "
            "Did you mean “%(meant)s”?"
        ) % {"term": shown(problem.raw), "name": problem.name, "meant": shown(meant)}
    return ignored(problem.raw, problem.code)


def report_problems(
    model_admin: ModelAdmin[Any], request: HttpRequest, problems: list[str]
) -> None:
    """Show each problem once per request as a warning.

    The changelist runs the search again for each facet count, and the autocomplete
    view runs it for a JSON response that shows no messages (they would surface on
    the next page instead), so both are filtered out here.
    """
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name == "autocomplete":
        return
    reported: set[str] = request.__dict__.setdefault("_toolkit_search_reported", set())
    for problem in problems:
        if problem not in reported:
            reported.add(problem)
            model_admin.message_user(request, problem, messages.WARNING, fail_silently=True)
