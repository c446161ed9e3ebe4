"""A URLconf without the default admin site: the jobs' pages cannot be reversed."""

from __future__ import annotations

from django.urls import path

from tests.admin_ext.site_importexport_dropin import plain_site

urlpatterns = [path("plain/", plain_site.urls)]
