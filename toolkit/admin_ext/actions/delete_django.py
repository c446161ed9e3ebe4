"""Django's own "Delete selected" flow and pages, as the toolkit's delete uses them.

A selection Django's own page can list is deleted exactly as Django deletes it: the
ModelAdmin's ``get_deleted_objects()`` finds what goes (and what the person may not
delete, and what protects), its page is ``admin/delete_selected_confirmation.html``
(per-app and per-model overrides, ``delete_selected_confirmation_template`` and
``delete_confirmation_max_display`` honoured), it confirms with Django's POST
(``post=yes`` and the primary keys), and ``log_deletions()`` and ``delete_queryset()``
do the work. The toolkit adds one transaction around them, so a row that became
protected meanwhile leaves nothing half done and shows Django's "cannot delete" page
instead of an error. That page serves the summary of a large selection too
(:func:`cannot_delete_response`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import model_ngettext, quote
from django.core.exceptions import PermissionDenied
from django.db import models, router, transaction
from django.db.models import ProtectedError, QuerySet, RestrictedError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from toolkit.admin_ext.selection import count_upto

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite, ModelAdmin

__all__ = [
    "cannot_delete_response",
    "describe_object",
    "djangos_delete_selected",
    "protecting",
]


def djangos_delete_selected(
    modeladmin: ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
) -> HttpResponse | None:
    """``django.contrib.admin.actions.delete_selected``, hook for hook, with the log
    and the deletion in one transaction: a ``ProtectedError`` or ``RestrictedError``
    (a row protected since the page was shown, or one ``get_deleted_objects()`` did not
    report) rolls both back and shows the "cannot delete" page."""
    deletable_objects, model_count, perms_needed, protected = modeladmin.get_deleted_objects(
        queryset, request
    )
    if request.POST.get("post") and not protected:
        if perms_needed:
            raise PermissionDenied
        count = len(queryset)
        if not count:
            return None
        try:
            with transaction.atomic(using=router.db_for_write(modeladmin.model)):
                modeladmin.log_deletions(request, queryset)
                modeladmin.delete_queryset(request, queryset)
        except (ProtectedError, RestrictedError) as exc:
            protected = [describe_object(modeladmin.admin_site, obj) for obj in protecting(exc)]
        else:
            modeladmin.message_user(
                request,
                _("Successfully deleted %(count)d %(items)s.")
                % {"count": count, "items": model_ngettext(modeladmin.opts, count)},
                messages.SUCCESS,
            )
            return None
    objects_name = model_ngettext(queryset)
    title: Any
    if perms_needed or protected:
        title = _("Cannot delete %(name)s") % {"name": objects_name}
    else:
        title = _("Delete multiple objects")
    return _confirmation_page(
        modeladmin,
        request,
        {
            "title": title,
            "objects_name": str(objects_name),
            "deletable_objects": [deletable_objects],
            "model_count": dict(model_count).items(),
            "queryset": queryset,
            "perms_lacking": perms_needed,
            "protected": protected,
        },
    )


def cannot_delete_response(
    modeladmin: ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    perms_needed: Iterable[str],
    protected: list[Any],
) -> HttpResponse:
    """Django's "cannot delete" page (its delete-selected template) for a selection
    of any size: what the person may not delete, or what protects."""
    # Singular or plural is all the name needs: never count a million rows for it.
    objects_name = model_ngettext(modeladmin.opts, count_upto(queryset, 1))
    return _confirmation_page(
        modeladmin,
        request,
        {
            "title": _("Cannot delete %(name)s") % {"name": objects_name},
            "objects_name": str(objects_name),
            "deletable_objects": [[]],
            "model_count": {}.items(),
            "queryset": queryset.none(),
            "perms_lacking": set(perms_needed),
            "protected": protected,
        },
    )


def _confirmation_page(
    modeladmin: ModelAdmin[Any], request: HttpRequest, context: dict[str, Any]
) -> TemplateResponse:
    """Django's delete-selected page with ``context`` added to what every one has."""
    opts = modeladmin.model._meta
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(
        request,
        modeladmin.delete_selected_confirmation_template
        or [
            f"admin/{opts.app_label}/{opts.model_name}/delete_selected_confirmation.html",
            f"admin/{opts.app_label}/delete_selected_confirmation.html",
            "admin/delete_selected_confirmation.html",
        ],
        {
            **modeladmin.admin_site.each_context(request),
            "subtitle": None,
            # Django 6.1's option (absent before, where the template does not ask).
            "delete_confirmation_max_display": getattr(
                modeladmin, "delete_confirmation_max_display", None
            ),
            "opts": opts,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": modeladmin.media,
            **context,
        },
    )


def describe_object(admin_site: AdminSite, obj: models.Model) -> str:
    """``"Answer: <a href=...>Because.</a>"``, as Django's confirmation pages name an
    object: a link to its change page where the site has one."""
    opts = obj._meta
    no_link = f"{capfirst(opts.verbose_name)}: {obj}"
    if not admin_site.is_registered(type(obj)):
        return no_link
    try:
        url = reverse(
            f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            args=(quote(obj.pk),),
        )
    except NoReverseMatch:
        return no_link
    return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, str(obj) or "-")


def protecting(exc: ProtectedError | RestrictedError) -> Iterable[models.Model]:
    """The rows a ``ProtectedError`` or ``RestrictedError`` names."""
    if isinstance(exc, ProtectedError):
        return exc.protected_objects
    return exc.restricted_objects
