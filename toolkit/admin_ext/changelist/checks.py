"""System checks of :class:`~toolkit.admin_ext.PerformanceMixin` ModelAdmins' own options.

:class:`PerformanceChecks` is the mixin's ``mixin_checks_class``: it joins the admin's
``checks_class``, so ``manage.py check`` runs it for every registered admin using the
mixin. Ids ``toolkit.E040``-``E049``:

=============  ==========================================================================
toolkit.E040   ``keyset_pagination`` over a default ordering it cannot page (random, or
               across a many-valued relation)
toolkit.E041   a ``list_select_related_extra`` entry that ``select_related()`` cannot follow
toolkit.E042   ``estimated_count_threshold`` that is not a non-negative integer or None
=============  ==========================================================================

Advice about the database (``toolkit.W040``, ``W041``) is in :mod:`.advice`: it runs with
``manage.py check --deploy`` only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.admin.checks import ModelAdminChecks
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.constants import LOOKUP_SEP

from .ordering import UnknownOrderingField, UnsupportedOrdering, ordering_terms

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

__all__ = ["PerformanceChecks", "default_ordering"]


class PerformanceChecks(ModelAdminChecks):
    """The checks of ``keyset_pagination``, ``list_select_related_extra`` and
    ``estimated_count_threshold``."""

    def check(self, admin_obj: Any, **kwargs: Any) -> list[checks.CheckMessage]:
        return [
            *super().check(admin_obj, **kwargs),
            *_check_keyset_ordering(admin_obj),
            *_check_select_related_extra(admin_obj),
            *_check_estimated_count_threshold(admin_obj),
        ]


def _check_estimated_count_threshold(model_admin: ModelAdmin[Any]) -> list[checks.CheckMessage]:
    threshold = getattr(model_admin, "estimated_count_threshold", None)
    if threshold is None or (
        isinstance(threshold, int) and not isinstance(threshold, bool) and threshold >= 0
    ):
        return []
    return [
        checks.Error(
            f"{type(model_admin).__name__}.estimated_count_threshold must be a non-negative "
            f"integer or None, not {threshold!r}.",
            hint="Use a row count such as 10000, or None for TOOLKIT_ESTIMATED_COUNT_THRESHOLD "
            "(set estimated_count = False to always count exactly).",
            obj=type(model_admin),
            id="toolkit.E042",
        )
    ]


def default_ordering(model_admin: ModelAdmin[Any]) -> list[Any]:
    """The admin's ordering, else the model's; empty when either is not a list or tuple
    (Django's admin.E031 reports a bad ``ordering``, models.E014 a bad ``Meta.ordering``)."""
    ordering = model_admin.ordering or model_admin.model._meta.ordering or []
    return list(ordering) if isinstance(ordering, list | tuple) else []


def _check_keyset_ordering(model_admin: ModelAdmin[Any]) -> list[checks.CheckMessage]:
    if not getattr(model_admin, "keyset_pagination", False):
        return []
    try:
        ordering_terms(model_admin.model, default_ordering(model_admin))
    except UnknownOrderingField:
        return []  # perhaps an annotation of get_queryset(); admin.E033 knows the rest
    except UnsupportedOrdering as exc:
        return [
            checks.Error(
                f"keyset_pagination cannot page the default ordering: {exc}.",
                hint=(
                    "Order by fields of this model or of its foreign keys (the primary key "
                    "is added to break ties), or set keyset_pagination = False."
                ),
                obj=type(model_admin),
                id="toolkit.E040",
            )
        ]
    return []


def _follows(model: type[models.Model], path: str) -> bool:
    opts = model._meta
    for part in path.split(LOOKUP_SEP):
        try:
            field = opts.get_field(part)
        except FieldDoesNotExist:
            return False
        if not (field.is_relation and (field.many_to_one or field.one_to_one)):
            return False
        opts = field.related_model._meta  # type: ignore[union-attr]
    return True


def _check_select_related_extra(model_admin: ModelAdmin[Any]) -> list[checks.CheckMessage]:
    extra = getattr(model_admin, "list_select_related_extra", ())
    if isinstance(extra, str) or not isinstance(extra, list | tuple):
        return [
            checks.Error(
                "list_select_related_extra must be a list or tuple of relation paths.",
                hint='Write it as a list, e.g. ["category__parent"].',
                obj=type(model_admin),
                id="toolkit.E041",
            )
        ]
    return [
        checks.Error(
            f"list_select_related_extra names {path!r}, which select_related() cannot follow.",
            hint=(
                "Name foreign keys or one-to-one relations, joined with '__' "
                "(many-to-many and reverse foreign keys need prefetch_related instead)."
            ),
            obj=type(model_admin),
            id="toolkit.E041",
        )
        for path in extra
        if not isinstance(path, str) or not _follows(model_admin.model, path)
    ]
