"""``TreeRelatedFilter``: a relation to a tree (a model with a parent of its own kind),
listed by path, where a node stands for itself and everything under it.

The whole tree is read in one query per request (a category tree has tens or hundreds
of rows), so a node's descendants, at any depth, are known without a query per level;
the rows are then matched with one ``IN`` over the selected nodes and their
descendants.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar, cast

from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.options import ModelAdmin
from django.core import checks
from django.db import models
from django.http import HttpRequest

from .base import request_memo
from .multi_select import MultiSelectFilter

__all__ = ["TreeRelatedFilter"]

_Subtrees = dict[str, list[str]]

#: Between the names of a node's path: "Electronics > Cables".
PATH_SEPARATOR = " > "


class TreeRelatedFilter(MultiSelectFilter):
    """A relation to a tree, its nodes listed as paths ("Electronics > Cables") sorted
    by path; choosing a node matches rows of that node and of every node under it, at
    any depth: ``?category__id__in_tree=3,9``.

    ::

        class CategoryTreeFilter(TreeRelatedFilter):
            label_field = "name"  # the node's own name; str(node) by default

        list_filter = [("category", CategoryTreeFilter)]

    The related model's parent is its one ``ForeignKey`` to itself (name it with
    ``parent_field`` when it has several). Several nodes may be chosen; they are OR'ed.
    The parameter is not Django's ``__in`` because a node means more than itself.
    """

    lookup_suffix: ClassVar[str] = "in_tree"

    #: The related model's field pointing to the parent node; ``None``: its one
    #: ``ForeignKey`` to itself.
    parent_field: ClassVar[str | None] = None

    #: The attribute that names one node in a path; ``None``: ``str(node)``.
    label_field: ClassVar[str | None] = None

    #: ``{option value: [the value and those of every node under it]}``.
    subtrees: dict[str, list[str]]

    @classmethod
    def tree_parent_field(cls, model: type[models.Model]) -> models.ForeignKey[Any, Any] | None:
        """The field of ``model`` pointing to a node's parent, or None if there is none
        (or several, and ``parent_field`` names none of them)."""
        if cls.parent_field is not None:
            try:
                field = model._meta.get_field(cls.parent_field)
            except Exception:
                return None
            if isinstance(field, models.ForeignKey) and field.related_model is model:
                return field
            return None
        found = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.ForeignKey) and f.related_model is model
        ]
        return found[0] if len(found) == 1 else None

    @classmethod
    def check_field(
        cls,
        field: models.Field[Any, Any],
        model_admin: ModelAdmin[Any],
        field_path: str,
        label: str,
    ) -> list[checks.CheckMessage]:
        remote = field.related_model if field.is_relation else None
        if isinstance(remote, type) and cls.tree_parent_field(remote) is not None:
            return []
        what = (
            f"{remote._meta.label} has no single ForeignKey to itself"
            if isinstance(remote, type)
            else "it is not a relation"
        )
        if isinstance(remote, type) and cls.parent_field is not None:
            what = f"{remote._meta.label}.{cls.parent_field} is not a ForeignKey to itself"
        return [
            checks.Error(
                f"{label} uses {cls.__name__} on {field_path!r}, but {what}.",
                hint="Use TreeRelatedFilter on a relation to a model with a parent of its "
                "own kind (set parent_field on a subclass to name it).",
                obj=type(model_admin),
                id="toolkit.E026",
            )
        ]

    def get_options(self, request: HttpRequest) -> list[tuple[str, str]]:
        key = ("toolkit.filters", "tree", type(self), type(self.model_admin), self.field_path)
        options, self.subtrees = request_memo(request, key, lambda: self._load_tree(request))
        return options

    def _load_tree(self, request: HttpRequest) -> tuple[list[tuple[str, str]], _Subtrees]:
        remote = cast(type[models.Model], self.field.related_model)
        parent = self.tree_parent_field(remote)
        if parent is None:  # reported by the checks (toolkit.E026)
            return [], {}
        queryset = remote._default_manager.all()
        get_limit_choices_to = getattr(self.field, "get_limit_choices_to", None)
        if get_limit_choices_to is not None:
            queryset = queryset.complex_filter(get_limit_choices_to())
        if self.label_field is None:
            # str(node) may read relations: join what the node's admin joins.
            try:
                related_admin = self.model_admin.admin_site.get_model_admin(remote)
            except NotRegistered:
                pass
            else:
                select_related = related_admin.get_list_select_related(request)
                if select_related is True:
                    queryset = queryset.select_related()
                elif select_related:
                    queryset = queryset.select_related(*select_related)
        nodes = list(queryset)
        value_attr = cast(Any, self.field).target_field.attname
        parent_key_attr = cast(Any, parent).target_field.attname
        by_key = {getattr(node, parent_key_attr): node for node in nodes}
        children: dict[Any, list[models.Model]] = defaultdict(list)
        for node in nodes:
            children[getattr(node, parent.attname)].append(node)

        def own_label(node: models.Model) -> str:
            return str(getattr(node, self.label_field) if self.label_field else node)

        def path(node: models.Model) -> list[str]:
            names, seen = [own_label(node)], {id(node)}
            up = by_key.get(getattr(node, parent.attname))
            while up is not None and id(up) not in seen:  # a cycle ends the path
                seen.add(id(up))
                names.append(own_label(up))
                up = by_key.get(getattr(up, parent.attname))
            return names[::-1]

        def subtree(node: models.Model) -> list[str]:
            found, stack, seen = [], [node], set()
            while stack:
                current = stack.pop()
                if id(current) in seen:
                    continue
                seen.add(id(current))
                found.append(str(getattr(current, value_attr)))
                stack.extend(children.get(getattr(current, parent_key_attr), ()))
            return found

        paths = sorted(
            ((path(node), node) for node in nodes),
            key=lambda item: [name.casefold() for name in item[0]],
        )
        options = [
            (str(getattr(node, value_attr)), PATH_SEPARATOR.join(names)) for names, node in paths
        ]
        return options, {str(getattr(node, value_attr)): subtree(node) for node in nodes}

    def matched_values(self) -> list[str]:
        """The selected nodes and every node under them."""
        values: dict[str, None] = {}
        for value in self.selected:
            values.update(dict.fromkeys(self.subtrees.get(value, [value])))
        return list(values)

    def option_condition(self, value: str) -> models.Q:
        return models.Q(**{f"{self.lookup_base}__in": self.subtrees.get(value, [value])})
