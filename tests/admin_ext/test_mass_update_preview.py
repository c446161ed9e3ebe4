"""The mass update's preview and its job, on the demo's product admin, as a new user met
them: the admin stamps ``updated`` on every row it writes (``get_mass_update_values``),
offers autocomplete and plain selects for related fields, and sends large selections to
a background job.

Jobs run on the immediate backend: a job is done by the time its page would open.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.admin import site
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from demo.catalog.admin import ProductAdmin
from demo.catalog.models import Category, Product
from tests.admin_ext.action_helpers import (  # noqa: F401 (a fixture)
    client_for,
    immediate_tasks,
    messages_of,
)
from toolkit.admin_ext.actions.apply import changed_q
from toolkit.admin_ext.actions.preview import build_preview, mass_update_title
from toolkit.jobs.models import Job, JobStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

URL = "/admin/catalog/product/"


def hidden_fields(html):
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def open_page(client, data, query=""):
    response = client.post(f"{URL}?{query}", {"action": "mass_update", **data})
    assert response.status_code == 200
    return response


def submit(client, page, extra, query=""):
    data = {
        k: v for k, v in hidden_fields(page.content.decode()).items() if k != "csrfmiddlewaretoken"
    }
    data.update(extra)
    return client.post(f"{URL}?{query}", data, follow=True)


def sample_table(html):
    start = html.index("data-toolkit-preview-rows")
    return html[start : html.index("</table>", start)]


def text_of(markup):
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", markup)).split())


@pytest.fixture
def stamped_long_ago(catalog):
    """Every product's ``updated`` a day old, so a write shows."""
    Product.objects.update(updated=timezone.now() - timedelta(days=1))
    return Product.objects.all()


# -- what counts as a change ----------------------------------------------------------


def test_rows_already_holding_the_values_do_not_count_though_updated_is_stamped(
    superuser, stamped_long_ago
):
    client = client_for(superuser)
    active = list(Product.objects.filter(is_active=True).order_by("pk")[:5])
    before = {p.pk: p.updated for p in active}
    page = open_page(client, {"_selected_action": [p.pk for p in active]})
    preview = submit(client, page, {"_field": ["is_active"], "mu-is_active": "on", "_preview": "1"})
    html = preview.content.decode()

    assert "0 of 5 rows will change." in text_of(html)
    assert "Nothing would change: every selected row already holds these values." in html
    assert re.search(r'<input type="submit" name="_apply"[^>]* disabled', html)
    assert "data-toolkit-preview-rows" not in html

    # Posted anyway (a stale page, a script): a message, and no row is touched.
    done = submit(client, preview, {"_field": ["is_active"], "mu-is_active": "on", "_apply": "1"})
    assert messages_of(done) == ["Nothing changed: every selected row already holds these values."]
    assert {p.pk: p.updated for p in Product.objects.filter(pk__in=before)} == before


def test_only_rows_whose_chosen_field_differs_change_and_get_the_stamp(superuser, stamped_long_ago):
    client = client_for(superuser)
    chosen = list(Product.objects.order_by("pk")[:6])
    Product.objects.filter(pk__in=[p.pk for p in chosen[:2]]).update(is_active=False)
    Product.objects.filter(pk__in=[p.pk for p in chosen[2:]]).update(is_active=True)
    page = open_page(client, {"_selected_action": [p.pk for p in chosen]})
    data = {"_field": ["is_active"]}  # an unticked checkbox: the new value is "no"
    preview = submit(client, page, {**data, "_preview": "1"})
    assert "4 of 6 rows will change." in text_of(preview.content.decode())

    done = submit(client, preview, {**data, "_apply": "1"})
    assert "4 products updated." in messages_of(done)
    day_ago = timezone.now() - timedelta(hours=1)
    rows = Product.objects.filter(pk__in=[p.pk for p in chosen]).order_by("pk")
    assert [p.is_active for p in rows] == [False] * 6
    assert [p.updated > day_ago for p in rows] == [False, False, True, True, True, True]


def test_changed_q_treats_null_as_a_value_of_its_own():
    """IS DISTINCT FROM: NULL differs from a category, and equals NULL."""
    top = Category.objects.create(name="Top", slug="top")
    other = Category.objects.create(name="Other", slug="other")
    child = Category.objects.create(name="Child", slug="child", parent=top)
    orphan = Category.objects.create(name="Orphan", slug="orphan")
    nested = Category.objects.create(name="Nested", slug="nested", parent=other)
    scope = Category.objects.filter(pk__in=[child.pk, orphan.pk, nested.pk])

    def changing(values):
        return set(scope.filter(changed_q(values)).values_list("name", flat=True))

    assert changing({"parent": top}) == {"Orphan", "Nested"}
    assert changing({"parent": None}) == {"Child", "Nested"}
    assert changing({"parent": top, "name": "Child"}) == {"Orphan", "Nested"}
    assert changing({}) == set()


# -- what the preview shows -------------------------------------------------------------


