"""System checks of ``SavedViewsMixin``: ``toolkit.E030``, ``saved_views = True`` where the
app that stores saved views is not installed."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.admin.checks import ModelAdminChecks
from django.core import checks

__all__ = ["SavedViewsChecks"]


class SavedViewsChecks(ModelAdminChecks):
    """The check of ``saved_views``; the mixin's ``mixin_checks_class``."""

    def check(self, admin_obj: Any, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(admin_obj, **kwargs), *self._check_saved_views_app(admin_obj)]

    def _check_saved_views_app(self, admin_obj: Any) -> list[checks.CheckMessage]:
        if not admin_obj.saved_views or apps.is_installed("toolkit.admin_ext"):
            return []
        return [
            checks.Error(
                f"{type(admin_obj).__name__} sets saved_views = True, but saved views are "
                "stored by the 'toolkit.admin_ext' app, which is not installed.",
                hint="Add 'toolkit.admin_ext' to INSTALLED_APPS and run manage.py migrate "
                "(or leave saved_views unset to offer them only where it is installed).",
                obj=type(admin_obj),
                id="toolkit.E030",
            )
        ]
