"""Running AI actions from the changelist: the admin actions and where each run goes.

A selection of up to ``get_ai_background_threshold()`` records runs in the request, with
one short attempt per record (:data:`REQUEST_TIMEOUT`); a larger one becomes a background
job (:func:`toolkit.ai.handlers.start_ai_job`) and the action redirects to its page.
Limits, an unconfigured endpoint and one that cannot answer now
(:meth:`~toolkit.ai.admin.base.AIOptionsBase.get_ai_unavailable_reason`) are refused
with a message before anything is sent or queued.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import messages
from django.contrib.admin import options as admin_options
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from toolkit.admin_ext.actions import count_upto
from toolkit.admin_ext.links import reverse_if_routed
from toolkit.admin_ext.selection import Selection, SelectionError
from toolkit.ai.actions import AIAction
from toolkit.ai.admin.base import AIOptionsBase
from toolkit.ai.conf import conf
from toolkit.ai.endpoints import DEFAULT_ENDPOINT, get_endpoint
from toolkit.ai.runner import check_limits, run_action, run_digest
from toolkit.compat import get_actions_at
from toolkit.exceptions import AIError, AILimitExceeded, ToolkitError

__all__ = ["ACTION_PREFIX", "REQUEST_TIMEOUT", "AIRunsMixin", "digest_scope"]

#: Django 6.1's action objects (``None`` before, where actions are tuples).
_Action = getattr(admin_options, "Action", None)

#: Name prefix of the admin actions made from ``ai_actions`` ("ai_summary").
ACTION_PREFIX = "ai_"
#: An in-request run may wait this long (seconds) for one answer: a slow endpoint then
#: fails the record with a sentence instead of holding the page.
REQUEST_TIMEOUT = 10.0


class AIRunsMixin(AIOptionsBase):
    """The AI actions in the changelist's action menu, and running them."""

    def get_actions(  # type: ignore[override,unused-ignore]
        self, request: HttpRequest, action_location: Any = None
    ) -> dict[str, Any]:
        """The admin's actions plus the AI actions the person may run (change list
        only). The admins after this mixin may override ``get_actions()`` with
        Django 6.1's signature or the older ``get_actions(self, request)``."""
        actions = get_actions_at(super(), request, action_location)
        location = getattr(admin_options, "ActionLocation", None)
        if location is not None and action_location not in (None, location.CHANGE_LIST):
            return actions
        if self.actions is None or admin_options.IS_POPUP_VAR in request.GET:
            return actions
        for action in self.get_ai_actions(request):
            if self.has_ai_permission(request, action):
                name = ACTION_PREFIX + action.name
                actions[name] = self._ai_admin_action(action, name)
        return actions

    def _ai_admin_action(self, action: AIAction, name: str) -> Any:
        def run(modeladmin: AIRunsMixin, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
            return modeladmin.run_ai_action(request, queryset, action)

        run.__name__ = name
        description = action.get_description()
        if _Action is None:
            return (run, name, description)
        location = admin_options.ActionLocation.CHANGE_LIST  # type: ignore[attr-defined,unused-ignore]
        return _Action(
            func=run,
            name=name,
            description=description,
            plural_description=description,
            locations=[location],
        )

    def find_ai_action(self, request: HttpRequest, name: str) -> AIAction | None:
        """The offered action called ``name``, if the person may run it."""
        for action in self.get_ai_actions(request):
            if action.name == name and self.has_ai_permission(request, action):
                return action
        return None

    def run_ai_action(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        action: AIAction,
        *,
        force: bool = False,
        selection: Selection | None = None,
    ) -> HttpResponse | None:
        """Run ``action`` on ``queryset``: here when small, as a background job when
        larger than the threshold. Returns a redirect (job page, digest, proposals) or
        ``None`` (back to the list with a message)."""
        if not self.has_ai_permission(request, action):
            raise PermissionDenied
        try:
            get_endpoint(self.get_ai_endpoint(request) or DEFAULT_ENDPOINT)
            unavailable = self.get_ai_unavailable_reason(request)
        except ToolkitError as exc:
            self.message_user(
                request, _("%(reason)s Nothing was sent.") % {"reason": exc}, messages.ERROR
            )
            return None
        if unavailable:
            # Said before the selection is counted or a job queued: nothing would answer.
            if not unavailable.endswith((".", "!", "?")):
                unavailable += "."
            self.message_user(
                request,
                _("%(reason)s Nothing was sent.") % {"reason": unavailable},
                messages.WARNING,
            )
            return None
        threshold = self.get_ai_background_threshold(request)
        size = count_upto(queryset, max(threshold, conf.AI_MAX_RECORDS))
        if size > conf.AI_MAX_RECORDS:
            size = queryset.order_by().count()  # the limit's message says how many
        if size == 0:
            self.message_user(request, _("No records selected."), messages.WARNING)
            return None
        try:
            check_limits(request.user, size)
        except AILimitExceeded as exc:
            self.message_user(
                request, _("%(reason)s Nothing was sent.") % {"reason": exc}, messages.ERROR
            )
            return None
        if size > threshold:
            return self._start_ai_job(request, queryset, action, force, selection)
        try:
            return self._run_in_request(request, queryset, action, force)
        except AILimitExceeded as exc:
            self.message_user(
                request, _("%(reason)s Nothing was sent.") % {"reason": exc}, messages.ERROR
            )
        except (AIError, ToolkitError) as exc:
            self.message_user(request, _("The AI run failed: %s") % exc, messages.ERROR)
        return None

    def _start_ai_job(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        action: AIAction,
        force: bool,
        selection: Selection | None,
    ) -> HttpResponse | None:
        from toolkit.ai.handlers import start_ai_job

        try:
            selection = selection or Selection.from_action(self, request, queryset)
            job = start_ai_job(
                request,
                self,
                action,
                queryset,
                force=force,
                endpoint=self.get_ai_endpoint(request),
                selection=selection,
                scope=None if action.per_record else digest_scope(request, queryset),
            )
        except (SelectionError, AILimitExceeded) as exc:
            self.message_user(
                request, _("%(reason)s Nothing was sent.") % {"reason": exc}, messages.ERROR
            )
            return None
        self.message_user(
            request,
            _("“%(action)s” runs in the background; this page shows its progress.")
            % {"action": action.get_description()},
            messages.INFO,
        )
        return HttpResponseRedirect(job.get_absolute_url())

    def _request_endpoint(self, request: HttpRequest) -> Any:
        """The endpoint for a run inside the request: one short attempt per record."""
        endpoint = get_endpoint(self.get_ai_endpoint(request) or DEFAULT_ENDPOINT)
        return dataclasses.replace(
            endpoint, timeout=min(endpoint.timeout, REQUEST_TIMEOUT), max_retries=0
        )

    def _run_in_request(
        self, request: HttpRequest, queryset: QuerySet[Any], action: AIAction, force: bool
    ) -> HttpResponse | None:
        source = self.get_ai_source(request)
        endpoint = self._request_endpoint(request)
        if not action.per_record:
            scope = digest_scope(request, queryset)
            insight = run_digest(
                action, source, queryset, user=request.user, scope=scope, endpoint=endpoint
            )
            if not insight.is_ok:
                self.message_user(
                    request, _("The digest failed: %s") % insight.error, messages.ERROR
                )
            page = reverse_if_routed("admin:toolkit_insight_digest", [insight.pk])
            if page:
                return HttpResponseRedirect(page)
            if insight.is_ok:
                self.message_user(request, insight.text, messages.INFO)
            return None
        report = run_action(
            action, source, queryset, user=request.user, force=force, endpoint=endpoint
        )
        self.message_user(
            request,
            _(
                "%(action)s: %(sent)d %(items)s sent, %(cached)d unchanged since the last "
                "run, %(failed)d failed (tokens: %(tin)d in, %(tout)d out)."
            )
            % {
                "action": action.get_description(),
                "sent": report.sent,
                "items": ngettext("record", "records", report.sent),
                "cached": report.cached,
                "failed": report.failed,
                "tin": report.tokens_in,
                "tout": report.tokens_out,
            },
            messages.WARNING if report.failed else messages.SUCCESS,
        )
        for error in report.errors[:3]:
            self.message_user(request, error, messages.ERROR)
        proposals_url = self.get_ai_proposals_url()
        if action.result == "proposal" and (report.sent or report.cached) and proposals_url:
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("Proposed changes wait for a review."),
                    proposals_url,
                    _("Review them"),
                ),
                messages.INFO,
            )
        return None


#: Changelist parameters that choose a page or an order, not rows.
_NOT_FILTERS = {"o", "p", "cursor", "all", "_changelist_filters", "_to_field", "_popup", "e"}


def digest_scope(request: HttpRequest, queryset: QuerySet[Any]) -> dict[str, Any]:
    """What a digest covers, for its page: the search, the filters and the selection."""
    from toolkit.admin_ext.selection import changelist_params

    params = changelist_params(request)
    select_across = request.POST.get("select_across") in {"1", "True", "true", "on"}
    filters = {
        key: ", ".join(params.getlist(key))
        for key in sorted(params)
        if key not in _NOT_FILTERS and key != "q"
    }
    scope: dict[str, Any] = {
        "selection": "every record matching the list" if select_across else "ticked records",
    }
    if params.get("q"):
        scope["search"] = params["q"]
    if filters:
        scope["filters"] = filters
    return scope
