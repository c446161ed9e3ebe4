"""What deleting a selection reaches, found with a few queries instead of loading it.

Django's confirmation page collects every related row (the ``Collector``) and lists it:
right for a page of rows, hopeless for "Select all 1,000,000". The functions here walk the
same relations the ``Collector`` follows (reverse foreign keys and one-to-ones, the
through rows of many-to-many fields, generic relations, multi-table parents) in SQL, at
every depth:

- :func:`deletion_summary` counts what a deletion deletes, updates and what protects
  from it, per model (the toolkit's summary confirmation; with ``exact=False``, a probe
  of which models are reached at all, enough to check permissions when the person
  confirms);
- :func:`cascade_fits` tells whether a selection and its cascade hold at most ``n``
  rows, stopping as soon as they do not (is Django's own page, which lists every
  object, the right page for it?);
- :func:`cascade_models` names the models a deletion of a model's rows may reach,
  from the models alone (no query).

The summary reaches each level with one more join (:class:`_Rows`), so each count stays
a single statement whatever the number of rows; rows of the selection's own model met
again deeper (a self-referencing tree whose rows point back at the selection) are left
out. Past :data:`MAX_CASCADE_DEPTH` levels the walk stops and says so
(``DeletionSummary.complete``): a deeper cascade, or rows below the selection that point
at each other, cannot be summed up this way.
:func:`cascade_fits` has a budget instead: it fetches the keys it counts (never more
than the budget), so it follows each row once, at any depth, as the Collector does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.db.models.deletion import get_candidate_relations_to_delete
from django.db.models.functions import Cast

from toolkit.admin_ext.selection import count_upto

__all__ = [
    "MAX_CASCADE_DEPTH",
    "DeletionSummary",
    "cascade_fits",
    "cascade_models",
    "deletion_summary",
    "rows_noun",
]

#: Levels of related rows the walk follows below the selection. Django's Collector has no
#: such bound; a deletion deeper than this is confirmed on Django's own page (small
#: selections) or refused with a sentence (:attr:`DeletionSummary.complete`).
MAX_CASCADE_DEPTH = 25

DELETED = "deleted"
UPDATED = "updated"
PROTECTED = "protected"

# Django 6.1's database-level ``on_delete`` values (the Collector leaves them to the
# database, which deletes or updates the rows all the same).
_DB_CASCADE = getattr(models, "DB_CASCADE", None)
_DB_UPDATES = tuple(
    value
    for value in (getattr(models, "DB_SET_NULL", None), getattr(models, "DB_SET_DEFAULT", None))
    if value is not None
)


def _effect(on_delete: Any) -> str | None:
    """What deleting a row does to the rows that point at it with ``on_delete``."""
    if on_delete is models.DO_NOTHING:
        return None
    if on_delete is models.CASCADE or (_DB_CASCADE is not None and on_delete is _DB_CASCADE):
        return DELETED
    if on_delete in (models.PROTECT, models.RESTRICT):
        # RESTRICT allows a row that the same deletion also reaches through a CASCADE;
        # telling that apart needs the rows themselves (Django's own page does).
        return PROTECTED
    if on_delete in _DB_UPDATES:
        return UPDATED
    return UPDATED  # SET_NULL, SET_DEFAULT, SET(...)


def _generic_relations(model: type[models.Model]) -> list[Any]:
    """The ``GenericRelation`` fields of ``model``: their rows go with the model's."""
    return [f for f in model._meta.private_fields if hasattr(f, "bulk_related_objects")]


def _pk_values(rows: QuerySet[Any], target: models.Field[Any, Any]) -> QuerySet[Any]:
    """The primary keys of ``rows`` as a subquery comparable with ``target`` (a generic
    relation's object id, often text where the key is a number)."""
    pk = rows.model._meta.pk
    if pk is None or pk.get_internal_type() == target.get_internal_type():
        return rows.values("pk")
    if target.get_internal_type() in ("CharField", "TextField"):
        return rows.annotate(_toolkit_pk=Cast("pk", models.TextField())).values("_toolkit_pk")
    return rows.values("pk")


def _relations(model: type[models.Model]) -> list[Any]:
    """The reverse one-to-many and one-to-one relations of ``model`` (hidden ones and
    many-to-many through rows included), as the Collector follows them."""
    return list(get_candidate_relations_to_delete(model._meta))


