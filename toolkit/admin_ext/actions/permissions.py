"""The admin's permission rules as the bulk actions apply them to many rows.

Django asks ``has_<x>_permission(request, obj)`` object by object, and
``get_deleted_objects()`` for everything a deletion reaches; on a million rows neither
can be asked row by row unless the answer may really differ from row to row. These
functions decide when it may (:func:`object_permissions_matter`,
:func:`cascade_rules_per_object`) and apply the rules then (:func:`deletable_rows`), or
once per model otherwise (:func:`cascade_perms_needed`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from toolkit.admin_ext.actions.cascade import DeletionSummary, cascade_models

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.http import HttpRequest

__all__ = [
    "cascade_perms_needed",
    "cascade_rules_per_object",
    "deletable_rows",
    "object_permissions_matter",
]


def object_permissions_matter(
    modeladmin: ModelAdmin[Any], permission: str, request: HttpRequest | None = None
) -> bool:
    """Whether ``has_<permission>_permission(request, obj)`` may depend on ``obj``.

    Django's own methods ignore ``obj``; checking them per row would load every row of a
    million-row selection for nothing. A ModelAdmin that overrides the method (or sets
    ``bulk_object_permissions = True``, or answers ``True`` from
    ``get_bulk_object_permissions(request)`` when ``request`` is given) gets a check per
    row.
    """
    from django.contrib.admin import ModelAdmin

    hook = getattr(modeladmin, "get_bulk_object_permissions", None)
    if request is not None and hook is not None:
        declared = hook(request)
    else:
        declared = getattr(modeladmin, "bulk_object_permissions", None)
    if declared is not None:
        return bool(declared)
    name = f"has_{permission}_permission"
    return getattr(type(modeladmin), name) is not getattr(ModelAdmin, name)


def cascade_perms_needed(
    modeladmin: ModelAdmin[Any], request: HttpRequest, summary: DeletionSummary
) -> set[str]:
    """The names of the models a deletion reaches (``summary``) that the person may not
    delete, by ``get_deleted_objects()``'s rule: the ``has_delete_permission()`` of each
    model's ModelAdmin on this site (models without one are not checked)."""
    site = modeladmin.admin_site
    needed = set()
    for model, count in summary.deleted:
        if (
            count
            and site.is_registered(model)
            and not site.get_model_admin(model).has_delete_permission(request)
        ):
            needed.add(str(model._meta.verbose_name))
    return needed


def cascade_rules_per_object(
    modeladmin: ModelAdmin[Any], request: HttpRequest | None = None
) -> bool:
    """Whether deleting this admin's rows must ask ``get_deleted_objects()`` about the
    rows themselves: the ModelAdmin overrides it, or a ModelAdmin (on the same site) of a
    model the cascade may reach decides ``has_delete_permission(request, obj)`` per row.

    Otherwise every rule is per model, and :func:`cascade_perms_needed` once is enough.
    """
    from django.contrib.admin import ModelAdmin

    if type(modeladmin).get_deleted_objects is not ModelAdmin.get_deleted_objects:
        return True
    site = modeladmin.admin_site
    return any(
        site.is_registered(model)
        and object_permissions_matter(site.get_model_admin(model), "delete", request)
        for model in cascade_models(modeladmin.model) - {modeladmin.model}
    )


def deletable_rows(
    modeladmin: ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
) -> tuple[QuerySet[Any], int]:
    """The rows of ``queryset`` the person may delete, and how many they may not.

    Per row where the answer may differ by row: ``has_delete_permission(request, obj)``
    of the admin (:func:`object_permissions_matter`), and ``get_deleted_objects()``
    where :func:`cascade_rules_per_object` says so (a permission lacking, or something
    protecting, refuses the row). ``get_deleted_objects()`` is asked about all the rows
    at once, and row by row only when it refuses, to keep the others.
    """
    model = queryset.model
    objects = model._base_manager.filter(pk__in=queryset.values("pk")).order_by("pk")
    refused = 0
    if object_permissions_matter(modeladmin, "delete", request):
        allowed = []
        for obj in objects:
            if modeladmin.has_delete_permission(request, obj):
                allowed.append(obj.pk)
            else:
                refused += 1
        objects = model._base_manager.filter(pk__in=allowed).order_by("pk")
    if not cascade_rules_per_object(modeladmin, request):
        return objects, refused
    _, _, perms_needed, protected = modeladmin.get_deleted_objects(objects, request)
    if not perms_needed and not protected:
        return objects, refused
    allowed = []
    for obj in objects:
        _, _, perms_needed, protected = modeladmin.get_deleted_objects([obj], request)
        if not perms_needed and not protected:
            allowed.append(obj.pk)
    kept = model._base_manager.filter(pk__in=allowed).order_by("pk")
    return kept, refused + objects.count() - len(allowed)
