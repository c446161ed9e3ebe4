""":class:`SavedViewsMixin`: the saved-views menu on the changelist (its changelist part,
:class:`SavedViewsMenu`), and the five views behind it, under the ModelAdmin's own URLs:

=============================  =====================================================
``saved-views/menu/``          the menu's panel, fetched when the menu is opened (GET)
``saved-views/``               the same panel as a page, without JavaScript (GET)
``saved-views/save/``          save the current view under a name (POST)
``saved-views/<id>/``          apply a view: a redirect to the changelist (GET)
``saved-views/<id>/delete/``   delete one of the person's own views (POST)
=============================  =====================================================

Each answers a bad request (another person's view, a view that no longer exists, a
form that does not validate) with a message on the changelist, never an error page.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
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

from ..changelist import use_toolkit_change_list
from ..parts import ChangeListPart, ChangeListParts
from .menu import build_links, build_panel
from .options import SavedViewsOptionsMixin

__all__ = ["SavedViewsMenu", "SavedViewsMixin"]


class SavedViewsMenu(ChangeListPart):
    """The saved-views menu above the list, for a person who may use saved views (not in
    a popup)."""

    def update_page(self, response: TemplateResponse, context: dict[str, Any]) -> None:
        model_admin, request = self.model_admin, self.request
        if context["cl"].is_popup or not model_admin.has_saved_views_permission(request):
            return
        links = build_links(model_admin, request)
        if links is not None:
            context["toolkit_saved_views"] = links
            use_toolkit_change_list(response)


class SavedViewsMixin(SavedViewsOptionsMixin):
    """Let staff save a changelist's search, filters and ordering under a name.

    Anyone who may view the changelist may save views for themselves and share them
    with a group they belong to; only a view's owner deletes or overwrites it (saving
    under an existing name of one's own updates that view). Nobody sees another
    person's unshared views. The options and hooks are those of
    :class:`~.options.SavedViewsOptionsMixin`.

    ::

        class ProductAdmin(SavedViewsMixin, admin.ModelAdmin):
            # "tab" only switches a panel of a custom template: not part of a view.
            saved_view_ignored_params = SavedViewsMixin.saved_view_ignored_params | {"tab"}
    """

    changelist_parts: ClassVar[ChangeListParts] = (SavedViewsMenu,)

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
        from toolkit.admin_ext.models import SavedView

        from .forms import SavedViewForm

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
