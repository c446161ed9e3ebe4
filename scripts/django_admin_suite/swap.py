"""An app that puts the toolkit's ModelAdmin in place of Django's, for the swapped run.

Installed last in the swapped run, so its ``ready()`` runs once Django's and the toolkit's
apps are loaded and before the test modules (and the ``admin.py`` files they import) are.
``django.contrib.admin.ModelAdmin`` is replaced where code looks it up: ``admin``,
``admin.options`` (the base of every ``ModelAdmin`` written as ``options.ModelAdmin``) and
``admin.sites`` (the class ``AdminSite.register()`` uses when none is given).

The composed class is the one the demo's ``ProductAdmin`` uses: every changelist mixin
(``ToolkitModelAdmin``) plus import/export and the AI actions, so that all of them meet
admins written for stock Django.
"""

from __future__ import annotations

from django.apps import AppConfig


def composed_model_admin() -> type:
    from django.contrib.admin import options

    from toolkit.admin_ext import ImportExportMixin, ToolkitModelAdmin
    from toolkit.ai.admin import AIActionsMixin

    return type(
        "ModelAdmin",
        (AIActionsMixin, ImportExportMixin, ToolkitModelAdmin),
        {"__module__": options.__name__, "__doc__": options.ModelAdmin.__doc__},
    )


class SwapConfig(AppConfig):
    name = "django_admin_suite.swap"
    label = "django_admin_suite_swap"

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib import admin
        from django.contrib.admin import options, sites

        # runtests.py builds the tables of auth and contenttypes without migrations, so
        # the toolkit's migrations (which depend on theirs) cannot run: build its tables
        # the same way.
        from .settings import SWAPPED_RUN_APPS

        for app_config in self.apps.get_app_configs():
            if app_config.name in SWAPPED_RUN_APPS:
                settings.MIGRATION_MODULES[app_config.label] = None

        if getattr(admin.ModelAdmin, "toolkit_swapped", False):
            return  # runtests.py loads the apps twice.
        swapped = composed_model_admin()
        swapped.toolkit_swapped = True  # type: ignore[attr-defined]
        admin.ModelAdmin = options.ModelAdmin = sites.ModelAdmin = swapped  # type: ignore[misc]
