"""``TreeRelatedFilter``: a relation to a tree, listed by path; a node matches its rows
and those of every node under it, at any depth, read in one query."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin

from demo.catalog.models import Category, Product, Supplier
from tests.admin_ext.filters.helpers import (
    PRODUCTS,
    choices_of,
    count_queries,
    link_params,
    skus,
    warnings_of,
)
from toolkit.admin_ext.filters import FiltersMixin, TreeRelatedFilter

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_ext.filters.site_tree")]

PARAM = "category__id__in_tree"


@pytest.fixture
def tree(db):
    """Electronics > Audio > Headphones (three levels), Electronics > Cables, Garden."""

    def node(name, parent=None):
        return Category.objects.create(name=name, slug=name.lower(), parent=parent)

    electronics = node("Electronics")
    audio = node("Audio", electronics)
    headphones = node("Headphones", audio)
    cables = node("cables", electronics)  # lower case: sorted regardless of case
    garden = node("Garden")
    supplier = Supplier.objects.create(name="Acme", country="DE")
    for sku, category in [
        ("E-0", electronics),
        ("A-1", audio),
        ("H-1", headphones),
        ("H-2", headphones),
        ("C-1", cables),
        ("G-1", garden),
    ]:
        Product.objects.create(
            sku=sku,
            name=f"Product {sku}",
            category=category,
            supplier=supplier,
            price=Decimal("1.00"),
            cost=Decimal("0.50"),
        )
    return {c.name: c for c in (electronics, audio, headphones, cables, garden)}


def labels(response):
    return [c["display"] for c in choices_of(response, "category")][1:]


def test_options_are_paths_sorted_by_path(admin_client, tree):
    response = admin_client.get(PRODUCTS)

    assert labels(response) == [
        "Electronics",
        "Electronics > Audio",
        "Electronics > Audio > Headphones",
        "Electronics > cables",
        "Garden",
    ]


def test_a_parent_includes_its_descendants_at_every_depth(admin_client, tree):
    response = admin_client.get(PRODUCTS, {PARAM: tree["Electronics"].pk})

    assert skus(response) == ["A-1", "C-1", "E-0", "H-1", "H-2"]


def test_a_middle_node_includes_its_children_not_its_parent(admin_client, tree):
    response = admin_client.get(PRODUCTS, {PARAM: tree["Audio"].pk})

    assert skus(response) == ["A-1", "H-1", "H-2"]


def test_a_leaf_is_itself_and_several_nodes_are_ored(admin_client, tree):
    leaf = admin_client.get(PRODUCTS, {PARAM: tree["Headphones"].pk})
    both = admin_client.get(PRODUCTS, {PARAM: f"{tree['Headphones'].pk},{tree['Garden'].pk}"})

    assert skus(leaf) == ["H-1", "H-2"]
    assert skus(both) == ["G-1", "H-1", "H-2"]


def test_facet_counts_include_the_descendants(admin_client, tree):
    response = admin_client.get(PRODUCTS, {"_facets": "True"})

    assert labels(response)[:3] == [
        "Electronics (5)",
        "Electronics > Audio (3)",
        "Electronics > Audio > Headphones (2)",
    ]


def test_each_option_toggles_its_node_in_the_selection(admin_client, tree):
    response = admin_client.get(PRODUCTS, {PARAM: tree["Garden"].pk})
    links = {c["display"]: link_params(c["query_string"]) for c in choices_of(response, "category")}

    assert links["Garden"] == {}
    assert links["Electronics > Audio"] == {PARAM: [f"{tree['Audio'].pk},{tree['Garden'].pk}"]}


def test_the_tree_is_read_in_one_query_however_deep(admin_client, tree):
    shallow, _ = count_queries(admin_client, PRODUCTS, {PARAM: tree["Electronics"].pk})
    parent = tree["Headphones"]
    for depth in range(6):
        parent = Category.objects.create(name=f"Level {depth}", slug=f"l{depth}", parent=parent)
    Product.objects.create(
        sku="DEEP",
        name="Deep",
        category=parent,
        supplier=Supplier.objects.get(),
        price=Decimal("1.00"),
        cost=Decimal("0.50"),
    )

    deep, response = count_queries(admin_client, PRODUCTS, {PARAM: tree["Electronics"].pk})

    assert deep == shallow
    assert "DEEP" in skus(response)


def test_an_unknown_node_is_a_warning_and_the_rest_applies(admin_client, tree):
    response = admin_client.get(PRODUCTS, {PARAM: f"{tree['Garden'].pk},999999"})

    assert response.status_code == 200
    assert skus(response) == ["G-1"]
    assert any("not an option of this filter" in w for w in warnings_of(response))


def test_labels_are_escaped(admin_client, tree):
    Category.objects.filter(pk=tree["Garden"].pk).update(name="<b>Garden</b>")

    html = admin_client.get(PRODUCTS).content.decode()

    assert "&lt;b&gt;Garden&lt;/b&gt;" in html and "<b>Garden</b>" not in html


def test_str_of_the_node_is_the_default_label(rf, superuser, tree):
    class ProductAdmin(FiltersMixin, admin.ModelAdmin):
        list_filter = [("category", TreeRelatedFilter)]

    site = admin.AdminSite(name="plain_tree")
    model_admin = ProductAdmin(Product, site)
    request = rf.get("/")
    request.user = superuser
    field = Product._meta.get_field("category")
    spec = TreeRelatedFilter(field, request, {}, Product, model_admin, "category")

    # Category.__str__ is already "Parent > Child": each level shows it as it is.
    assert [label for _v, label in spec.options][:2] == [
        "Electronics",
        "Electronics > Electronics > Audio",
    ]


def test_a_relation_to_a_model_without_a_parent_is_E026():
    site = admin.AdminSite(name="scratch_tree")

    class CheckedAdmin(FiltersMixin, admin.ModelAdmin):
        list_filter = [("supplier", TreeRelatedFilter)]

    messages = [m for m in CheckedAdmin(Product, site).check() if m.id == "toolkit.E026"]

    assert len(messages) == 1
    assert "catalog.Supplier has no single ForeignKey to itself" in messages[0].msg


def test_the_tree_site_passes_its_checks():
    from tests.admin_ext.filters.site_tree import site

    for model_admin in site._registry.values():
        assert [m for m in model_admin.check() if m.id.startswith("toolkit.")] == []
