"""A theme the toolkit does not know degrades to working pages, never to a broken one.

A project's own ``admin/base.html`` stands in for such a theme: ``bare`` (minimal
markup, the admin's blocks, none of its stylesheets) and ``content_only`` (one block
for the content and nothing else: no stylesheet or script of the admin's or the
toolkit's is even linked). Under each, through the test client, the product list,
its toolkit filters and search (bad input too), a bulk action's page and a job's page
answer 200 with the toolkit's own elements in them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from demo.catalog.models import Product
from toolkit.jobs.models import Job, JobStatus

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PRODUCTS = "/admin/catalog/product/"


@pytest.fixture(params=["bare", "content_only"])
def unknown_theme(request, settings):
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [
        {**engine, "DIRS": [TEMPLATES_DIR / request.param, *engine["DIRS"]]},
        *settings.TEMPLATES[1:],
    ]
    return request.param


@pytest.fixture
def admin_client_themed(client, superuser, catalog, unknown_theme):
    client.force_login(superuser)
    return client


def body_of(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def skus_in(html):
    return sorted(re.findall(r'<th class="field-sku"><a href="[^"]*">([^<]+)</a>', html))


def test_the_theme_is_in_effect(admin_client_themed, unknown_theme):
    html = body_of(admin_client_themed.get(PRODUCTS))
    assert f"{unknown_theme.replace('_', '-')}-theme" in html
    assert "admin/css/base.css" not in html


def test_changelist_keeps_the_toolkit_filters_saved_views_and_totals(admin_client_themed):
    html = body_of(admin_client_themed.get(PRODUCTS))
    assert 'data-filter-title="status"' in html
    assert 'data-filter-title="price"' in html
    assert "toolkit-saved-views-menu" in html
    assert "toolkit-totals" in html
    assert len(skus_in(html)) == 50


def test_qualified_search_and_toolkit_filters_narrow_the_rows(admin_client_themed):
    product = Product.objects.order_by("sku")[3]
    html = body_of(admin_client_themed.get(PRODUCTS, {"q": f"sku:{product.sku.lower()}"}))
    assert skus_in(html) == [product.sku]

    html = body_of(
        admin_client_themed.get(PRODUCTS, {"status__in": "draft,discontinued", "price__gte": "20"})
    )
    expected = Product.objects.filter(status__in=["draft", "discontinued"], price__gte=20)
    assert skus_in(html) == sorted(expected.values_list("sku", flat=True)[:50])


@pytest.mark.parametrize(
    "query",
    [{"q": 'sku:"unclosed'}, {"price__gte": "cheap"}, {"status__in": "no-such-status"}],
    ids=["unclosed-quote", "not-a-number", "unknown-choice"],
)
def test_bad_input_is_a_page_not_a_500(admin_client_themed, query):
    response = admin_client_themed.get(PRODUCTS, query)
    assert response.status_code in (200, 302)


def test_bulk_action_page_renders_its_form(admin_client_themed):
    pks = list(Product.objects.values_list("pk", flat=True)[:5])
    html = body_of(
        admin_client_themed.post(
            PRODUCTS, {"action": "mass_update", "_selected_action": pks, "index": 0}
        )
    )
    assert 'id="id_mu-stock"' in html


def test_job_page_shows_its_progress_panel(admin_client_themed, superuser):
    job = Job.objects.create(
        kind="tests.bump_stock",
        description="Reprice the catalog",
        started_by=superuser,
        status=JobStatus.RUNNING,
        total=200,
        done=20,
    )
    html = body_of(admin_client_themed.get(reverse("admin:toolkit_jobs_job_change", args=[job.pk])))
    assert 'id="toolkit-job-progress"' in html
    assert re.search(r'data-job-field="percent">\s*10\s*<', html)