@dataclass(frozen=True)
class _Rows:
    """Rows of ``model`` reached by a deletion: those whose ``path`` leads into
    ``base`` (``base`` itself when there is no path), narrowed by ``filters`` and
    ``excludes`` (lookups from these rows).

    A level deeper adds one join to the path instead of nesting one more subquery:
    databases parse subqueries only a few levels deep (SQLite gives up near ten), while
    they join tables by the dozen.
    """

    model: type[models.Model]
    base: QuerySet[Any]
    path: str = ""
    filters: tuple[tuple[str, Any], ...] = ()
    excludes: tuple[tuple[str, Any], ...] = ()

    def queryset(self) -> QuerySet[Any]:
        rows = self.base
        if self.path:
            rows = self.model._base_manager.using(self.base.db).filter(
                **{f"{self.path}__in": self.base}
            )
        if self.filters:
            rows = rows.filter(**dict(self.filters))
        for lookup, value in self.excludes:
            rows = rows.exclude(**{lookup: value})
        return rows

    def follow(self, related: type[models.Model], field: str, target: Any) -> _Rows:
        """The rows of ``related`` whose foreign key ``field`` (to ``target``) points
        at these rows."""
        if not self.path or target._meta.concrete_model is not self.model._meta.concrete_model:
            # The first level, or a key to a multi-table parent: a subquery.
            return _Rows(related, self.queryset(), field)
        return _Rows(
            related,
            self.base,
            f"{field}__{self.path}",
            tuple((f"{field}__{lookup}", value) for lookup, value in self.filters),
            tuple((f"{field}__{lookup}", value) for lookup, value in self.excludes),
        )

    def without(self, lookup: str, value: Any) -> _Rows:
        return _Rows(
            self.model, self.base, self.path, self.filters, (*self.excludes, (lookup, value))
        )


def _reached(model: type[models.Model], rows: _Rows) -> Iterator[tuple[str, _Rows]]:
    """(effect, related rows) for every relation a deletion of ``rows`` (of ``model``)
    acts on, as the Collector finds them."""
    for relation in _relations(model):
        effect = _effect(relation.on_delete)
        if effect is not None:
            yield effect, rows.follow(relation.related_model, relation.field.name, relation.model)
    for generic in _generic_relations(model):
        from django.contrib.contenttypes.models import ContentType

        related = generic.related_model
        content_type = ContentType.objects.db_manager(rows.base.db).get_for_model(
            model, for_concrete_model=generic.for_concrete_model
        )
        object_id = related._meta.get_field(generic.object_id_field_name)
        yield (
            DELETED,
            _Rows(
                related,
                _pk_values(rows.queryset(), object_id),
                generic.object_id_field_name,
                ((generic.content_type_field_name, content_type),),
            ),
        )


def _walk(
    queryset: QuerySet[Any],
    visit: Callable[[str, type[models.Model], QuerySet[Any]], int],
    max_depth: int,
) -> bool:
    """Call ``visit(effect, model, rows)`` for every relation the deletion of
    ``queryset`` reaches, depth first; descend into deleted rows ``visit`` found (it
    returns how many, 0 for none). Returns whether the walk reached its end within
    ``max_depth`` levels."""
    complete = True
    root = queryset.model._meta.concrete_model
    selected = queryset.values("pk")

    def descend(model: type[models.Model], parents: _Rows, depth: int) -> None:
        nonlocal complete
        for effect, rows in _reached(model, parents):
            related = rows.model
            if related._meta.concrete_model is root:
                # The selection's own rows are deleted already: a tree pointing back at
                # them (or a row at itself) ends here instead of going round.
                rows = rows.without("pk__in", selected)
            found = visit(effect, related, rows.queryset())
            if not found or effect != DELETED:
                continue
            for parent in related._meta.get_parent_list():
                keys = rows.queryset().values("pk")
                visit(DELETED, parent, parent._base_manager.filter(pk__in=keys))
            if depth >= max_depth:
                complete = False
                continue
            descend(related, rows, depth + 1)

    for parent in queryset.model._meta.get_parent_list():
        visit(DELETED, parent, parent._base_manager.filter(pk__in=selected))
    descend(queryset.model, _Rows(queryset.model, queryset), 1)
    return complete


