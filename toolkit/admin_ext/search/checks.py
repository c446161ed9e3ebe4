"""System checks of ``SearchMixin``'s options: :class:`SearchChecks`, the mixin's
``mixin_checks_class``, which joins the admin's ``checks_class`` as Django's own
``ModelAdminChecks`` do.

=============  ==========================================================================
toolkit.E010   ``search_qualifiers`` is not a dict of str to str
toolkit.E011   a qualifier name that cannot be typed before a colon
toolkit.W010   a qualifier's lookup path that does not resolve on the model
toolkit.E012   ``search_fulltext_fields`` is not a list of field names or None
toolkit.W011   a full-text field that is not a text field of the model itself
toolkit.E013   ``search_fulltext_rank_max_rows`` is not a non-negative integer or None
toolkit.E014   ``search_fulltext_column`` is not the stored vector of the full-text fields
toolkit.E015   ``search_max_terms`` or ``search_max_length`` is not a positive integer
=============  ==========================================================================
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.checks import ModelAdminChecks
from django.core import checks
from django.core.exceptions import FieldDoesNotExist

from .limits import SearchLimits
from .paths import PathError, closest, resolve_path
from .qualifiers import TEXT_FIELDS

__all__ = ["SearchChecks"]


class SearchChecks(ModelAdminChecks):
    """The checks of ``search_qualifiers``, the ``search_fulltext_*`` options and the
    search limits."""

    def check(self, admin_obj: Any, **kwargs: Any) -> list[checks.CheckMessage]:
        return [
            *super().check(admin_obj, **kwargs),
            *self._check_search_qualifiers(admin_obj),
            *self._check_search_fulltext_fields(admin_obj),
            *self._check_search_fulltext_column(admin_obj),
            *self._check_search_fulltext_rank_max_rows(admin_obj),
            *self._check_search_limits(admin_obj),
        ]

    def _check_search_qualifiers(self, admin_obj: Any) -> list[checks.CheckMessage]:
        qualifiers = admin_obj.search_qualifiers
        cls = type(admin_obj)
        if not isinstance(qualifiers, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in qualifiers.items()
        ):
            return [
                checks.Error(
                    "The value of 'search_qualifiers' must be a dict mapping names (str) "
                    "to lookup paths (str).",
                    hint='For example: search_qualifiers = {"sku": "sku__iexact", '
                    '"price": "price"}.',
                    obj=cls,
                    id="toolkit.E010",
                )
            ]
        errors: list[checks.CheckMessage] = []
        for name, path in qualifiers.items():
            if not _is_identifier(name):
                errors.append(
                    checks.Error(
                        f"The search qualifier name {name!r} cannot be typed in the search "
                        "box: it must start with a letter or '_' and contain only letters, "
                        "digits and '_'.",
                        hint=f"Rename it, e.g. {_as_identifier(name)!r}.",
                        obj=cls,
                        id="toolkit.E011",
                    )
                )
            try:
                resolve_path(admin_obj.model, path)
            except PathError as exc:
                errors.append(
                    checks.Warning(
                        f"The search qualifier {name!r} refers to {path!r}, which does not "
                        f"resolve on {admin_obj.model._meta.label}: {exc}",
                        hint=(
                            f"Did you mean {exc.suggestion!r}?"
                            if exc.suggestion
                            else "Use a path of fields and an optional lookup, as in "
                            "QuerySet.filter()."
                        ),
                        obj=cls,
                        id="toolkit.W010",
                    )
                )
        return errors

    def _check_search_fulltext_fields(self, admin_obj: Any) -> list[checks.CheckMessage]:
        fields = admin_obj.search_fulltext_fields
        cls = type(admin_obj)
        if fields is None:
            return []
        if isinstance(fields, str) or not all(isinstance(name, str) for name in fields):
            return [
                checks.Error(
                    "The value of 'search_fulltext_fields' must be a list of field names or None.",
                    hint='For example: search_fulltext_fields = ["name", "description"].',
                    obj=cls,
                    id="toolkit.E012",
                )
            ]
        opts = admin_obj.model._meta
        text_names = [
            f.name for f in opts.get_fields() if isinstance(f, TEXT_FIELDS) and f.concrete
        ]
        errors: list[checks.CheckMessage] = []
        for name in fields:
            try:
                field = opts.get_field(name)
            except FieldDoesNotExist:
                problem = f"{opts.label} has no field {name!r}"
            else:
                if isinstance(field, TEXT_FIELDS):
                    continue
                problem = f"{opts.label}.{name} is not a text field (CharField or TextField)"
            close = closest(name, text_names)
            errors.append(
                checks.Warning(
                    f"'search_fulltext_fields' names {name!r}, which cannot be searched with "
                    f"full-text search: {problem}.",
                    hint=(
                        f"Did you mean {close!r}? Only text fields of the model itself can "
                        "be in the index."
                        if close
                        else "Only text fields of the model itself can be in the index; "
                        f"its text fields are: {', '.join(text_names) or 'none'}."
                    ),
                    obj=cls,
                    id="toolkit.W011",
                )
            )
        return errors

    def _check_search_fulltext_column(self, admin_obj: Any) -> list[checks.CheckMessage]:
        column = admin_obj.search_fulltext_column
        if column is None:
            return []
        if not isinstance(column, str) or not column.isidentifier():
            problem = f"must be a column name or None, not {column!r}"
        elif not admin_obj.search_fulltext_fields:
            problem = "needs search_fulltext_fields: the fields the column holds"
        elif column in {f.column for f in admin_obj.model._meta.concrete_fields}:
            problem = f"names {column!r}, a column of a model field, not the stored vector"
        else:
            return []
        return [
            checks.Error(
                f"'search_fulltext_column' {problem}.",
                hint='Add the column with AddSearchVectorColumn("<model>", ["name", '
                '"description"], column="search_document", name="...") in a migration, '
                "and set search_fulltext_fields to the same fields.",
                obj=type(admin_obj),
                id="toolkit.E014",
            )
        ]

    def _check_search_fulltext_rank_max_rows(self, admin_obj: Any) -> list[checks.CheckMessage]:
        limit = admin_obj.search_fulltext_rank_max_rows
        if limit is None or (isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0):
            return []
        return [
            checks.Error(
                "The value of 'search_fulltext_rank_max_rows' must be a non-negative "
                f"integer or None, not {limit!r}.",
                hint="For example 1000 (rank searches matching up to 1,000 rows), or None "
                "to always rank.",
                obj=type(admin_obj),
                id="toolkit.E013",
            )
        ]

    def _check_search_limits(self, admin_obj: Any) -> list[checks.CheckMessage]:
        errors: list[checks.CheckMessage] = []
        for name in ("search_max_terms", "search_max_length"):
            value: Any = getattr(admin_obj, name)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                continue
            errors.append(
                checks.Error(
                    f"The value of '{name}' must be a positive integer, not {value!r}.",
                    hint=f"For example {name} = {getattr(SearchLimits, name)} (the default).",
                    obj=type(admin_obj),
                    id="toolkit.E015",
                )
            )
        return errors


def _is_identifier(name: str) -> bool:
    """Whether the parser reads ``name:`` as a qualifier (see :mod:`.syntax`)."""
    return name.isidentifier()


def _as_identifier(name: str) -> str:
    cleaned = "".join(char if char.isalnum() or char == "_" else "_" for char in name)
    if not cleaned or cleaned[0].isdigit():
        cleaned = "_" + cleaned
    return cleaned.lower()
