"""Saved changelist views: a person's named search, filters and ordering.

``SavedViewsMixin`` adds a menu above the changelist listing the person's own views and
those shared with their groups, with a small "Save current view" form, and five URLs
under the ModelAdmin's own: ``saved-views/menu/`` (the menu's panel, fetched when it is
opened, so that the changelist page itself costs no query for it: see
``toolkit.admin_ext.saved_views_menu``), ``saved-views/`` (the same panel as a page, for
browsers without JavaScript), ``saved-views/save/``, ``saved-views/<id>/`` and
``saved-views/<id>/delete/``.

A view stores a query string, never paging or popup parameters. Before a view is saved
and again before it is applied, its parameters are tried on the changelist (filters and
queryset built, nothing counted or fetched): a parameter the changelist no longer
accepts (a removed filter, a renamed field, a stale ordering) becomes a message and is
left out, never a server error.

The ``SavedView`` model lives in the ``toolkit.admin_ext`` app (system check
``toolkit.E030``); it is imported inside methods because this module is imported while
apps load.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib import messages
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR, IncorrectLookupParameters
from django.contrib.admin.views.main import ALL_VAR, ERROR_FLAG, ORDER_VAR, PAGE_VAR
from django.contrib.messages.storage.base import BaseStorage, Message
from django.core import checks
from django.core.exceptions import (
    FieldError,
    PermissionDenied,
    SuspiciousOperation,
    ValidationError,
)
from django.db.models import Q
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    QueryDict,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.text import get_text_list
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from toolkit.admin_ext.changelist import CURSOR_VAR, use_toolkit_change_list
from toolkit.admin_ext.saved_views_menu import build_links, build_panel

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.contrib.admin.views.main import ChangeList
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import QuerySet

    from toolkit.admin_ext.models import SavedView

    _ModelAdminBase = ModelAdmin[Any]
else:
    _ModelAdminBase = object

__all__ = ["DEFAULT_IGNORED_PARAMS", "SavedViewParams", "SavedViewsMixin"]

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

#: A stale view with more parameters than this is not taken apart parameter by
#: parameter (each try builds the changelist's filters once).
MAX_PARAMS_TRIED_ALONE = 30

_PROBE_ATTR = "_toolkit_saved_view_probe"


@dataclass
class SavedViewParams:
    """The outcome of trying a query string on a changelist."""

    #: The parameters the changelist accepts (all of them when ``rejected`` is empty).
    params: QueryDict
    #: Names of the parameters left out.
    rejected: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


class _CollectedMessages(BaseStorage):
    """Message storage of a probe request: messages stay in memory, so a filter that
    reports a bad value while a view is being checked tells the check, not the person
    (who sees the message once, from the changelist itself)."""

    def _get(self, *args: Any, **kwargs: Any) -> tuple[list[Message], bool]:
        return [], True

    def _store(
        self, messages: list[Message], response: Any, *args: Any, **kwargs: Any
    ) -> list[Message]:
        return []


_PROBE_CLASSES: dict[type[ChangeList], type[ChangeList]] = {}


def _probe_changelist_class(base: type[ChangeList]) -> type[ChangeList]:
    """``base`` without its results: checking a view builds the filters and the
    queryset, and must not count or fetch a million rows to do so."""
    if base in _PROBE_CLASSES:
        return _PROBE_CLASSES[base]

    def get_results(self: Any, request: HttpRequest) -> None:
        self.result_count = 0
        self.full_result_count = None
        self.show_full_result_count = False
        self.show_admin_actions = False
        self.result_list = self.queryset.none()
        self.can_show_all = False
        self.multi_page = False
        self.paginator = None

    probe = type(f"SavedViewProbe{base.__name__}", (base,), {"get_results": get_results})
    _PROBE_CLASSES[base] = probe
    return probe


class SavedViewsMixin(_ModelAdminBase):
    """Let staff save a changelist's search, filters and ordering under a name.

    Anyone who may view the changelist may save views for themselves and share them
    with a group they belong to; only a view's owner deletes or overwrites it (saving
    under an existing name of one's own updates that view). Nobody sees another
    person's unshared views.

    ::

        class ProductAdmin(SavedViewsMixin, admin.ModelAdmin):
            # "tab" only switches a panel of a custom template: not part of a view.
            saved_view_ignored_params = SavedViewsMixin.saved_view_ignored_params | {"tab"}
    """

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
        params = self._without_ignored(request, params)
        if not self._probe(request, params):
            return SavedViewParams(params=params)
        keys = list(params.keys())
        if len(keys) > MAX_PARAMS_TRIED_ALONE:
            return SavedViewParams(params=QueryDict(), rejected=keys)
        kept = QueryDict(mutable=True)
        rejected = []
        for key in keys:
            alone = QueryDict(mutable=True)
            alone.setlist(key, params.getlist(key))
            if self._probe(request, alone):
                rejected.append(key)
            else:
                kept.setlist(key, params.getlist(key))
        if not rejected or (kept and self._probe(request, kept)):
            return SavedViewParams(params=QueryDict(), rejected=keys)
        return SavedViewParams(params=kept, rejected=rejected)

    # --- ModelAdmin -------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path(
                "saved-views/",
                wrap(self.saved_views_view),
                name=f"{prefix}_saved_views",
            ),
            path(
                "saved-views/menu/",
                wrap(self.saved_views_menu_view),
                name=f"{prefix}_saved_views_menu",
            ),
            path(
                "saved-views/save/",
                wrap(self.saved_view_save_view),
                name=f"{prefix}_saved_view_save",
            ),
            path(
                "saved-views/<int:pk>/",
                wrap(self.saved_view_apply_view),
                name=f"{prefix}_saved_view_apply",
            ),
            path(
                "saved-views/<int:pk>/delete/",
                wrap(self.saved_view_delete_view),
                name=f"{prefix}_saved_view_delete",
            ),
            *super().get_urls(),
        ]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        changelist_class = super().get_changelist(request, **kwargs)
        if getattr(request, _PROBE_ATTR, False):
            return _probe_changelist_class(changelist_class)
        return changelist_class

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        cl = context.get("cl") if context else None
        if (
            context is not None
            and cl is not None
            and not cl.is_popup
            and self.has_saved_views_permission(request)
        ):
            links = build_links(self, request)
            if links is not None:
                context["toolkit_saved_views"] = links
                use_toolkit_change_list(response)
        return response

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if self.saved_views and not apps.is_installed("toolkit.admin_ext"):
            errors.append(
                checks.Error(
                    f"{type(self).__name__} sets saved_views = True, but saved views are "
                    "stored by the 'toolkit.admin_ext' app, which is not installed.",
                    hint="Add 'toolkit.admin_ext' to INSTALLED_APPS and run manage.py migrate "
                    "(or leave saved_views unset to offer them only where it is installed).",
                    obj=type(self),
                    id="toolkit.E030",
                )
            )
        return errors

    # --- views ------------------------------------------------------------------------

    def saved_views_menu_view(self, request: HttpRequest) -> HttpResponse:
        """The menu's panel alone (GET, with the changelist's query string): what
        ``saved_views.js`` puts in the menu when it is opened."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if not self.has_saved_views_permission(request):
            raise PermissionDenied
        return TemplateResponse(
            request,
            "toolkit/admin_ext/saved_views_panel.html",
            {"panel": build_panel(self, request)},
        )

    def saved_views_view(self, request: HttpRequest) -> HttpResponse:
        """The menu's panel as an admin page (GET, with the changelist's query string):
        the menu's content where JavaScript does not run."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if not self.has_saved_views_permission(request):
            raise PermissionDenied
        request.current_app = self.admin_site.name
        panel = build_panel(self, request)
        opts = self.opts
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "app_label": opts.app_label,
            "has_view_permission": self.has_view_permission(request),
            "title": gettext("Saved views of %(name)s") % {"name": opts.verbose_name_plural},
            "subtitle": None,
            "panel": panel,
            "changelist_url": self._changelist_url(),
            "changelist_query": panel.query,
        }
        return TemplateResponse(request, "toolkit/admin_ext/saved_views.html", context)

    def saved_view_save_view(self, request: HttpRequest) -> HttpResponse:
        """Save the posted query string under a name (POST; updates a view of the same
        name owned by the person)."""
        from toolkit.admin_ext.forms import SavedViewForm
        from toolkit.admin_ext.models import SavedView

        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_saved_views_permission(request):
            raise PermissionDenied
        form = SavedViewForm(request.POST, user=request.user)
        posted_query = request.POST.get(form.add_prefix("query"), "")
        if not form.is_valid():
            for name, errors in form.errors.items():
                label = form.fields[name].label if name in form.fields else None
                for error in errors:
                    messages.error(
                        request,
                        gettext("The view was not saved: %(field)s: %(error)s")
                        % {"field": label or name, "error": error},
                    )
            return self._redirect_to_changelist(request, QueryDict(posted_query[:4000]))
        outcome = self.check_saved_view_params(request, QueryDict(form.cleaned_data["query"]))
        if not outcome.ok:
            messages.error(
                request,
                gettext("The view was not saved: this list does not accept %(params)s.")
                % {"params": _quoted_list(outcome.rejected)},
            )
            return self._redirect_to_changelist(request, QueryDict(posted_query))
        name = form.cleaned_data["name"]
        view, created = SavedView.objects.update_or_create(
            owner_id=request.user.pk,
            content_type=self._saved_views_content_type(),
            name=name,
            defaults={
                "query_string": outcome.params.urlencode(),
                "shared_with_group": form.cleaned_data["shared_with_group"],
            },
        )
        message = (
            gettext("The view “%(name)s” was saved.")
            if created
            else gettext("The view “%(name)s” was updated.")
        )
        messages.success(request, message % {"name": view.name})
        return self._redirect_to_changelist(request, outcome.params)

    def saved_view_apply_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Send the person to the changelist with the view's query string, minus any
        parameter the changelist no longer accepts (with a message saying so)."""
        if not self.has_saved_views_permission(request):
            raise PermissionDenied
        view = self.get_saved_views(request).filter(pk=pk).first()
        if view is None:
            messages.warning(request, self._not_found_message(pk))
            return self._redirect_to_changelist(request, QueryDict())
        outcome = self.check_saved_view_params(request, view.params)
        if not outcome.ok:
            values = {"name": view.name, "params": _quoted_list(outcome.rejected)}
            if outcome.params:
                text = gettext(
                    "The view “%(name)s” was applied without %(params)s, which this list no "
                    "longer accepts. Save it again to keep it that way."
                )
            else:
                text = gettext(
                    "The view “%(name)s” could not be applied: this list no longer accepts "
                    "%(params)s. Showing the whole list instead."
                )
            messages.warning(request, text % values)
        else:
            # The page the person lands on names the view without a query of its own.
            messages.info(
                request, gettext("Showing the saved view “%(name)s”.") % {"name": view.name}
            )
        return self._redirect_to_changelist(request, outcome.params)

    def saved_view_delete_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Delete one of the person's own views (POST)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_saved_views_permission(request):
            raise PermissionDenied
        back = QueryDict(request.POST.get("query", "")[:4000])
        view = self.get_saved_views(request).filter(pk=pk).first()
        if view is None:
            messages.error(request, self._not_found_message(pk))
        elif view.owner_id != request.user.pk:
            messages.error(
                request,
                gettext("Only its owner can delete the view “%(name)s”.") % {"name": view.name},
            )
        else:
            view.delete()
            messages.success(
                request, gettext("The view “%(name)s” was deleted.") % {"name": view.name}
            )
        return self._redirect_to_changelist(request, back)

    # --- internals --------------------------------------------------------------------

    def _saved_views_content_type(self) -> ContentType:
        from django.contrib.contenttypes.models import ContentType

        return ContentType.objects.get_for_model(self.model, for_concrete_model=False)

    def _without_ignored(self, request: HttpRequest, params: QueryDict) -> QueryDict:
        ignored = set(self.get_saved_view_ignored_params(request))
        kept = QueryDict(mutable=True)
        for key, values in params.lists():
            if key not in ignored:
                kept.setlist(key, values)
        return kept

    def _probe(self, request: HttpRequest, params: QueryDict) -> bool:
        """True when the changelist rejects ``params``: an exception while building its
        filters and queryset, a warning or error message from a filter or the search,
        or an ordering that no longer points at a sortable column."""
        probe = copy.copy(request)
        probe.GET = params  # type: ignore[assignment]
        probe.POST = QueryDict()
        probe.method = "GET"
        storage = _CollectedMessages(probe)
        probe._messages = storage  # type: ignore[attr-defined]
        setattr(probe, _PROBE_ATTR, True)
        try:
            cl = self.get_changelist_instance(probe)
        except (
            IncorrectLookupParameters,
            SuspiciousOperation,
            FieldError,
            ValidationError,
            ValueError,
            TypeError,
            LookupError,
        ):
            return True
        if any(message.level >= messages.WARNING for message in storage):
            return True
        return self._ordering_is_stale(cl, params.get(ORDER_VAR) or "")

    def _ordering_is_stale(self, cl: ChangeList, ordering: str) -> bool:
        # Django skips an ordering index it cannot use without a word; a saved view
        # that silently lost its sort would mislead, so it counts as rejected here.
        for part in filter(None, ordering.split(".")):
            index = part.rpartition("-")[2]
            try:
                column = cl.list_display[int(index)]
                if not cl.get_ordering_field(column):
                    return True
            except (ValueError, IndexError, AttributeError):
                return True
        return False

    def _changelist_url(self) -> str:
        site, opts = self.admin_site.name, self.opts
        return reverse(f"{site}:{opts.app_label}_{opts.model_name}_changelist", current_app=site)

    def _redirect_to_changelist(self, request: HttpRequest, params: QueryDict) -> HttpResponse:
        params = self._without_ignored(request, params)
        url = self._changelist_url()
        if params:
            url = f"{url}?{params.urlencode()}"
        return HttpResponseRedirect(url)

    def _not_found_message(self, pk: int) -> str:
        return gettext(
            "No saved view with ID “%(pk)s” exists for this list, or it is not shared with "
            "you. Perhaps it was deleted."
        ) % {"pk": pk}


def _quoted_list(names: list[str]) -> str:
    return str(get_text_list([f"“{name}”" for name in names], _("and")))
