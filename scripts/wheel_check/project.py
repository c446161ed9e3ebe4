"""The new project of scripts/wheel-check: what a developer adds to `startproject`.

The settings follow README.md, "Adding the toolkit to your project", word for word, then
make the project deploy-clean (``manage.py check --deploy`` silent). The app ``catalog``
has one model registered with ``ToolkitModelAdmin``; the project also overrides two admin
templates, as many sites do (its own branding, a per-model changelist template), which
the toolkit's pages must keep.
"""

from __future__ import annotations

import secrets
from pathlib import Path

#: The name of the project package made by ``django-admin startproject``.
PROJECT = "shop"
#: The app with the model the check walks through.
APP = "catalog"
#: Markers of the project's own templates, looked for on the changelist page.
BRANDING = "Shop back office"
MODEL_TEMPLATE_LINK = "shop-price-list"


SETTINGS = """
# --- django-toolkit: README.md, "Adding the toolkit to your project".
INSTALLED_APPS += [
    "catalog",
    "toolkit",
    "toolkit.admin_ext",
    "toolkit.jobs",
    "django_tasks_db",__TASKS_BACKPORT__
    "toolkit.ai",
]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- the project's own admin templates (branding, a per-model changelist).
TEMPLATES[0]["DIRS"] = [BASE_DIR / "templates"]

# --- deploy-clean: `manage.py check --deploy` has nothing to say.
SECRET_KEY = "__SECRET_KEY__"
DEBUG = False
ALLOWED_HOSTS = ["shop.example.com", "testserver"]
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True__MAILERS__
STATIC_ROOT = BASE_DIR / "static"
MEDIA_ROOT = BASE_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names: a page that links a static file the wheel lacks fails.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
    },
    # Job results stay off public URLs (README.md, "Background jobs").
    "toolkit_jobs": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": BASE_DIR / "private" / "jobs"},
    },
}
"""


def settings_addition(django: tuple[int, int]) -> str:
    """What goes at the end of the generated ``settings.py`` of Django ``django``."""
    # Django 5.2 takes the tasks framework from the backport (README.md).
    backport = '\n    "django_tasks",' if django < (6, 0) else ""
    # startproject of Django 6.1 writes MAILERS with the console backend, which
    # check --deploy calls development-only (mail.E001); earlier ones default to SMTP.
    mailers = (
        '\nMAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend"}}'
        if django >= (6, 1)
        else ""
    )
    return (
        SETTINGS.replace("__TASKS_BACKPORT__", backport)
        .replace("__MAILERS__", mailers)
        .replace("__SECRET_KEY__", secrets.token_urlsafe(50))
    )


MODELS = """\
from django.db import models
from django.utils.translation import gettext_lazy as _


class Product(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    sku = models.CharField(_("SKU"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, db_index=True)
    stock = models.IntegerField(_("stock"), default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )

    def __str__(self):
        return self.name
"""

ADMIN = """\
from django.contrib import admin
from toolkit.admin_ext import MultiSelectFilter, NumericRangeFilter, ToolkitModelAdmin

from .models import Product


@admin.register(Product)
class ProductAdmin(ToolkitModelAdmin):
    list_display = ["sku", "name", "price", "stock", "status"]
    search_fields = ["sku", "name"]
    list_filter = [("status", MultiSelectFilter), ("price", NumericRangeFilter)]
    list_totals = {"stock": "sum"}
    export_formats = ["csv"]
    # Above two rows an export is a background job: the check makes one of each.
    export_background_threshold = 2
"""

BASE_SITE = f"""\
{{% extends "admin/base_site.html" %}}
{{% block branding %}}
<div id="site-name"><a href="{{% url 'admin:index' %}}">{BRANDING}</a></div>
{{% endblock %}}
"""

MODEL_CHANGE_LIST = f"""\
{{% extends "admin/change_list.html" %}}
{{% block object-tools-items %}}
<li><a href="#" class="{MODEL_TEMPLATE_LINK}">Price list</a></li>
{{{{ block.super }}}}
{{% endblock %}}
"""


def write_project(root: Path, django: tuple[int, int]) -> None:
    """Add the toolkit, the app's model and admin, and the templates to the project at
    ``root`` (made by ``startproject`` and ``startapp``)."""
    settings = root / PROJECT / "settings.py"
    settings.write_text(settings.read_text() + settings_addition(django))
    (root / APP / "models.py").write_text(MODELS)
    (root / APP / "admin.py").write_text(ADMIN)
    templates = root / "templates" / "admin"
    (templates / APP / "product").mkdir(parents=True)
    (templates / "base_site.html").write_text(BASE_SITE)
    (templates / APP / "product" / "change_list.html").write_text(MODEL_CHANGE_LIST)