def test_preview_shows_up_to_20_rows_with_display_values_before_and_after(
    superuser, stamped_long_ago
):
    client = client_for(superuser)
    chosen = list(Product.objects.order_by("pk")[:25])
    Product.objects.filter(pk__in=[p.pk for p in chosen]).update(status="active", is_active=True)
    target = Category.objects.exclude(pk=chosen[0].category_id).order_by("pk").first()
    page = open_page(client, {"_selected_action": [p.pk for p in chosen]})
    preview = submit(
        client,
        page,
        {
            "_field": ["status", "is_active", "category"],
            "mu-status": "discontinued",
            "mu-category": str(target.pk),
            "_preview": "1",
        },
    )
    html = preview.content.decode()
    assert "25 of 25 rows will change." in text_of(html)
    table = sample_table(html)
    header = text_of(table[table.index("<thead>") : table.index("</thead>")])
    assert header == "Product Status Is active Category"
    body_rows = re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody>") :], re.DOTALL)
    assert len(body_rows) == 20
    assert "The first 20 rows that change, before → after" in table
    assert "…and 5 more rows." in html

    first = chosen[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", body_rows[0], re.DOTALL)
    assert text_of(body_rows[0]).startswith(text_of(str(first)))
    assert text_of(cells[0]) == "Active → Discontinued"  # the choices' labels
    assert 'alt="True"' in cells[1] and 'alt="False"' in cells[1]  # the admin's icons
    assert text_of(cells[2]) == f"{first.category} → {target}"  # str() of the objects


def test_a_field_a_row_already_holds_reads_unchanged(superuser, stamped_long_ago):
    client = client_for(superuser)
    chosen = list(Product.objects.order_by("pk")[:2])
    Product.objects.filter(pk__in=[p.pk for p in chosen]).update(status="draft", stock=5)
    Product.objects.filter(pk=chosen[0].pk).update(stock=9)
    page = open_page(client, {"_selected_action": [p.pk for p in chosen]})
    data = {"_field": ["status", "stock"], "mu-status": "draft", "mu-stock": "5", "_preview": "1"}
    html = submit(client, page, data).content.decode()
    assert "1 of 2 rows will change." in text_of(html)
    table = sample_table(html)
    assert "Draft (unchanged)" in text_of(table)
    assert "9 → 5" in text_of(table)


def test_preview_costs_one_count_and_one_limited_query(superuser, stamped_long_ago):
    admin = ProductAdmin(Product, site)
    with CaptureQueriesContext(connection) as queries:
        preview = build_preview(
            admin, Product.objects.all(), {"status": "discontinued"}, ["status"]
        )
    assert preview.total == 60 and 0 < preview.changing < 60
    assert len(preview.rows) == 20
    assert len(queries) == 2
    count, sample = (q["sql"].upper() for q in queries.captured_queries)
    assert count.count("COUNT(") == 2 and "LIMIT" not in count
    assert "LIMIT 20" in sample


# -- the form ---------------------------------------------------------------------------


def test_every_value_box_has_a_label_and_related_selects_have_no_icons(superuser, catalog):
    client = client_for(superuser)
    page = open_page(client, {"_selected_action": [Product.objects.first().pk]})
    html = page.content.decode()
    for name in ("price", "cost", "stock", "status", "is_active", "category", "supplier"):
        assert f'<label for="id_mu-{name}"' in html, name
        assert f'<label for="toolkit-mu-tick-{name}"' in html, name
    label = re.search(r'<label for="id_mu-is_active"[^>]*>(.*?)</label>', html).group(1)
    assert text_of(label) == "New value of Is active"
    for icon in ("related-widget-wrapper", "change-related", "add-related", "delete-related"):
        assert icon not in html


def test_a_bad_value_is_a_form_error_not_a_500(superuser, catalog):
    client = client_for(superuser)
    page = open_page(client, {"_selected_action": [Product.objects.first().pk]})
    response = submit(
        client, page, {"_field": ["category"], "mu-category": "nope", "_preview": "1"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "data-toolkit-preview" not in response.content.decode()


# -- the job of a large selection ----------------------------------------------------


@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setattr(ProductAdmin, "bulk_background_threshold", 20, raising=False)


def test_a_large_mass_update_is_a_job_titled_in_words_that_links_back_to_its_list(
    superuser, stamped_long_ago, small_threshold, django_capture_on_commit_callbacks
):
    client = client_for(superuser)
    query = "is_active__exact=1&o=2"
    active = Product.objects.filter(is_active=True)
    count = active.count()
    assert count > 20
    page = open_page(client, {"select_across": "1", "_selected_action": ["0"]}, query=query)
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, page, {"_field": ["is_active"], "_apply": "1"}, query=query)
    job = Job.objects.get()
    assert job.status == JobStatus.DONE, job.error
    assert job.description == f"Mass update of {count} products: Is active = no"
    assert job.origin == f"{URL}?{query}"
    assert not Product.objects.filter(pk__in=active.values("pk")).filter(is_active=True).exists()

    html = client.get(job.get_absolute_url()).content.decode()
    assert f"Mass update of {count} products: Is active = no" in html
    assert f'<a href="{URL}?is_active__exact=1&amp;o=2">Back to the products list</a>' in html
    assert response.redirect_chain[0][0] == job.get_absolute_url()


def test_a_thousands_count_is_grouped_in_the_title():
    admin = ProductAdmin(Product, site)
    title = mass_update_title(admin, 4386, {"is_active": True}, ["is_active"])
    assert title == "Mass update of 4,386 products: Is active = yes"
    one = mass_update_title(admin, 1, {"status": "discontinued"}, ["status"])
    assert one == "Mass update of 1 product: Status = Discontinued"


def test_a_large_toggle_is_titled_in_words_too(
    superuser, catalog, small_threshold, django_capture_on_commit_callbacks
):
    client = client_for(superuser)
    inactive = Product.objects.filter(is_active=False).count()
    total = Product.objects.count()
    data = {"action": "toggle_is_active_on", "select_across": "1", "_selected_action": ["0"]}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, data)
    job = Job.objects.get()
    assert job.description == f"Mass update of {total} products: Is active = yes"
    assert job.status == JobStatus.DONE and job.done == total
    assert inactive and not Product.objects.filter(is_active=False).exists()