def _root(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The selected rows as a plain queryset of the base manager: the changelist's
    ordering, ``distinct()`` and annotations would only weigh on every subquery."""
    model = queryset.model
    return model._base_manager.using(queryset.db).filter(pk__in=queryset.order_by().values("pk"))


@dataclass
class DeletionSummary:
    """What deleting a selection does, counted per model (never listed row by row)."""

    #: (model, rows) deleted, the selection's model first, in cascade order.
    deleted: list[tuple[type[models.Model], int]]
    #: (model, rows) whose foreign key is set to NULL or a default.
    updated: list[tuple[type[models.Model], int]]
    #: (model, rows) that forbid the delete (``PROTECT``/``RESTRICT``).
    protected: list[tuple[type[models.Model], int]]
    #: Related rows were counted up to this many per relation (``None``: exactly); a
    #: count above it means "more than ``limit``".
    limit: int | None = None
    #: The rows that forbid the delete, one queryset per relation (to name a few).
    protecting: list[QuerySet[Any]] = field(default_factory=list)
    #: ``False`` when the cascade goes deeper than the walk followed it
    #: (:data:`MAX_CASCADE_DEPTH`): then neither permissions nor protection are known.
    complete: bool = True

    @property
    def total(self) -> int:
        return self.deleted[0][1] if self.deleted else 0

    def is_capped(self, count: int) -> bool:
        return self.limit is not None and count > self.limit


def deletion_summary(
    queryset: QuerySet[Any],
    max_depth: int | None = None,
    *,
    exact: bool = True,
    limit: int | None = None,
) -> DeletionSummary:
    """Count, relation by relation, what deleting ``queryset`` cascades to.

    One ``COUNT`` per relation (joined up to the selection), instead of the Collector's fetch of
    every related row (Django's confirmation page collects and renders them all). Every
    level is followed (up to ``max_depth``, default :data:`MAX_CASCADE_DEPTH`). A
    relation met on two paths is counted once per path, so the counts are an upper
    bound where two paths reach the same rows. With ``limit``, related rows are counted
    up to ``limit + 1`` per relation (``SELECT COUNT(*) FROM (... LIMIT n)``), so a
    selection of 100,000 rows with millions of related rows is summed up in milliseconds
    ("more than 10,000 stock movements"); the selection itself is always counted
    exactly. With ``exact=False`` each relation is only probed (``EXISTS``, counted as
    1): enough to check permissions and protection when the person confirms, in a
    fraction of the time.
    """

    def count(rows: QuerySet[Any]) -> int:
        if not exact:
            return int(rows.exists())
        return rows.count() if limit is None else count_upto(rows, limit)

    deleted: dict[type[models.Model], int] = {}
    updated: dict[type[models.Model], int] = {}
    protected: dict[type[models.Model], int] = {}
    protecting: list[QuerySet[Any]] = []
    root = _root(queryset)
    # The selection itself is counted as it is: wrapped in ``pk IN (...)`` (as the
    # relations below need it), counting 100,000 of a million rows took ten times longer.
    selection = queryset.order_by()
    deleted[root.model] = selection.count() if exact else int(selection.exists())

    def visit(effect: str, model: type[models.Model], rows: QuerySet[Any]) -> int:
        found = count(rows)
        if found:
            counts = {DELETED: deleted, UPDATED: updated, PROTECTED: protected}[effect]
            counts[model] = counts.get(model, 0) + found
            if effect == PROTECTED:
                protecting.append(rows)
        return found

    complete = True
    if deleted[root.model]:
        complete = _walk(root, visit, MAX_CASCADE_DEPTH if max_depth is None else max_depth)
    return DeletionSummary(
        deleted=list(deleted.items()),
        updated=list(updated.items()),
        protected=list(protected.items()),
        limit=limit if exact else None,
        protecting=protecting,
        complete=complete,
    )


def cascade_fits(queryset: QuerySet[Any], budget: int) -> bool:
    """Whether ``queryset`` and every row its deletion reaches (deleted, updated or
    protecting, multi-table parents included) hold at most ``budget`` rows.

    Each relation's keys are fetched up to what is left of the budget, and the answer
    is "no" at the first relation that exceeds it: at most ``budget + 1`` keys in all,
    whatever the size. Rows already reached are not counted again, so cycles and deep
    trees end as they do for Django's Collector.
    """
    remaining = budget
    root = _root(queryset)
    seen: dict[Any, set[Any]] = {}

    def take(rows: QuerySet[Any], exclude: set[Any]) -> list[Any] | None:
        nonlocal remaining
        if exclude:
            rows = rows.exclude(pk__in=list(exclude))
        keys = list(rows.order_by().values_list("pk", flat=True)[: remaining + 1])
        remaining -= len(keys)
        return None if remaining < 0 else keys

    def deleted(model: type[models.Model], keys: list[Any]) -> bool:
        """Note ``keys`` of ``model`` as deleted, with their multi-table parents."""
        nonlocal remaining
        seen.setdefault(model._meta.concrete_model, set()).update(keys)
        for parent in model._meta.get_parent_list():
            # A parent row shares its child's key; one reached already is not new.
            bucket = seen.setdefault(parent, set())
            new = [key for key in keys if key not in bucket]
            remaining -= len(new)
            bucket.update(new)
        return remaining >= 0

    keys = take(root, set())
    if keys is None or not deleted(root.model, keys):
        return False
    todo = [(root.model, keys)]
    while todo:
        model, keys = todo.pop()
        parents = _Rows(model, model._base_manager.using(root.db).filter(pk__in=keys))
        for effect, rows in _reached(model, parents):
            related = rows.model
            concrete = related._meta.concrete_model
            found = take(rows.queryset(), seen.get(concrete, set()) if effect == DELETED else set())
            if found is None:
                return False
            if found and effect == DELETED:
                if not deleted(related, found):
                    return False
                todo.append((related, found))
    return True


def cascade_models(model: type[models.Model]) -> set[type[models.Model]]:
    """Every model whose rows a deletion of ``model``'s rows may delete, ``model``
    included: its multi-table parents and, at any depth, what cascades (from the models'
    relations alone, without a query)."""
    found: set[type[models.Model]] = set()
    todo = [model]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        todo.extend(current._meta.get_parent_list())
        for relation in _relations(current):
            if _effect(relation.on_delete) == DELETED:
                todo.append(relation.related_model)
        todo.extend(generic.related_model for generic in _generic_relations(current))
    return found


def rows_noun(model: type[models.Model], count: int) -> str:
    """``model``'s name for ``count`` rows ("product", "products"; "links product tag"
    for the hidden through model of a many-to-many field, named after its sides)."""
    meta = model._meta
    if meta.auto_created:
        return "links " + str(meta.verbose_name).replace("-", " ")
    return str(meta.verbose_name if count == 1 else meta.verbose_name_plural)
