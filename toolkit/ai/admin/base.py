"""The options of :class:`~toolkit.ai.admin.AIActionsMixin` and who may use them.

:class:`AIOptionsBase` holds every ``ai_*`` attribute with its ``get_ai_*(request)``
hook and the permission rules; each part of the mixin (:mod:`.runs`, :mod:`.column`,
:mod:`.panel`, :mod:`.proposals`) builds on it, and :mod:`.options` puts them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.admin.utils import quote
from django.http import HttpRequest
from django.template.loader import select_template
from django.utils.module_loading import import_string

from toolkit.admin_ext.base import ToolkitAdminMixin
from toolkit.admin_ext.links import reverse_if_routed
from toolkit.ai.actions import (
    AIAction,
    FlagAnomaliesAction,
    SummarizeAction,
    SummarizeSelectionAction,
    resolve_action,
)
from toolkit.ai.conf import conf
from toolkit.ai.endpoints import DEFAULT_ENDPOINT
from toolkit.ai.models import RUN_AI_PERMISSION, VIEW_INSIGHT_PERMISSION, permission_name
from toolkit.exceptions import ToolkitConfigurationError

__all__ = ["AIOptionsBase", "parent_template"]


class AIOptionsBase(ToolkitAdminMixin):
    """The ``ai_*`` options, their hooks and the permission rules of the AI admin; a
    :class:`~toolkit.admin_ext.ToolkitAdminMixin`, so the parts of the AI admin declare
    their changelist parts and checks as the toolkit's other mixins do."""

    #: Fields sent to the model: names, or paths across foreign keys ("category.name").
    #: Nothing else leaves the database. Empty (the default): the mixin adds nothing to
    #: the admin (no action, column, filter or panel), so that it can be added to an
    #: admin that works today and changes nothing until it is told what to send.
    ai_fields: Sequence[str] = ()
    #: Related rows sent with each record, capped:
    #: ``{"reviews": Related("reviews", fields=["rating", "text"], limit=20)}``.
    ai_related: dict[str, Any] = {}
    #: Rules evaluated in the database; their findings are flags of their own and facts
    #: given to the model (``toolkit.ai.rules.Rule``).
    ai_rules: Sequence[Any] = ()
    #: The field whose value groups a record's peers for statistics ("category").
    ai_peer_group: str | None = None
    #: Numeric fields compared with the peers' (robust z-score); empty: none.
    ai_peer_fields: Sequence[str] = ()
    #: Replace e-mail addresses and phone numbers in sent values with placeholders.
    ai_redact: bool = True
    #: Each sent value is cut to this many characters; ``None``:
    #: ``TOOLKIT_AI_VALUE_MAX_CHARS``. Lower it for a model with long texts.
    ai_value_max_chars: int | None = None
    #: Most characters of one prompt for this model (a longer record fails with a
    #: message); ``None``: ``TOOLKIT_AI_MAX_INPUT_CHARS``. Set it to the context of the
    #: model this admin's endpoint serves.
    ai_max_input_chars: int | None = None
    #: The AI actions offered: AIAction subclasses, instances, or registered names.
    ai_actions: Sequence[type[AIAction] | AIAction | str] = (
        SummarizeAction,
        FlagAnomaliesAction,
        SummarizeSelectionAction,
    )
    #: Selections above this many records run as a background job; ``None``:
    #: ``TOOLKIT_AI_BACKGROUND_THRESHOLD``. 0 sends every run to a job.
    ai_background_threshold: int | None = None
    #: The ``TOOLKIT_AI`` endpoint the actions use; ``None``: "default".
    ai_endpoint: str | None = None
    #: Add the insight column to the changelist's columns (after the existing ones).
    ai_list_column: bool = True
    #: Add the severity filter to ``list_filter``.
    ai_list_filter: bool = True

    # -- hooks: override one to decide per request -------------------------------------

    def get_ai_fields(self, request: HttpRequest | None = None) -> list[str]:
        """The fields sent for this request (``ai_fields``)."""
        return list(self.ai_fields)

    def get_ai_related(self, request: HttpRequest | None = None) -> dict[str, Any]:
        """The related rows sent with each record (``ai_related``)."""
        return dict(self.ai_related)

    def get_ai_rules(self, request: HttpRequest | None = None) -> list[Any]:
        """The rules evaluated before the model is asked (``ai_rules``)."""
        return list(self.ai_rules)

    def get_ai_peer_group(self, request: HttpRequest | None = None) -> str | None:
        """The field grouping peers for statistics (``ai_peer_group``)."""
        return self.ai_peer_group

    def get_ai_peer_fields(self, request: HttpRequest | None = None) -> list[str]:
        """The fields compared with the peers' (``ai_peer_fields``)."""
        return list(self.ai_peer_fields)

    def get_ai_redact(self, request: HttpRequest | None = None) -> bool:
        """Whether e-mail addresses and phone numbers are redacted (``ai_redact``)."""
        return bool(self.ai_redact)

    def get_ai_value_max_chars(self, request: HttpRequest | None = None) -> int:
        """The length each sent value is cut to (``ai_value_max_chars``, else the
        setting)."""
        if self.ai_value_max_chars is not None:
            return int(self.ai_value_max_chars)
        return conf.AI_VALUE_MAX_CHARS

    def get_ai_max_input_chars(self, request: HttpRequest | None = None) -> int:
        """The most characters of one prompt (``ai_max_input_chars``, else the setting)."""
        if self.ai_max_input_chars is not None:
            return int(self.ai_max_input_chars)
        return conf.AI_MAX_INPUT_CHARS

    def get_ai_actions(self, request: HttpRequest | None = None) -> list[AIAction]:
        """The actions offered, as instances (names and classes are resolved)."""
        return [resolve_action(entry) for entry in self.ai_actions]

    def get_ai_background_threshold(self, request: HttpRequest) -> int:
        """Records above which a run becomes a background job."""
        if self.ai_background_threshold is not None:
            return int(self.ai_background_threshold)
        return conf.AI_BACKGROUND_THRESHOLD

    def get_ai_endpoint(self, request: HttpRequest | None = None) -> str | None:
        """The ``TOOLKIT_AI`` endpoint the actions use (``ai_endpoint``; ``None``:
        "default")."""
        return self.ai_endpoint

    def get_ai_unavailable_reason(self, request: HttpRequest) -> str | None:
        """Why the AI actions cannot answer now, as a sentence for the person ("The local
        model is still being installed."), or ``None`` when they can.

        While it gives a sentence, an AI action shows it as a warning, followed by
        "Nothing was sent.", and sends and queues nothing. The default asks the
        callable the endpoint's ``UNAVAILABLE_REASON`` setting names (a dotted path,
        called with the request), so a project answers for all its admins at once;
        without that setting it is ``None``. Override it to decide per admin.
        """
        name = self.get_ai_endpoint(request) or DEFAULT_ENDPOINT
        endpoint = conf.AI.get(name)
        path = endpoint.get("UNAVAILABLE_REASON") if isinstance(endpoint, dict) else None
        if not path:
            return None
        try:
            if not isinstance(path, str):
                raise ImportError(f"{path!r} is not a dotted path")
            hook = import_string(path)
        except ImportError as exc:
            raise ToolkitConfigurationError(
                f"TOOLKIT_AI[{name!r}]['UNAVAILABLE_REASON'] names no callable ({exc}); "
                "`manage.py check` says how to fix it."
            ) from exc
        reason = str(hook(request) or "").strip()
        return reason or None

    def get_ai_list_column(self, request: HttpRequest) -> bool:
        """Whether the changelist shows the "AI insight" column (``ai_list_column``)."""
        return bool(self.ai_list_column)

    def get_ai_list_filter(self, request: HttpRequest) -> bool:
        """Whether the changelist offers the "AI flags" filter (``ai_list_filter``)."""
        return bool(self.ai_list_filter)

    def get_ai_source(self, request: HttpRequest | None = None) -> Any:
        """What leaves the database, built from the ``get_ai_*`` hooks."""
        from toolkit.ai.sources import AISource

        return AISource.from_admin(self, request)

    # -- who may use it ----------------------------------------------------------------

    def ai_configured(self) -> bool:
        """Whether this admin class may offer AI at all: it names fields to send, or
        decides them per request. Its AI URLs and stylesheet exist only then."""
        return bool(self.ai_fields) or (type(self).get_ai_fields is not AIOptionsBase.get_ai_fields)

    def ai_enabled(self, request: HttpRequest | None = None) -> bool:
        """Whether this admin offers AI to ``request``: it names fields to send
        (``ai_fields``)."""
        return self.ai_configured() and bool(self.get_ai_fields(request))

    def has_ai_permission(
        self, request: HttpRequest, action: AIAction | None = None, obj: Any = None
    ) -> bool:
        """Whether the person may run ``action`` (any AI action when ``None``): AI is on
        for this admin, its permission (``toolkit_ai.run_ai`` by default; a name from
        before the AI app, ``toolkit.run_ai``, is read as that) and the view permission
        on the model."""
        if not self.ai_enabled(request):
            return False
        user = request.user
        permission = RUN_AI_PERMISSION if action is None else permission_name(action.permission)
        return bool(user.has_perm(permission)) and self.has_view_or_change_permission(request, obj)

    def has_ai_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Whether the person sees insights (column, filter, panel): AI is on for this
        admin, and they may run AI actions or view insights, and view the record."""
        if not self.ai_enabled(request):
            return False
        user = request.user
        allowed = user.has_perm(RUN_AI_PERMISSION) or user.has_perm(VIEW_INSIGHT_PERMISSION)
        return bool(allowed) and self.has_view_or_change_permission(request, obj)

    # -- URLs --------------------------------------------------------------------------

    def get_ai_proposals_url(self) -> str:
        """Where a person reviews this model's pending proposals (also the result page
        of a background job of a proposal action); ``""`` when this admin's URLs are
        not routed."""
        return self._ai_url("proposals")

    def _ai_url(self, name: str, *args: Any) -> str:
        opts = self.model._meta
        return reverse_if_routed(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_ai_{name}",
            [quote(str(a)) for a in args],
        )


def parent_template(name: Any) -> Any:
    """The template a response would render (``name``: one name or a list), for our
    templates that extend it: the ModelAdmin's own (``change_form_template``, ...)
    stays the page's base."""
    names = [name] if isinstance(name, str) else [n for n in name if isinstance(n, str)]
    return select_template(names)
