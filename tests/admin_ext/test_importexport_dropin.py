"""Adding ExportMixin, ImportMixin or AIActionsMixin to an admin that works changes
nothing until they are configured; configured, they honour Django's hooks (an old
``get_actions(self, request)`` override included) and never fail on an admin whose
URLs are not routed."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo.catalog.models import Product
from tests.admin_ext.site_importexport_dropin import MixinsProductAdmin, PlainProductAdmin
from toolkit.admin_ext.importexport import ExportMixin, ImportExportMixin
from toolkit.ai.admin import AIActionsMixin
from toolkit.compat import get_actions_at

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_ext.site_importexport_dropin")]

#: Django 6.1 warns about get_actions() overrides without ``action_location``; that
#: is Django's message to the admin's author, not a failure of ours.
OLD_SIGNATURE = pytest.mark.filterwarnings("ignore:Overriding get_actions()")


def changelist(client, prefix, query=""):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/{prefix}/catalog/product/{query}")
    return response, len(queries)


def action_names(response):
    return [name for name, _label in response.context["action_form"].fields["action"].choices]


def request_for(rf, user, path="/"):
    request = rf.get(path)
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


# -- unconfigured: nothing changes -------------------------------------------------------


def test_unconfigured_mixins_add_no_action_filter_link_stylesheet_or_query(
    client, superuser, catalog
):
    client.force_login(superuser)
    changelist(client, "plain")  # warm the content-type and permission caches
    plain, plain_queries = changelist(client, "plain")
    mixins, mixins_queries = changelist(client, "mixins")
    assert plain.status_code == mixins.status_code == 200
    assert action_names(mixins) == action_names(plain) == ["", "delete_selected", "deactivate"]
    assert mixins_queries == plain_queries
    html = mixins.content.decode()
    assert "ai.css" not in html and "/import/" not in html and "export_as" not in html
    assert mixins.context["cl"].list_filter == plain.context["cl"].list_filter


def test_unconfigured_mixins_add_no_url():
    plain = {p.name for p in PlainProductAdmin(Product, admin.AdminSite()).get_urls()}
    mixins = {p.name for p in MixinsProductAdmin(Product, admin.AdminSite()).get_urls()}
    assert mixins == plain


def test_the_admins_own_list_filter_is_returned_as_it_is(rf, superuser):
    model_admin = MixinsProductAdmin(Product, admin.AdminSite())
    assert model_admin.get_list_filter(request_for(rf, superuser)) is PlainProductAdmin.list_filter


def test_self_actions_is_never_rewritten():
    class Exporting(ExportMixin, admin.ModelAdmin):
        export_formats = ("csv", "json")

    assert Exporting(Product, admin.AdminSite()).actions == ()
    assert MixinsProductAdmin(Product, admin.AdminSite()).actions == ["deactivate"]


# -- configured: get_actions() adds the actions ---------------------------------------


class ExportingAdmin(ExportMixin, admin.ModelAdmin):
    list_display = ["sku", "name"]
    export_formats = ("csv", "json")


def test_declared_formats_are_offered_by_get_actions_to_who_may_export(rf, superuser, customer):
    model_admin = ExportingAdmin(Product, admin.AdminSite())
    names = list(get_actions_at(model_admin, request_for(rf, superuser)))
    assert names == ["delete_selected", "export_as_csv", "export_as_json"]
    assert list(get_actions_at(model_admin, request_for(rf, customer))) == []
    popup = request_for(rf, superuser, "/?_popup=1")
    assert get_actions_at(model_admin, popup) == {}


@OLD_SIGNATURE
def test_an_old_get_actions_override_calling_super_keeps_the_toolkit_actions(rf, superuser):
    class Old(AIActionsMixin, ImportExportMixin, PlainProductAdmin):
        export_formats = ("csv",)
        ai_fields = ["name"]

        def get_actions(self, request):
            actions = super().get_actions(request)
            del actions["delete_selected"]
            return actions

    model_admin = Old(Product, admin.AdminSite())
    names = list(get_actions_at(model_admin, request_for(rf, superuser)))
    assert "delete_selected" not in names
    assert {"deactivate", "export_as_csv", "ai_summarize"} <= set(names)


@OLD_SIGNATURE
def test_an_old_get_actions_override_below_the_mixins_is_called_as_it_expects(rf, superuser):
    class OldBase(admin.ModelAdmin):
        def get_actions(self, request):
            return {k: v for k, v in super().get_actions(request).items() if k != "delete_selected"}

    class WithMixins(AIActionsMixin, ExportMixin, OldBase):
        export_formats = ("json",)
        ai_fields = ["name"]

    names = list(get_actions_at(WithMixins(Product, admin.AdminSite()), request_for(rf, superuser)))
    assert "delete_selected" not in names
    assert {"export_as_json", "ai_summarize"} <= set(names)


def test_an_export_action_listed_in_actions_runs_without_export_formats(rf, superuser, catalog):
    class Listed(ExportMixin, admin.ModelAdmin):
        list_display = ["sku"]
        actions = ["export_as_csv"]

    model_admin = Listed(Product, admin.AdminSite())
    request = request_for(rf, superuser)
    assert "export_as_csv" in get_actions_at(model_admin, request)
    response = model_admin.export_selected(request, Product.objects.order_by("pk")[:2], "csv")
    assert response["Content-Disposition"].startswith("attachment;")


# -- admins whose URLs are not routed ----------------------------------------------------


def test_an_unrouted_admin_links_nothing_and_raises_nothing(rf, superuser, catalog):
    from demo.catalog.resources import ProductResource

    class Unrouted(AIActionsMixin, ImportExportMixin, PlainProductAdmin):
        import_resource_class = ProductResource
        export_formats = ("csv",)
        export_background_threshold = 0
        ai_fields = ["name"]

    model_admin = Unrouted(Product, admin.AdminSite(name="nowhere"))
    request = request_for(rf, superuser)
    response = model_admin.changelist_view(request)
    assert not response.context_data.get("toolkit_import_url")
    response.render()
    assert model_admin.get_ai_proposals_url() == ""
    panel = model_admin.ai_panel_context(request, Product.objects.first())["toolkit_ai_panel"]
    assert panel["rerun_url"] == "" and panel["rerun_actions"] == []


@pytest.mark.urls("tests.admin_ext.site_importexport_unrouted")
def test_a_large_export_says_which_job_runs_it_when_job_pages_are_not_routed(
    rf, superuser, catalog
):
    model_admin = ExportingAdmin(Product, admin.AdminSite(name="nowhere"))
    model_admin.export_background_threshold = 0
    request = request_for(rf, superuser)
    assert model_admin.export_selected(request, Product.objects.all(), "csv") is None
    assert "runs in the background as job #" in [str(m) for m in request._messages][-1]
