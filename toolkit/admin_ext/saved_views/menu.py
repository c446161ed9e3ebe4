"""The saved-views menu of a changelist, and the panel it opens.

A changelist page must not pay for a menu nobody opens (Django's own admin tests count
the queries of a changelist, and a list of a million rows has better uses for its
time). So the page shows a closed ``<details>`` built from two reversed URLs and no
query (:class:`SavedViewsLinks`). Opening it fetches the panel
(``saved_views.js``): the person's views of this list and the "Save current view" form
(:class:`SavedViewsPanel`), built with one query for the views and one for the groups
the person may share with. Without JavaScript the menu holds a link to a page that shows
the same panel.

A ModelAdmin whose URLs are not routed (one built in a test, or on a site whose URLs are
not included) gets no menu rather than a ``NoReverseMatch``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpRequest, QueryDict
from django.urls import NoReverseMatch, reverse

from .options import SavedViewsOptionsMixin

if TYPE_CHECKING:
    from django.contrib.auth.models import Group

    from toolkit.admin_ext.models import SavedView

    from .forms import SavedViewForm

__all__ = ["SavedViewEntry", "SavedViewsLinks", "SavedViewsPanel", "build_links", "build_panel"]


@dataclass(frozen=True)
class SavedViewsLinks:
    """Context of the closed menu on the changelist page
    (``toolkit/admin_ext/saved_views_menu.html``): where its panel comes from."""

    #: The panel alone, fetched when the menu is opened.
    panel_url: str
    #: The panel on a page of its own: the menu's content without JavaScript.
    page_url: str


@dataclass(frozen=True)
class SavedViewEntry:
    view: SavedView
    #: ``None`` only where this ModelAdmin's URLs are not routed, as for the next two.
    apply_url: str | None
    #: Only for the person's own views.
    delete_url: str | None
    is_own: bool
    is_current: bool

    @property
    def name(self) -> str:
        return self.view.name

    @property
    def owner_name(self) -> str:
        return str(self.view.owner.get_username())

    @property
    def group_name(self) -> str | None:
        group = self.view.shared_with_group
        return group.name if group is not None else None


@dataclass(frozen=True)
class SavedViewsPanel:
    """Context of the opened menu (``toolkit/admin_ext/saved_views_panel.html``)."""

    entries: list[SavedViewEntry]
    form: SavedViewForm
    groups: list[Group]
    save_url: str | None
    #: The list's search, filters and ordering the panel was opened for.
    query: str

    @property
    def current(self) -> SavedViewEntry | None:
        return next((entry for entry in self.entries if entry.is_current), None)


def saved_views_url(model_admin: SavedViewsOptionsMixin, name: str, *args: object) -> str | None:
    """The URL of one of ``model_admin``'s saved-views views, or ``None`` where its URLs
    are not routed."""
    site, opts = model_admin.admin_site.name, model_admin.opts
    try:
        return reverse(
            f"{site}:{opts.app_label}_{opts.model_name}_{name}", args=args, current_app=site
        )
    except NoReverseMatch:
        return None


def build_links(
    model_admin: SavedViewsOptionsMixin, request: HttpRequest
) -> SavedViewsLinks | None:
    """The closed menu of this changelist request (no query), or ``None`` when the
    saved-views URLs cannot be reversed."""
    panel_url = saved_views_url(model_admin, "saved_views_menu")
    page_url = saved_views_url(model_admin, "saved_views")
    if panel_url is None or page_url is None:
        return None
    query = model_admin._without_ignored(request, request.GET).urlencode()
    suffix = f"?{query}" if query else ""
    return SavedViewsLinks(panel_url=panel_url + suffix, page_url=page_url + suffix)


def build_panel(model_admin: SavedViewsOptionsMixin, request: HttpRequest) -> SavedViewsPanel:
    """The opened menu for the changelist query in ``request.GET``: two queries (the
    views, the person's groups), however many views there are."""
    from .forms import SavedViewForm

    current = model_admin._without_ignored(request, request.GET)
    query = current.urlencode()
    normalized_current = _normalized(current)
    user_pk = request.user.pk
    entries = []
    for view in model_admin.get_saved_views(request):
        is_own = view.owner_id == user_pk
        entries.append(
            SavedViewEntry(
                view=view,
                apply_url=saved_views_url(model_admin, "saved_view_apply", view.pk),
                delete_url=saved_views_url(model_admin, "saved_view_delete", view.pk)
                if is_own
                else None,
                is_own=is_own,
                is_current=bool(current)
                and _normalized(model_admin._without_ignored(request, view.params))
                == normalized_current,
            )
        )
    entries.sort(key=lambda entry: (not entry.is_own, entry.name.casefold(), entry.view.pk))
    form = SavedViewForm(user=request.user, initial={"query": query})
    groups_field = form.fields["shared_with_group"]
    groups = list(getattr(groups_field, "queryset", []))
    return SavedViewsPanel(
        entries=entries,
        form=form,
        groups=groups,
        save_url=saved_views_url(model_admin, "saved_view_save"),
        query=query,
    )


def _normalized(params: QueryDict) -> list[tuple[str, list[str]]]:
    return sorted(params.lists())
