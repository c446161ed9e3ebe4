"""Ask the changelist, in the admin: ``?question`` in the search box, or ``?ask=``.

:class:`AskMixin` (part of :class:`~toolkit.ai.admin.AIActionsMixin`) is off until an
admin sets ``ask_enabled = True``. Then a search that starts with ``?`` (``?cheap cables
low on stock``), or ``?ask=<question>`` on the changelist's URL, is a question:
:func:`toolkit.ai.ask.ask_question` turns it into a search of the admin's own qualifiers,
and the changelist redirects to that search, saying "Showing: …" and "Not understood:
…". The search box then holds an ordinary query the person can read, edit and save as a
view; a bookmark of ``?ask=`` asks again (from the cache). When nothing could be
understood, or the endpoint cannot answer, the page says so and the search box keeps
the question, unsearched.

It needs the view permission on the model and ``toolkit_ai.run_ai``; without them, or
while ``ask_enabled`` is off, the search box is the stock one.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.admin.checks import ModelAdminChecks
from django.contrib.admin.views.main import PAGE_VAR, SEARCH_VAR
from django.core import checks
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from toolkit.admin_ext.parts import ChangeListPart, ChangeListParts
from toolkit.ai.admin.base import AIOptionsBase, parent_template
from toolkit.ai.ask import AskSchema, ask_fields, ask_question
from toolkit.ai.ask.questions import ASK_MAX_CHARS
from toolkit.ai.models import RUN_AI_PERMISSION

__all__ = ["ASK_PARAM", "ASK_PREFIX", "ASK_TIMEOUT", "AskChecks", "AskMixin", "AskPart"]

#: The changelist parameter holding a question.
ASK_PARAM = "ask"
#: A search that starts with this is a question.
ASK_PREFIX = "?"
#: Seconds the request waits for the model by default (``ask_timeout``).
ASK_TIMEOUT = 60.0
#: The template drawn on top of the changelist's for the Ask hint.
ASK_TEMPLATE = "toolkit/ai/ask/change_list.html"
#: Parameters left out of the redirect: a question's search replaces them.
_REPLACED = {SEARCH_VAR, ASK_PARAM, PAGE_VAR, "cursor"}


class AskPart(ChangeListPart):
    """Takes the question out of the query string, asks it, and redirects to its search
    (or, when nothing came of it, lets the page render with a message and the question
    kept in the search box)."""

    def __init__(self, model_admin: Any, request: HttpRequest) -> None:
        super().__init__(model_admin, request)
        self.question: str | None = None
        self.kept: str | None = None

    def prepare(self) -> None:
        model_admin, request = self.model_admin, self.request
        if request.method != "GET" or not model_admin.get_ask_enabled(request):
            return
        query = request.GET
        question: str | None = None
        if ASK_PARAM in query:
            question = query.get(ASK_PARAM, "")
        elif query.get(SEARCH_VAR, "").lstrip().startswith(ASK_PREFIX):
            question = query[SEARCH_VAR].lstrip()[len(ASK_PREFIX) :]
        if question is None:
            return
        if not model_admin.has_ask_permission(request):
            if ASK_PARAM in query:
                self._drop(ASK_PARAM)
                model_admin.message_user(
                    request, _("You may not ask the AI about this list."), messages.WARNING
                )
            return  # a "?" search is searched as typed, as in stock Django
        self.question = question
        self._drop(ASK_PARAM, SEARCH_VAR)

    def answer(self) -> HttpResponse | None:
        if self.question is None:
            return None
        model_admin, request = self.model_admin, self.request
        outcome = model_admin.ask(request, self.question)
        for note in outcome.notes:
            model_admin.message_user(request, note, messages.INFO)
        if outcome.error:
            model_admin.message_user(request, outcome.error, messages.ERROR)
        not_understood = outcome.answer.not_understood
        if outcome.query:
            model_admin.message_user(
                request, _("Showing: %(query)s") % {"query": outcome.query}, messages.INFO
            )
        if not_understood:
            model_admin.message_user(
                request,
                _("Not understood: %(terms)s") % {"terms": "; ".join(not_understood)},
                messages.WARNING,
            )
        if outcome.query:
            params = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                if key not in _REPLACED:
                    params.setlist(key, values)
            params[SEARCH_VAR] = outcome.query
            return HttpResponseRedirect(f"{request.path}?{params.urlencode()}")
        if not outcome.error and not not_understood:
            model_admin.message_user(
                request,
                _("Nothing in the question could be turned into a search of this list."),
                messages.WARNING,
            )
        self.kept = ASK_PREFIX + self.question[: model_admin.get_ask_max_chars(request)]
        return None

    def update_page(self, response: TemplateResponse, context: dict[str, Any]) -> None:
        if not self.model_admin.get_ask_enabled(self.request):
            return
        if not self.model_admin.has_ask_permission(self.request):
            return
        if self.kept is not None:
            context["cl"].query = self.kept  # the search box shows the question, unsearched
        context["toolkit_ai_ask"] = {"prefix": ASK_PREFIX}
        if response.template_name != ASK_TEMPLATE:
            context["toolkit_ai_ask_parent_template"] = parent_template(response.template_name)
            response.template_name = ASK_TEMPLATE

    def _drop(self, *names: str) -> None:
        kept = self.request.GET.copy()
        for name in names:
            kept.pop(name, None)
        self.request.GET = QueryDict(kept.urlencode(), encoding=self.request.GET.encoding)


class AskChecks(ModelAdminChecks):
    """The checks of the ``ask_*`` options (``toolkit.E113``-``E115``, ``W101``)."""

    def check(self, admin_obj: Any, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(admin_obj, **kwargs), *self._check_ask_options(admin_obj)]

    def _check_ask_options(self, obj: Any) -> list[checks.CheckMessage]:
        where = f"{type(obj).__qualname__} ({obj.model._meta.label})"
        found: list[checks.CheckMessage] = []
        if not isinstance(obj.ask_enabled, bool):
            found.append(
                checks.Error(
                    f"{where}: ask_enabled must be True or False, not {obj.ask_enabled!r}.",
                    hint="Set ask_enabled = True to offer Ask on this changelist.",
                    obj=type(obj),
                    id="toolkit.E113",
                )
            )
        timeout, most = obj.ask_timeout, obj.ask_max_chars
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not timeout > 0
            or isinstance(most, bool)
            or not isinstance(most, int)
            or most < 1
        ):
            found.append(
                checks.Error(
                    f"{where}: ask_timeout must be a positive number of seconds and "
                    f"ask_max_chars a positive integer (got {timeout!r} and {most!r}).",
                    hint="Leave them out for the defaults (60 seconds, 500 characters).",
                    obj=type(obj),
                    id="toolkit.E114",
                )
            )
        if obj.ask_enabled is not True:
            return found
        if not hasattr(obj, "get_search_qualifiers"):
            found.append(
                checks.Error(
                    f"{where}: ask_enabled needs SearchMixin, whose qualifiers a question becomes.",
                    hint="Put SearchMixin (or ToolkitModelAdmin) in the admin's bases.",
                    obj=type(obj),
                    id="toolkit.E115",
                )
            )
        elif not obj.search_qualifiers and not obj.search_fields:
            found.append(
                checks.Warning(
                    f"{where}: ask_enabled, but the admin has neither search_qualifiers nor "
                    "search_fields: a question can become nothing.",
                    hint="Declare search_qualifiers (price, supplier, status, ...).",
                    obj=type(obj),
                    id="toolkit.W101",
                )
            )
        return found


class AskMixin(AIOptionsBase):
    """Ask the changelist in words. Off until ``ask_enabled = True``."""

    changelist_parts: ClassVar[ChangeListParts] = (AskPart,)
    mixin_checks_class: ClassVar[type | None] = AskChecks

    #: Offer Ask on this changelist (``?question`` in the search box, ``?ask=``).
    ask_enabled: bool = False
    #: Seconds the page waits for the model's answer.
    ask_timeout: float = ASK_TIMEOUT
    #: Most characters of a question.
    ask_max_chars: int = ASK_MAX_CHARS
    #: Read a question by rules first (``toolkit.ai.ask.reader``) and ask the model only
    #: when they place nothing; ``False`` sends every question to the model.
    ask_rules: bool = True
    #: More words that name a qualifier in a question, by its name (the rules that read
    #: a question before any model know the qualifier's name, its field's verbose name
    #: and a few English catalog words: ``toolkit.ai.ask.reader.CUES``).
    ask_synonyms: dict[str, Any] = {}

    def get_ask_enabled(self, request: HttpRequest) -> bool:
        """Whether this changelist offers Ask to ``request`` (``ask_enabled``)."""
        return self.ask_enabled is True

    def get_ask_timeout(self, request: HttpRequest) -> float:
        """Seconds to wait for the model (``ask_timeout``)."""
        return float(self.ask_timeout)

    def get_ask_max_chars(self, request: HttpRequest) -> int:
        """Most characters of a question (``ask_max_chars``)."""
        return int(self.ask_max_chars)

    def get_ask_rules(self, request: HttpRequest) -> bool:
        """Whether questions are read by rules before any model (``ask_rules``)."""
        return self.ask_rules is not False

    def get_ask_synonyms(self, request: HttpRequest) -> dict[str, Any]:
        """More words that name each qualifier in a question (``ask_synonyms``):
        ``{"price": ["costs", "priced at"], "supplier": ["brand"]}``."""
        return dict(self.ask_synonyms or {})

    def get_ask_schema(self, request: HttpRequest) -> AskSchema:
        """The fields a question may become: the admin's search qualifiers for this
        request (``get_search_qualifiers``), typed, and its free words. Override to hide
        some (``super().get_ask_schema(request).without("cost")``) or add an
        :class:`~toolkit.ai.ask.AskField` of a qualifier of your own."""
        return AskSchema(self.model, tuple(ask_fields(self, request)))

    def has_ask_permission(self, request: HttpRequest) -> bool:
        """Whether the person may ask: ``toolkit_ai.run_ai`` and the view permission."""
        return bool(request.user.has_perm(RUN_AI_PERMISSION)) and bool(
            self.has_view_or_change_permission(request)
        )

    def ask_identity(self) -> str:
        """This admin, for the cache: its site, model and class."""
        cls = type(self)
        label = self.model._meta.label_lower
        return f"{self.admin_site.name}:{label}:{cls.__module__}.{cls.__qualname__}"

    def ask(self, request: HttpRequest, question: str, **kwargs: Any) -> Any:
        """:func:`toolkit.ai.ask.ask_question` for this admin (an
        :class:`~toolkit.ai.ask.AskOutcome`)."""
        return ask_question(self, request, question, **kwargs)
