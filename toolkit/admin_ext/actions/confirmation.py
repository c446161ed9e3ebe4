"""What every bulk action's confirmation page and background job share.

A confirmation page carries the selection as one signed field (``_selection``), bound to
the person and the action, so "Select all 1,000,000" posts no primary keys at any step;
its POST comes back to the action with the same six fields whatever the number of rows.
Selections above ``bulk_background_threshold`` rows run as background jobs
(:mod:`toolkit.jobs`) and the action redirects to the job's progress page; without
``toolkit.jobs`` installed (and no threshold set) every selection runs in the request,
as Django's own actions do.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.admin import helpers
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from toolkit.admin_ext.base import ToolkitAdminMixin
from toolkit.admin_ext.selection import (
    SELECTION_FIELD,
    Selection,
    SelectionError,
    changelist_params,
    start_changelist_job,
)

__all__ = ["DEFAULT_BACKGROUND_THRESHOLD", "SELECTION_MAX_AGE", "ConfirmationMixin"]

# The salt predates the package (it was the module's name): changing it would refuse
# every confirmation page open at the time of an upgrade.
_SIGNING_SALT = "toolkit.admin_ext.actions.selection"
#: A confirmation page older than this is refused (the person starts again).
SELECTION_MAX_AGE = 60 * 60 * 12

#: ``bulk_background_threshold`` where the ModelAdmin sets none and ``toolkit.jobs`` is
#: installed.
DEFAULT_BACKGROUND_THRESHOLD = 1000


class ConfirmationMixin(ToolkitAdminMixin):
    """The signed selection of a confirmation page, the page's context, and the switch
    to a background job. Part of :class:`~toolkit.admin_ext.actions.BulkActionsMixin`."""

    #: Above this many selected rows an action runs as a background job and redirects
    #: to its progress page; at or below it, in the request. ``None``: 1,000 where
    #: ``toolkit.jobs`` is installed; without it, every selection runs in the request,
    #: as Django's own actions do. A number needs ``toolkit.jobs`` (``toolkit.E063``).
    bulk_background_threshold: int | None = None

    def get_bulk_background_threshold(self, request: HttpRequest) -> int | None:
        """Rows above which an action becomes a background job; ``None``: never (every
        selection runs in the request). See ``bulk_background_threshold``."""
        if self.bulk_background_threshold is not None:
            return self.bulk_background_threshold
        return DEFAULT_BACKGROUND_THRESHOLD if apps.is_installed("toolkit.jobs") else None

    def base_context(self, request: HttpRequest, title: str) -> dict[str, Any]:
        """The context every confirmation page of the bulk actions starts from."""
        opts = self.model._meta
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            # The breadcrumbs' last crumb is the title (the include asks for this first).
            "current": None,
            "opts": opts,
            "app_label": opts.app_label,
            "media": self.media + forms.Media(css={"all": ["toolkit/admin_ext/actions.css"]}),
            "changelist_query": changelist_params(request).urlencode(),
        }

    def start_job_response(
        self,
        request: HttpRequest,
        handler: Any,
        queryset: QuerySet[Any],
        selection: Selection,
        params: dict[str, Any],
        description: str,
    ) -> HttpResponse:
        """Start ``handler`` on ``selection`` and send the person to its progress page."""
        job = start_changelist_job(
            handler, self, request, queryset, params, selection=selection, description=description
        )
        self.message_user(
            request,
            _("The work runs in the background; this page shows its progress."),
            messages.INFO,
        )
        return HttpResponseRedirect(job.get_absolute_url())

    def sign_selection(self, request: HttpRequest, action: str, selection: Selection) -> str:
        """The selection as one signed field, bound to the person and the action."""
        return signing.dumps(
            {"s": selection.to_dict(), "u": str(request.user.pk), "a": action},
            salt=_SIGNING_SALT,
            compress=True,
        )

    def unsign_selection(self, request: HttpRequest, action: str) -> Selection | None:
        """The selection of a confirmation page, or ``None`` if it is missing, forged,
        expired, another person's, or another action's (the caller says so)."""
        token = request.POST.get(SELECTION_FIELD, "")
        try:
            data = signing.loads(token, salt=_SIGNING_SALT, max_age=SELECTION_MAX_AGE)
            selection = Selection.from_dict(data["s"])
        except (signing.BadSignature, SelectionError, KeyError, TypeError):
            return None
        if data.get("u") != str(request.user.pk) or data.get("a") != action:
            return None
        if (
            selection.site != self.admin_site.name
            or selection.model != self.model._meta.label_lower
        ):
            return None
        return selection

    def get_action_selection(
        self, request: HttpRequest, action: str, queryset: QuerySet[Any]
    ) -> tuple[Selection, QuerySet[Any]] | None:
        """The selection an action works on, and its rows now.

        On a confirmation page's POST it is the signed selection (re-evaluated for the
        person: rows deleted meanwhile drop out); on the first POST, what Django passed.
        Returns ``None`` after telling the person when the signed one is unusable.
        """
        if SELECTION_FIELD not in request.POST:
            try:
                return Selection.from_action(self, request, queryset), queryset
            except SelectionError as exc:
                self.message_user(
                    request, _("%(reason)s Nothing was changed.") % {"reason": exc}, messages.ERROR
                )
                return None
        selection = self.unsign_selection(request, action)
        if selection is None:
            self.message_user(
                request,
                _(
                    "This confirmation page is no longer valid; nothing was changed. "
                    "Select the rows again."
                ),
                messages.ERROR,
            )
            return None
        try:
            return selection, selection.get_queryset(request.user)
        except (SelectionError, PermissionDenied) as exc:
            self.message_user(
                request, _("%(reason)s Nothing was changed.") % {"reason": exc}, messages.ERROR
            )
            return None

    def selection_context(
        self, request: HttpRequest, action: str, selection: Selection
    ) -> dict[str, Any]:
        """Hidden fields of a confirmation page: always the same six, whatever N is.

        Django routes the POST to the action when it carries ``_selected_action`` and
        no ``index``; ``select_across=1`` makes it pass the changelist's queryset, which
        the signed selection then narrows.
        """
        return {
            "action_name": action,
            "selection_token": self.sign_selection(request, action, selection),
            "selection_field": SELECTION_FIELD,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "placeholder_pk": selection.pks[0] if selection.pks else "all",
        }
