"""The system checks of the toolkit's filters.

:class:`FiltersChecks`, the ``mixin_checks_class`` of ``FiltersMixin``, asks each toolkit
filter of ``list_filter`` whether it can work on its field (``toolkit.E020``-``E026``,
from each filter's ``check_field``). The site-wide :func:`check_filters_mixin`
(``toolkit.W020``) looks for the admins those never run on: an admin using toolkit
filters without the mixin.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.checks import ModelAdminChecks
from django.contrib.admin.utils import get_fields_from_path
from django.core import checks
from django.db import models

from .base import toolkit_filter_entries

__all__ = ["FiltersChecks", "check_filters_mixin"]


class FiltersChecks(ModelAdminChecks):
    """The checks of each toolkit filter of ``list_filter``, by the filter classes."""

    def check(self, admin_obj: Any, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(admin_obj, **kwargs), *self._check_toolkit_filters(admin_obj)]

    def _check_toolkit_filters(self, admin_obj: Any) -> list[checks.CheckMessage]:
        errors: list[checks.CheckMessage] = []
        if not isinstance(admin_obj.list_filter, list | tuple):
            return errors  # admin.E112 reports it
        for index, path, filter_class in toolkit_filter_entries(admin_obj.list_filter):
            if isinstance(path, models.Field):
                field, field_path = path, path.name
            else:
                try:
                    field = get_fields_from_path(admin_obj.model, path)[-1]
                except Exception:
                    continue  # admin.E116 reports it
                field_path = path
            errors.extend(
                filter_class.check_field(field, admin_obj, field_path, f"list_filter[{index}]")
            )
        return errors


@checks.register(checks.Tags.admin)
def check_filters_mixin(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn about toolkit filters on a ModelAdmin without ``FiltersMixin``: one whose
    ``checks_class`` does not run :class:`FiltersChecks`.

    Registered when this module is imported, which importing any of the filters does
    (the package ``__init__`` imports it).
    """
    from django.contrib.admin.sites import all_sites

    warnings: list[checks.CheckMessage] = []
    for site in all_sites:
        for model, model_admin in list(site._registry.items()):
            if app_configs is not None and model._meta.app_config not in app_configs:
                continue
            checks_class = getattr(model_admin, "checks_class", None)
            if isinstance(checks_class, type) and issubclass(checks_class, FiltersChecks):
                continue
            list_filter = getattr(model_admin, "list_filter", ())
            if not isinstance(list_filter, list | tuple):
                continue
            names = sorted({cls.__name__ for _i, _p, cls in toolkit_filter_entries(list_filter)})
            if names:
                warnings.append(
                    checks.Warning(
                        f"{type(model_admin).__name__} uses {', '.join(names)} without "
                        "FiltersMixin.",
                        hint="Add toolkit.admin_ext.FiltersMixin to its bases: it loads the "
                        "filters' scripts (the autocomplete filter needs them) and keeps bad "
                        "filter values from sending people to ?e=1.",
                        obj=type(model_admin),
                        id="toolkit.W020",
                    )
                )
    return warnings
