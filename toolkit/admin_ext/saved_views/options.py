"""The options of ``SavedViewsMixin``: whether views are offered, to whom, which views
a person may apply and which parameters a view never keeps; each a class attribute or a
request-aware hook, checked by :class:`~.checks.SavedViewsChecks` (``toolkit.E030``).

The ``SavedView`` model lives in the ``toolkit.admin_ext`` app; it is imported inside
methods because this module is imported while apps load.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, ClassVar

from django.apps import apps
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.admin.views.main import ALL_VAR, ERROR_FLAG, PAGE_VAR
from django.db.models import Q
from django.http import HttpRequest, QueryDict

from ..base import ToolkitAdminMixin
from ..changelist import CURSOR_VAR
from ..parts import ChangeListPart, ChangeListParts
from .checks import SavedViewsChecks
from .probe import ProbeChangeListMixin, SavedViewParams, is_probe, try_params

if TYPE_CHECKING:
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import QuerySet

    from toolkit.admin_ext.models import SavedView

__all__ = ["DEFAULT_IGNORED_PARAMS", "SavedViewProbe", "SavedViewsOptionsMixin"]

#: Parameters a saved view never keeps: the page (a number, or PerformanceMixin's keyset
#: cursor), "show all", popup and error flags.
DEFAULT_IGNORED_PARAMS: frozenset[str] = frozenset(
    {
        PAGE_VAR,
        CURSOR_VAR,
        ALL_VAR,
        ERROR_FLAG,
        IS_POPUP_VAR,
        TO_FIELD_VAR,
        "_source_model",
        "_changelist_filters",
    }
)


class SavedViewProbe(ChangeListPart):
    """While a view's parameters are tried (:mod:`.probe`), a ChangeList that counts and
    fetches no row."""

    def get_changelist_mixin(self) -> type | None:
        return ProbeChangeListMixin if is_probe(self.request) else None


class SavedViewsOptionsMixin(ToolkitAdminMixin):
    """Who may use saved views on :class:`~.views.SavedViewsMixin` and which views and
    parameters they get: class attributes, each with a request-aware hook."""

    changelist_parts: ClassVar[ChangeListParts] = (SavedViewProbe,)
    mixin_checks_class: ClassVar[type | None] = SavedViewsChecks

    #: Offer saved views? ``None`` (the default): where ``toolkit.admin_ext`` (which
    #: stores them) is installed, so that the mixin added to an admin of a project without
    #: it changes nothing; ``True``: always (``toolkit.E030`` when the app is missing);
    #: ``False``: never.
    saved_views: bool | None = None

    #: Query-string parameters never saved nor applied: paging, "show all", popups.
    #: Add any parameter of your own that is not search, filter or ordering.
    saved_view_ignored_params: frozenset[str] = DEFAULT_IGNORED_PARAMS

    # --- hooks ------------------------------------------------------------------------

    def get_saved_view_ignored_params(self, request: HttpRequest) -> Collection[str]:
        """Parameters stripped from a query string before it is saved or applied."""
        return self.saved_view_ignored_params

    def saved_views_enabled(self, request: HttpRequest | None = None) -> bool:
        """Does this admin offer saved views (``saved_views``)?"""
        if self.saved_views is None:
            return apps.is_installed("toolkit.admin_ext")
        return bool(self.saved_views)

    def has_saved_views_permission(self, request: HttpRequest) -> bool:
        """May this person see the menu and save, apply and delete their own views?

        By default: whoever may view the changelist, where saved views are on.
        """
        return self.saved_views_enabled(request) and self.has_view_or_change_permission(request)

    def get_saved_views(self, request: HttpRequest) -> QuerySet[SavedView]:
        """The views this person may apply here: their own, and those shared with one
        of their groups."""
        from toolkit.admin_ext.models import SavedView

        user = request.user
        visible = Q(owner=user.pk)
        groups = getattr(user, "groups", None)
        if groups is not None:
            visible |= Q(shared_with_group__in=groups.values("pk"))
        # The content type by its natural key, joined in the same query: looking it up
        # first would cost a query of its own wherever ContentType's cache is cold.
        opts = self.opts
        return (
            SavedView.objects.filter(
                content_type__app_label=opts.app_label, content_type__model=opts.model_name
            )
            .filter(visible)
            .select_related("owner", "shared_with_group")
        )

    def check_saved_view_params(self, request: HttpRequest, params: QueryDict) -> SavedViewParams:
        """Try ``params`` on this changelist and say which it no longer accepts.

        One try when all is well. Otherwise each parameter is tried alone, and the ones
        that fail are left out; if the rest still fail together, nothing is kept.
        """
        return try_params(self, request, self._without_ignored(request, params))

    # --- internals --------------------------------------------------------------------

    def _without_ignored(self, request: HttpRequest, params: QueryDict) -> QueryDict:
        ignored = set(self.get_saved_view_ignored_params(request))
        kept = QueryDict(mutable=True)
        for key, values in params.lists():
            if key not in ignored:
                kept.setlist(key, values)
        return kept

    def _saved_views_content_type(self) -> ContentType:
        from django.contrib.contenttypes.models import ContentType

        return ContentType.objects.get_for_model(self.model, for_concrete_model=False)
