"""Performance advice about the database behind each changelist: ``manage.py check --deploy``.

Whether a column needs an index or a relation a join depends on how big the table will
be, which the code cannot know: on the small tables of a new project (and of Django's own
test suite) the advice is noise, and a build that runs ``check --fail-level WARNING`` must
not fail for it. So it runs with the checks Django keeps for "before deploying"
(``manage.py check --deploy``), for every :class:`~toolkit.admin_ext.PerformanceMixin`
admin of every admin site:

=============  ==========================================================================
toolkit.W040   a relation shown by ``list_display`` that ``list_select_related`` leaves out:
               one query per row
toolkit.W041   a ``list_filter`` field, or the first field of the default ordering, with no
               database index: a scan of the whole table on a big one
=============  ==========================================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.admin.sites import all_sites
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import F, OrderBy
from django.db.models.constants import LOOKUP_SEP

from .checks import default_ordering
from .performance import PerformanceMixin, select_related_paths

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

__all__ = ["check_performance_advice", "is_indexed", "performance_advice"]


@checks.register(checks.Tags.admin, deploy=True)
def check_performance_advice(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """W040 and W041 for every PerformanceMixin admin registered on an admin site."""
    found: list[checks.CheckMessage] = []
    for site in all_sites:
        for model, model_admin in list(site._registry.items()):
            if not isinstance(model_admin, PerformanceMixin):
                continue
            if app_configs is not None and model._meta.app_config not in app_configs:
                continue
            found.extend(performance_advice(model_admin))
    return found


def performance_advice(model_admin: ModelAdmin[Any]) -> list[checks.CheckMessage]:
    """W040 and W041 for one admin."""
    return [*_check_select_related(model_admin), *_check_indexes(model_admin)]


def _covered(path: str, configured: Any, model: type[models.Model]) -> bool:
    if configured is True:
        # select_related() with no argument follows non-null foreign keys only.
        opts = model._meta
        for part in path.split(LOOKUP_SEP):
            field = opts.get_field(part)
            if getattr(field, "null", False) or not field.many_to_one:
                return False
            opts = field.related_model._meta  # type: ignore[union-attr]
        return True
    return any(entry == path or entry.startswith(path + LOOKUP_SEP) for entry in configured)


def _check_select_related(model_admin: ModelAdmin[Any]) -> list[checks.CheckMessage]:
    configured = model_admin.list_select_related
    if configured is False or not isinstance(configured, bool | list | tuple):
        return []  # False: PerformanceMixin derives it; anything else is admin.E117
    if not isinstance(model_admin.list_display, list | tuple):
        return []
    return [
        checks.Warning(
            f"list_display shows {path!r}, which list_select_related leaves out: every row "
            "of a page runs one more query for it.",
            hint=(
                f"Add {path!r} to list_select_related, or leave list_select_related unset "
                "so that PerformanceMixin derives it from list_display."
            ),
            obj=type(model_admin),
            id="toolkit.W040",
        )
        for path in select_related_paths(model_admin.model, model_admin.list_display)
        if not _covered(path, configured, model_admin.model)
    ]


def is_indexed(field: Any) -> bool:
    """Can the database find rows by ``field`` without reading the whole table?

    True for a primary key, a unique field, ``db_index`` (foreign keys have it by
    default), the first column of a ``Meta.indexes`` entry, of a unique constraint or
    of ``unique_together``; and for relations whose rows live in another table.
    """
    if not getattr(field, "concrete", False) or field.many_to_many:
        return True  # a reverse relation or many-to-many: joined through foreign keys
    if field.primary_key or field.unique or field.db_index:
        return True
    opts = field.model._meta
    names = {field.name, field.attname}
    for index in opts.indexes:
        if index.fields and index.fields[0].lstrip("-") in names and index.condition is None:
            return True
    for constraint in opts.constraints:
        fields = getattr(constraint, "fields", ())
        if (
            isinstance(constraint, models.UniqueConstraint)
            and fields
            and fields[0] in names
            and constraint.condition is None
        ):
            return True
    return any(together and together[0] in names for together in opts.unique_together)


def _unindexed(model: type[models.Model], path: str) -> Any:
    """The field at the end of ``path`` when it has no index (booleans excepted)."""
    try:
        field = get_fields_from_path(model, path)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return None  # admin.E116 / admin.E033 report it
    # A two-valued column is rarely worth an index: the planner reads the ordering's
    # index and filters as it goes.
    if isinstance(field, models.BooleanField) or is_indexed(field):
        return None
    return field


def _check_indexes(model_admin: ModelAdmin[Any]) -> list[checks.CheckMessage]:
    model = model_admin.model
    found: list[tuple[str, str, Any]] = []
    list_filter = model_admin.list_filter
    for index, item in enumerate(list_filter if isinstance(list_filter, list | tuple) else ()):
        if isinstance(item, list | tuple) and item:
            item = item[0]
        if isinstance(item, models.Field):
            item = item.name
        if isinstance(item, str) and (field := _unindexed(model, item)) is not None:
            found.append((f"list_filter[{index}]", item, field))

    ordering = default_ordering(model_admin)
    first = ordering[0] if ordering else None
    if isinstance(first, OrderBy):
        first = first.expression
    if isinstance(first, F):
        first = first.name  # type: ignore[attr-defined]
    if isinstance(first, str) and first.lstrip("-") not in ("?", "pk"):
        name = first.lstrip("-")
        try:
            last = get_fields_from_path(model, name)[-1]
        except (FieldDoesNotExist, NotRelationField):
            last = None
        # Ordering by a foreign key orders by the related model's own ordering.
        if last is not None and not last.is_relation:
            field = _unindexed(model, name)
            if field is not None:
                source = "ordering" if model_admin.ordering else f"{model.__name__}.Meta.ordering"
                found.append((source, name, field))

    return [
        checks.Warning(
            f"{source} uses {path!r}, and {field.model.__name__}.{field.name} has no database "
            "index: on a big table every page reads the whole table.",
            hint=(
                f"Add db_index=True to {field.model.__name__}.{field.name}, or an index "
                f"starting with it to {field.model.__name__}.Meta.indexes (or silence "
                "toolkit.W041 if the table stays small)."
            ),
            obj=type(model_admin),
            id="toolkit.W041",
        )
        for source, path, field in found
    ]
