"""``IsEmptyFilter``: "empty" or "not empty", as Django's ``EmptyFieldListFilter``.

The same condition as Django's (``''`` or NULL, whichever the field can hold), under
the toolkit's validation: a value that is neither ``1`` nor ``0`` is a warning, not a
redirect to ``?e=1``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.filters import EmptyFieldListFilter
from django.contrib.admin.options import ModelAdmin
from django.core import checks
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .base import ToolkitFieldListFilter

__all__ = ["IsEmptyFilter"]


class IsEmptyFilter(ToolkitFieldListFilter, EmptyFieldListFilter):
    """ "Empty" or "not empty": ``?description__isempty=1`` (or ``0``).

    Django's ``EmptyFieldListFilter``, so empty means ``''`` or NULL, whichever the
    field can hold (text, numbers, foreign keys), with a value that is neither ``1`` nor
    ``0`` reported and ignored instead of sending the person to ``?e=1``.
    """

    def __init__(
        self,
        field: models.Field[Any, Any],
        request: HttpRequest,
        params: dict[str, list[str]],
        model: type[models.Model],
        model_admin: ModelAdmin[Any],
        field_path: str,
    ) -> None:
        self.lookup_kwarg = f"{field_path}__isempty"
        super().__init__(field, request, params, model, model_admin, field_path)

    @classmethod
    def check_field(
        cls,
        field: models.Field[Any, Any],
        model_admin: ModelAdmin[Any],
        field_path: str,
        label: str,
    ) -> list[checks.CheckMessage]:
        if field.empty_strings_allowed or field.null:
            return []
        return [
            checks.Error(
                f"{label} uses {cls.__name__} on {field_path!r}, which can never be empty "
                "(it allows neither NULL nor empty strings).",
                hint="Use IsEmptyFilter on a text field, or on a field with null=True.",
                obj=type(model_admin),
                id="toolkit.E025",
            )
        ]

    def expected_parameters(self) -> list[str | None]:
        return [self.lookup_kwarg]

    def validate(self) -> None:
        raw = self.last_value(self.lookup_kwarg)
        self.lookup_val = None
        if raw is None:
            return
        if raw not in ("0", "1"):
            self.reject(self.lookup_kwarg, raw, _("use 1 for empty or 0 for not empty."))
            return
        self.lookup_val = raw
        self.accept(self.lookup_kwarg, [raw])

    def get_condition(self) -> models.Q:
        condition = self.get_lookup_condition()
        return condition if self.lookup_val == "1" else ~condition
