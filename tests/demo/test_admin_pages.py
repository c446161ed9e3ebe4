"""Every page of the demo admin renders for the people who may see it, and only for them."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from demo.catalog.models import Product

CATALOG_MODELS = [m for m in admin.site._registry if m._meta.app_label == "catalog"]


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def logged_in(client, superuser):
    client.force_login(superuser)
    return client


def test_every_catalog_model_is_registered():
    names = {m._meta.model_name for m in CATALOG_MODELS}
    assert names == {"category", "supplier", "tag", "product", "stockmovement", "review"}


@pytest.mark.parametrize("model", CATALOG_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_renders_for_superuser(logged_in, catalog, model):
    response = logged_in.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count > 0


@pytest.mark.parametrize("model", CATALOG_MODELS, ids=lambda m: m._meta.model_name)
def test_change_form_renders_for_superuser(logged_in, catalog, model):
    obj = model.objects.order_by("pk").first()
    response = logged_in.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200
    assert response.context["original"] == obj


@pytest.mark.parametrize("model", CATALOG_MODELS, ids=lambda m: m._meta.model_name)
def test_add_form_renders_for_superuser(logged_in, catalog, model):
    assert logged_in.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", CATALOG_MODELS, ids=lambda m: m._meta.model_name)
def test_non_staff_user_is_redirected_to_login(client, customer, catalog, model):
    client.force_login(customer)
    url = admin_url(model, "changelist")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_anonymous_visitor_is_redirected_to_login(client, catalog):
    response = client.get(admin_url(Product, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_view_only_staff_sees_product_but_cannot_change_it(client, viewer, catalog):
    client.force_login(viewer)
    product = Product.objects.order_by("pk").first()
    assert client.get(admin_url(Product, "changelist")).status_code == 200
    page = client.get(admin_url(Product, "change", product.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    response = client.post(admin_url(Product, "change", product.pk), {"name": "Hacked"})
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.name != "Hacked"


def test_product_search_finds_by_sku(logged_in, catalog):
    product = Product.objects.order_by("pk").first()
    response = logged_in.get(admin_url(Product, "changelist"), {"q": product.sku})
    assert list(response.context["cl"].result_list) == [product]
