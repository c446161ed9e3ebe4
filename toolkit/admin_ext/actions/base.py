""":class:`BulkActionsMixin`: the bulk actions' parts, composed and wired into Django's
actions.

Each part is a mixin of its own module (mass update, toggles, duplicate, delete, the
action log, row and change-form actions); this one adds what concerns them all: which
actions the changelist offers (``get_actions``), a refused POST answered with a
sentence (:class:`RefusedAction`), no page of results fetched for an action's POST
(:class:`ActionPostWithoutResults`), the per-row permission switch, and the system
checks (:class:`~toolkit.admin_ext.actions.checks.BulkActionsChecks`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.admin import helpers
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from toolkit.admin_ext.actions.checks import BulkActionsChecks
from toolkit.admin_ext.actions.delete import DeleteMixin
from toolkit.admin_ext.actions.duplicate import DuplicateMixin
from toolkit.admin_ext.actions.log import ActionLogMixin
from toolkit.admin_ext.actions.mass_update import MassUpdateMixin
from toolkit.admin_ext.actions.offered import ROW, ActionLocation, posted_action
from toolkit.admin_ext.actions.row_actions import RowActionsMixin
from toolkit.admin_ext.actions.toggles import TogglesMixin
from toolkit.admin_ext.parts import ChangeListPart, ChangeListParts, DropUnusableParameters
from toolkit.admin_ext.selection import ResultlessChangeListMixin

__all__ = ["ActionPostWithoutResults", "BulkActionsMixin", "RefusedAction"]


class RefusedAction(ChangeListPart):
    """A POST of an action the person may not run is answered with a sentence and a
    redirect to the list (:meth:`BulkActionsMixin.refused_action`)."""

    def answer(self) -> HttpResponse | None:
        refused = self.model_admin.refused_action(self.request)
        if not refused:
            return None
        # Offered no action, Django ignores such a POST and shows the list; a forged or
        # outdated form deserves a sentence that nothing happened.
        self.model_admin.message_user(
            self.request,
            _("You may not run “%(action)s” on these rows; nothing was changed.")
            % {"action": refused},
            messages.ERROR,
        )
        return HttpResponseRedirect(self.request.get_full_path())


class ActionPostWithoutResults(ChangeListPart):
    """An action's POST ends in the action's own page or a redirect: the page of results
    and its counts (a COUNT of a million rows, twice) are never shown, so they are not
    fetched. The queryset, search and filters are built as ever."""

    def get_changelist_mixin(self) -> type | None:
        if self.model_admin.is_action_post(self.request):
            return ResultlessChangeListMixin
        return None


class BulkActionsMixin(
    ActionLogMixin,
    TogglesMixin,
    MassUpdateMixin,
    DuplicateMixin,
    DeleteMixin,
    RowActionsMixin,
):
    """ModelAdmin mixin: mass update, toggles, duplicate, and a delete that scales.

    Put it before ``admin.ModelAdmin``; list ``"mass_update"`` and
    ``"duplicate_selected"`` in ``actions`` to offer them. Django's ``delete_selected``
    is replaced by the mixin's own wherever the site offers it: Django's flow and page
    for what a page can list, a summary above (:mod:`toolkit.admin_ext.actions.delete`).
    ``row_actions`` puts actions on every row
    (:class:`~toolkit.admin_ext.actions.RowActionsMixin`):
    ``row_actions = ["duplicate_selected", "toggle_is_active"]``.
    """

    changelist_parts: ClassVar[ChangeListParts] = (
        DropUnusableParameters,
        RefusedAction,
        ActionPostWithoutResults,
    )
    mixin_checks_class: ClassVar[type | None] = BulkActionsChecks

    #: Check ``has_change/delete_permission(request, obj)`` for every row; ``None``:
    #: when the ModelAdmin overrides the method (so the answer may depend on the row).
    bulk_object_permissions: bool | None = None

    def get_bulk_object_permissions(self, request: HttpRequest) -> bool | None:
        """Whether to ask the permission methods about every row (``None``: where the
        ModelAdmin overrides them). See ``bulk_object_permissions``."""
        return self.bulk_object_permissions

    # -- wiring into Django's actions ------------------------------------------------

    def get_actions(  # type: ignore[override,unused-ignore]
        self, request: HttpRequest, action_location: Any = None
    ) -> dict[str, Any]:
        if ActionLocation is not None:
            location = action_location or ActionLocation.CHANGE_LIST
            actions = super().get_actions(request, action_location=location)  # type: ignore[call-arg,unused-ignore]
        else:
            location = None
            actions = super().get_actions(request)
        if self.actions is None or "_popup" in request.GET:
            return actions
        self._own_delete_action(actions, location)
        actions.update(self._toggle_actions(request, location))
        return actions

    def is_action_post(self, request: HttpRequest) -> bool:
        """Whether the changelist request runs an action (and so renders no list)."""
        post = request.POST if request.method == "POST" else None
        return (
            post is not None
            and "_save" not in post
            and ("index" in post or helpers.ACTION_CHECKBOX_NAME in post)
            and bool(self._actions_at(request, ROW))
        )

    def refused_action(self, request: HttpRequest) -> str:
        """The name of the action a POST asks for, when the person may run no action
        at all. Where the person is offered some, Django answers an action outside them
        itself ("No action selected."); with none offered it would ignore the POST and
        show the list as if it had run."""
        name = posted_action(request)
        if not name:
            return ""
        return "" if self._actions_at(request, ROW) else name
