"""The site-wide check of the toolkit's filters: ``toolkit.W020``.

The checks of each ``list_filter`` entry (``toolkit.E020``-``E025``) belong to the
filter classes (``check_field``), which ``FiltersMixin.check()`` asks; this one looks
for the admins those never run on: an admin using toolkit filters without the mixin.
"""

from __future__ import annotations

from typing import Any

from django.core import checks

from .base import toolkit_filter_entries
from .options import FiltersMixin

__all__ = ["check_filters_mixin"]


@checks.register(checks.Tags.admin)
def check_filters_mixin(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn about toolkit filters on a ModelAdmin without ``FiltersMixin``.

    Registered when this module is imported, which importing any of the filters does
    (the package ``__init__`` imports it).
    """
    from django.contrib.admin.sites import all_sites

    warnings: list[checks.CheckMessage] = []
    for site in all_sites:
        for model, model_admin in list(site._registry.items()):
            if app_configs is not None and model._meta.app_config not in app_configs:
                continue
            if isinstance(model_admin, FiltersMixin):
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
