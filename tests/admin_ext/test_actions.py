"""Bulk actions: mass update, toggles, duplicate and a delete that scales.

The site under test (``tests.admin_ext.site_actions``) sends selections above 20 rows to
a background job; jobs run on the immediate backend here, so a job is done by the time
its progress page would open.
"""

from __future__ import annotations

import re

import django
import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import Permission
from django.core import signing
from django.db.models import Q
from django.test import Client

from demo.catalog.models import Category, Product, Review, StockMovement, Supplier
from tests.admin_ext.action_helpers import (  # noqa: F401 (a fixture)
    client_for,
    immediate_tasks,
    messages_of,
    staff,
)
from toolkit.admin_ext.selection import Selection
from toolkit.jobs.models import Job, JobStatus

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("tests.admin_ext.site_actions"),
    pytest.mark.usefixtures("immediate_tasks"),
]

URL = "/admin/catalog/product/"


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the on_commit callbacks (a job's enqueue) of the block, as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def hidden_fields(html):
    """Name/value of every hidden input of the confirmation form."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def selection_fields(html):
    """The hidden fields that carry the selection (not the form widgets' own)."""
    return {k for k in hidden_fields(html) if not k.startswith(("initial-", "mu-"))}


def pks(queryset):
    return [str(pk) for pk in queryset.values_list("pk", flat=True)]


def mass_update_page(client, selected, query=""):
    response = client.post(
        f"{URL}?{query}", {"action": "mass_update", "_selected_action": selected}
    )
    assert response.status_code == 200
    return response


def confirm(client, page, extra, query=""):
    """Submit a confirmation page: its hidden fields plus the person's input."""
    data = {
        k: v for k, v in hidden_fields(page.content.decode()).items() if k != "csrfmiddlewaretoken"
    }
    data.update(extra)
    return client.post(f"{URL}?{query}", data, follow=True)


# -- mass update -------------------------------------------------------------------------


def test_mass_update_previews_the_count_then_applies_and_logs_each_row(catalog, superuser):
    client = client_for(superuser)
    chosen = list(Product.objects.order_by("pk")[:5])
    Product.objects.filter(pk=chosen[0].pk).update(status="discontinued")
    page = mass_update_page(client, [p.pk for p in chosen])
    assert b'name="mu-status"' in page.content and b'name="_field"' in page.content

    preview = confirm(
        client, page, {"_field": ["status"], "mu-status": "discontinued", "_preview": "1"}
    )
    assert "4 of 5 rows will change." in preview.content.decode()
    assert Product.objects.filter(pk__in=[p.pk for p in chosen], status="discontinued").count() == 1

    done = confirm(
        client, preview, {"_field": ["status"], "mu-status": "discontinued", "_apply": "1"}
    )
    assert done.redirect_chain[-1][0].startswith(URL)
    assert "4 products updated." in messages_of(done)
    assert Product.objects.filter(pk__in=[p.pk for p in chosen], status="discontinued").count() == 5
    entries = LogEntry.objects.filter(action_flag=CHANGE, user=superuser)
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(
        str(p.pk) for p in chosen[1:]
    )
    assert entries.first().get_change_message() == "Changed status."


def test_an_action_post_neither_counts_nor_fetches_the_list(catalog, superuser):
    """The changelist's page of results and its counts are never shown after an action's
    POST (its own page or a redirect follows): on a million rows they cost seconds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(superuser)
    chosen = pks(Product.objects.order_by("pk")[:3])
    with CaptureQueriesContext(connection) as queries:
        page = client.post(
            f"{URL}?status__exact=active",
            {"action": "mass_update", "select_across": "1", "_selected_action": chosen[:1]},
        )
    assert page.status_code == 200 and b'name="mu-stock"' in page.content
    product_sql = [q["sql"] for q in queries if '"catalog_product"' in q["sql"]]
    assert not [sql for sql in product_sql if "COUNT(" in sql.upper()], product_sql
    # The list itself still renders its page and counts on a GET.
    with CaptureQueriesContext(connection) as queries:
        client.get(f"{URL}?status__exact=active")
    assert any("COUNT(" in q["sql"].upper() for q in queries)


def test_a_value_of_the_wrong_type_is_a_form_error_and_changes_nothing(catalog, superuser):
    client = client_for(superuser)
    chosen = pks(Product.objects.order_by("pk")[:3])
    before = list(Product.objects.order_by("pk").values_list("price", flat=True)[:3])
    page = mass_update_page(client, chosen)
    for step in ("_preview", "_apply"):
        response = confirm(client, page, {"_field": ["price"], "mu-price": "twelve", step: "1"})
        assert response.status_code == 200
        assert "Enter a number." in response.content.decode()
        assert "rows will change" not in response.content.decode()
    assert list(Product.objects.order_by("pk").values_list("price", flat=True)[:3]) == before
    assert not LogEntry.objects.exists()


def test_unticked_fields_are_neither_validated_nor_written(catalog, superuser):
    client = client_for(superuser)
    chosen = pks(Product.objects.order_by("pk")[:3])
    page = mass_update_page(client, chosen)
    response = confirm(
        client, page, {"_field": ["stock"], "mu-stock": "7", "mu-price": "junk", "_apply": "1"}
    )
    assert "3 products updated." in messages_of(response)
    assert set(Product.objects.filter(pk__in=chosen).values_list("stock", flat=True)) == {7}


def test_submitting_without_a_ticked_field_says_so(catalog, superuser):
    client = client_for(superuser)
    page = mass_update_page(client, pks(Product.objects.all()[:2]))
    response = confirm(client, page, {"mu-stock": "7", "_preview": "1"})
    assert "Tick at least one field to change." in response.content.decode()


def test_fields_outside_mass_update_fields_are_ignored(catalog, superuser):
    client = client_for(superuser)
    chosen = pks(Product.objects.order_by("pk")[:2])
    page = mass_update_page(client, chosen)
    assert b"mu-sku" not in page.content
    response = confirm(client, page, {"_field": ["sku"], "mu-sku": "HACKED", "_apply": "1"})
    assert "Tick at least one field to change." in response.content.decode()
    assert not Product.objects.filter(sku="HACKED").exists()


def test_per_object_save_runs_when_the_model_overrides_save(catalog, superuser):
    # Product.save() stamps `updated`; a plain UPDATE would skip it.
    chosen = Product.objects.order_by("pk")[:2]
    Product.objects.filter(pk__in=chosen.values("pk")).update(updated="2000-01-01T00:00:00Z")
    client = client_for(superuser)
    page = mass_update_page(client, pks(chosen))
    confirm(client, page, {"_field": ["stock"], "mu-stock": "123456", "_apply": "1"})
    changed = Product.objects.filter(stock=123456)
    assert changed.count() == 2 and all(p.updated.year > 2000 for p in changed)


def test_without_per_object_logic_one_update_changes_the_rows(
    catalog, superuser, django_assert_max_num_queries
):
    client = client_for(superuser)
    chosen = pks(Supplier.objects.all())
    page = client.post(
        "/admin/catalog/supplier/", {"action": "mass_update", "_selected_action": chosen}
    )
    data = dict(hidden_fields(page.content.decode()))
    data.update({"_field": ["country"], "mu-country": "NO", "_apply": "1"})
    # Queries do not grow with the rows: session, user, changelist, one UPDATE, one
    # bulk insert of log entries...
    with django_assert_max_num_queries(25):
        client.post("/admin/catalog/supplier/", data)
    assert set(Supplier.objects.values_list("country", flat=True)) == {"NO"}
    assert LogEntry.objects.filter(action_flag=CHANGE).count() == len(chosen)


def test_select_across_mass_update_runs_as_a_job_on_the_filtered_rows(
    catalog, superuser, run_on_commit
):
    client = client_for(superuser)
    active = Product.objects.filter(status="active")
    assert active.count() > 20  # above the site's background threshold
    page_pks = pks(active.order_by("pk")[:3])  # the visible page's ticks: ignored
    page = client.post(
        f"{URL}?status__exact=active",
        {"action": "mass_update", "select_across": "1", "_selected_action": page_pks},
    )
    assert b"Every row that matches" in page.content
    assert selection_fields(page.content.decode()) == {
        "csrfmiddlewaretoken",
        "action",
        "select_across",
        "_selected_action",
        "_selection",
    }
    with run_on_commit():
        response = confirm(
            client,
            page,
            {"_field": ["stock"], "mu-stock": "999", "_apply": "1"},
            query="status__exact=active",
        )
    job = Job.objects.get()
    assert response.redirect_chain[0][0] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.total == job.done == active.count()
    assert set(active.values_list("stock", flat=True)) == {999}
    assert not Product.objects.exclude(status="active").filter(stock=999).exists()
    # Above mass_update_log_each_limit (30): one summary entry instead of one per row.
    summary = LogEntry.objects.get(action_flag=CHANGE)
    assert summary.object_id is None and f"{job.done} products" in summary.object_repr


def test_select_across_posts_no_pks_and_fits_the_default_field_limit(
    superuser, settings, run_on_commit
):
    import io

    from django.core.management import call_command

    call_command("seed_catalog", products=1200, seed=3, stdout=io.StringIO())
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000
    client = client_for(superuser)
    visible = pks(Product.objects.order_by("pk")[:100])
    page = client.post(
        URL, {"action": "delete_selected", "select_across": "1", "_selected_action": visible}
    )
    html = page.content.decode()
    assert html.count("<input") < 10  # Django's own page has one hidden input per row
    assert "1200" in html
    with run_on_commit():
        response = confirm(client, page, {"post": "yes"})
    job = Job.objects.get()
    assert response.redirect_chain[0][0] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.done == 1200
    assert not Product.objects.exists() and not StockMovement.objects.exists()
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 1200


def test_stale_selection_changes_only_what_is_left_and_says_how_many(catalog, superuser):
    client = client_for(superuser)
    chosen = list(Product.objects.order_by("pk")[:4])
    page = mass_update_page(client, [p.pk for p in chosen])
    chosen[0].delete()
    response = confirm(client, page, {"_field": ["stock"], "mu-stock": "5", "_apply": "1"})
    assert "3 products updated." in messages_of(response)


# -- toggles -----------------------------------------------------------------------------


def test_toggle_actions_set_and_clear_a_boolean_with_log_entries(catalog, superuser):
    client = client_for(superuser)
    chosen = pks(Product.objects.order_by("pk")[:3])
    response = client.get(URL)
    assert b"toggle_is_active_off" in response.content
    response = client.post(
        URL, {"action": "toggle_is_active_off", "_selected_action": chosen}, follow=True
    )
    assert not Product.objects.filter(pk__in=chosen, is_active=True).exists()
    assert LogEntry.objects.filter(action_flag=CHANGE).count() == 3
    client.post(URL, {"action": "toggle_is_active_on", "_selected_action": chosen})
    assert Product.objects.filter(pk__in=chosen, is_active=True).count() == 3


def test_toggle_across_many_rows_is_a_job(catalog, superuser, run_on_commit):
    client = client_for(superuser)
    with run_on_commit():
        response = client.post(
            URL + "?q=a",
            {"action": "toggle_is_active_off", "select_across": "1", "_selected_action": ["1"]},
        )
    job = Job.objects.get()
    assert response.url == job.get_absolute_url()
    # Every changelist job leads back to the list it came from, filters included.
    assert job.origin == URL + "?q=a"
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert not Product.objects.filter(is_active=True, name__icontains="a").exists()


# -- duplicate ---------------------------------------------------------------------------


def test_duplicate_fixes_unique_fields_copies_tags_and_logs(catalog, superuser):
    original = Product.objects.filter(tags__isnull=False).order_by("pk").first()
    client = client_for(superuser)
    for _ in range(2):
        client.post(URL, {"action": "duplicate_selected", "_selected_action": [original.pk]})
    first = Product.objects.get(sku=f"{original.sku}-copy")
    second = Product.objects.get(sku=f"{original.sku}-copy-2")
    assert set(first.tags.all()) == set(original.tags.all()) == set(second.tags.all())
    assert first.name == original.name and first.price == original.price
    assert LogEntry.objects.filter(action_flag=ADDITION, object_id=str(first.pk)).exists()


def test_duplicate_respects_max_length(catalog, superuser):
    original = Product.objects.order_by("pk").first()
    original.sku = "X" * 32
    original.save()
    client_for(superuser).post(
        URL, {"action": "duplicate_selected", "_selected_action": [original.pk]}
    )
    copy = Product.objects.exclude(pk=original.pk).get(sku__endswith="-copy")
    assert len(copy.sku) == 32 and copy.sku == "X" * 27 + "-copy"


def test_duplicate_needs_the_add_permission(catalog, django_user_model):
    changer = staff(django_user_model, "changer", "view_product", "change_product")
    client = client_for(changer)
    assert b"duplicate_selected" not in client.get(URL).content
    before = Product.objects.count()
    response = client.post(
        URL,
        {"action": "duplicate_selected", "_selected_action": pks(Product.objects.all()[:2])},
        follow=True,
    )
    # Offered other actions, the person gets Django's own answer to one outside them.
    assert "No action selected." in messages_of(response)
    assert Product.objects.count() == before


@pytest.mark.skipif(django.VERSION < (6, 1), reason="action locations arrived in Django 6.1")
def test_duplicate_is_offered_on_the_change_form(catalog, superuser):
    obj = Product.objects.order_by("pk").first()
    client = client_for(superuser)
    page = client.get(f"{URL}{obj.pk}/change/")
    assert b"duplicate_selected" in page.content
    assert b"toggle_is_active_off" in page.content
    assert b'value="mass_update"' not in page.content
    client.post(
        f"{URL}{obj.pk}/change/",
        {"CHANGE_FORM-action": "duplicate_selected", "_selected_action": str(obj.pk)},
    )
    assert Product.objects.filter(sku=f"{obj.sku}-copy").exists()


# -- delete ------------------------------------------------------------------------------


@pytest.fixture
def summary_delete(monkeypatch):
    """The summary confirmation for every selection (``delete_list_max_objects = 0``),
    as for one too large for Django's page."""
    from tests.admin_ext.site_actions import ProductAdmin

    monkeypatch.setattr(ProductAdmin, "delete_list_max_objects", 0)


def test_a_small_delete_is_confirmed_and_done_as_django_does_it(catalog, superuser):
    chosen_pks = pks(Product.objects.order_by("pk")[:5])
    client = client_for(superuser)
    page = client.post(URL, {"action": "delete_selected", "_selected_action": chosen_pks})
    assert "admin/delete_selected_confirmation.html" in [t.name for t in page.templates]
    assert "Are you sure you want to delete the selected products?" in page.content.decode()
    # Django's page posts one field per row.
    response = client.post(
        URL,
        {"action": "delete_selected", "_selected_action": chosen_pks, "post": "yes"},
        follow=True,
    )
    assert "Successfully deleted 5 products." in messages_of(response)
    assert not Product.objects.filter(pk__in=chosen_pks).exists()
    assert not StockMovement.objects.filter(product__in=chosen_pks).exists()
    assert sorted(
        LogEntry.objects.filter(action_flag=DELETION).values_list("object_id", flat=True)
    ) == sorted(chosen_pks)


def test_delete_confirmation_summarises_the_cascade_with_counts(catalog, superuser, summary_delete):
    chosen = Product.objects.order_by("pk")[:5]
    chosen_pks = pks(chosen)
    movements = StockMovement.objects.filter(product__in=chosen_pks).count()
    reviews = Review.objects.filter(product__in=chosen_pks).count()
    client = client_for(superuser)
    page = client.post(URL, {"action": "delete_selected", "_selected_action": chosen_pks})
    html = page.content.decode()
    assert "<td>Products</td><td data-toolkit-count>5</td>" in html
    assert f"<td>Stock movements</td><td data-toolkit-count>{movements}</td>" in html
    if reviews:
        assert f"<td>Reviews</td><td data-toolkit-count>{reviews}</td>" in html
    response = confirm(client, page, {"post": "yes"})
    assert "Successfully deleted 5 products." in messages_of(response)
    assert not Product.objects.filter(pk__in=chosen_pks).exists()
    assert not StockMovement.objects.filter(product__in=chosen_pks).exists()
    assert sorted(
        LogEntry.objects.filter(action_flag=DELETION).values_list("object_id", flat=True)
    ) == sorted(chosen_pks)


def test_a_cascade_larger_than_djangos_page_lists_gets_the_summary(catalog, superuser, monkeypatch):
    from tests.admin_ext.site_actions import ProductAdmin

    chosen = pks(Product.objects.filter(movements__isnull=False).distinct().order_by("pk")[:3])
    cascade = 3 + sum(
        model.objects.filter(product__in=chosen).count()
        for model in (StockMovement, Review, Product.tags.through)
    )
    monkeypatch.setattr(ProductAdmin, "delete_list_max_objects", cascade - 1)
    client = client_for(superuser)
    page = client.post(URL, {"action": "delete_selected", "_selected_action": chosen})
    assert "toolkit/admin_ext/actions/delete_confirmation.html" in [t.name for t in page.templates]
    assert "<td>Products</td><td data-toolkit-count>3</td>" in page.content.decode()


def test_a_selection_above_the_background_threshold_gets_the_summary(catalog, superuser):
    # 21 rows: above the site's threshold of 20, so its "Yes" starts a job.
    chosen = pks(Product.objects.order_by("pk")[:21])
    page = client_for(superuser).post(
        URL, {"action": "delete_selected", "_selected_action": chosen}
    )
    html = page.content.decode()
    assert "<td>Products</td><td data-toolkit-count>21</td>" in html
    assert "deleted in the background" in html


def test_delete_confirmation_caps_related_counts_but_counts_the_selection(
    catalog, superuser, monkeypatch, summary_delete
):
    from tests.admin_ext.site_actions import ProductAdmin

    monkeypatch.setattr(ProductAdmin, "delete_summary_count_limit", 3)
    chosen = pks(Product.objects.order_by("pk")[:10])
    assert StockMovement.objects.filter(product__in=chosen).count() > 3
    page = client_for(superuser).post(
        URL, {"action": "delete_selected", "_selected_action": chosen}
    )
    html = page.content.decode()
    assert "<td>Products</td><td data-toolkit-count>10</td>" in html
    assert "<td>Stock movements</td><td data-toolkit-count>more than 3</td>" in html
    assert "Yes, delete 10 rows" in html
    assert Product.objects.filter(pk__in=chosen).count() == 10


def test_delete_confirmation_posts_the_same_fields_whatever_the_size(
    catalog, superuser, summary_delete
):
    client = client_for(superuser)
    few = client.post(
        URL, {"action": "delete_selected", "_selected_action": pks(Product.objects.all()[:2])}
    )
    many = client.post(
        URL, {"action": "delete_selected", "_selected_action": pks(Product.objects.all())}
    )
    assert set(hidden_fields(few.content.decode())) == set(hidden_fields(many.content.decode()))
    assert len(hidden_fields(many.content.decode())) == 6


def test_delete_replaces_djangos_delete_selected(catalog, superuser):
    from django.contrib.admin.actions import delete_selected

    from .site_actions import site

    actions = site.get_model_admin(Product).get_actions(_request(superuser))
    entry = actions["delete_selected"]
    func = entry[0] if isinstance(entry, tuple) else entry.func
    assert func is not delete_selected and func.allowed_permissions == ["delete"]


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get(URL)
    request.user = user
    return request


@pytest.mark.parametrize("page", ["djangos", "summary"])
def test_delete_is_refused_without_delete_permission_on_the_cascade(
    catalog, django_user_model, monkeypatch, page
):
    from tests.admin_ext.site_actions import ProductAdmin

    if page == "summary":
        monkeypatch.setattr(ProductAdmin, "delete_list_max_objects", 0)
    # May delete products but not the stock movements that cascade with them.
    deleter = staff(django_user_model, "deleter", "view_product", "delete_product")
    chosen = pks(Product.objects.filter(movements__isnull=False).distinct()[:2])
    client = client_for(deleter)
    shown = client.post(URL, {"action": "delete_selected", "_selected_action": chosen})
    assert b"have permission to delete the following types of objects" in shown.content
    assert b"<li>stock movement</li>" in shown.content
    assert b'name="post"' not in shown.content
    # A token from a time the cascade was allowed (or forged with the key) is refused
    # all the same: permissions are checked again on the confirming POST; so is
    # Django's own POST.
    from .site_actions import site

    selection = Selection.for_objects(
        site.get_model_admin(Product), list(Product.objects.filter(pk__in=chosen))
    )
    token = signing.dumps(
        {"s": selection.to_dict(), "u": str(deleter.pk), "a": "delete_selected"},
        salt="toolkit.admin_ext.actions.selection",
        compress=True,
    )
    forged = {
        "action": "delete_selected",
        "select_across": "1",
        "_selected_action": chosen[0],
        "_selection": token,
        "post": "yes",
    }
    assert client.post(URL, forged).status_code == 403
    djangos = client.post(
        URL, {"action": "delete_selected", "_selected_action": chosen, "post": "yes"}
    )
    if page == "djangos":
        assert djangos.status_code == 403
    else:  # too large for Django's page: shown the summary's answer, not deleted unseen
        assert b"have permission to delete the following types of objects" in djangos.content
    assert Product.objects.filter(pk__in=chosen).count() == 2


@pytest.mark.parametrize("page", ["djangos", "summary"])
def test_delete_of_protected_rows_says_what_protects_them(catalog, superuser, monkeypatch, page):
    from tests.admin_ext.site_actions import CategoryAdmin

    if page == "summary":
        monkeypatch.setattr(CategoryAdmin, "delete_list_max_objects", 0)
    category = Category.objects.filter(products__isnull=False).first()
    product = category.products.order_by("pk").first()
    shown = client_for(superuser).post(
        "/admin/catalog/category/", {"action": "delete_selected", "_selected_action": [category.pk]}
    )
    html = shown.content.decode()
    assert shown.status_code == 200
    assert "would require deleting the following protected related objects" in html
    assert f'<a href="/admin/catalog/product/{product.pk}/change/">' in html
    assert 'name="post"' not in html
    assert Category.objects.filter(pk=category.pk).exists()


# -- permissions and forged requests ------------------------------------------------------


def test_a_viewer_neither_sees_nor_can_post_the_actions(catalog, viewer):
    client = client_for(viewer)
    page = client.get(URL).content.decode()
    for name in ("mass_update", "duplicate_selected", "delete_selected", "toggle_is_active_off"):
        assert f'value="{name}"' not in page
    before = list(Product.objects.values_list("pk", "stock", "is_active"))
    chosen = pks(Product.objects.all()[:3])
    for name in ("mass_update", "toggle_is_active_off", "delete_selected", "duplicate_selected"):
        response = client.post(
            URL,
            {
                "action": name,
                "_selected_action": chosen,
                "_field": ["stock"],
                "mu-stock": "1",
                "_apply": "1",
                "post": "yes",
            },
            follow=True,
        )
        assert any("may not run" in m for m in messages_of(response))
    assert list(Product.objects.values_list("pk", "stock", "is_active")) == before


def test_non_staff_is_sent_to_the_login_page(catalog, customer):
    response = client_for(customer).post(
        URL, {"action": "delete_selected", "_selected_action": ["1"]}
    )
    assert response.status_code == 302 and "/login/" in response.url
    assert Product.objects.count() == 60


def test_staff_with_change_but_not_delete_cannot_post_a_delete(catalog, django_user_model):
    changer = staff(django_user_model, "changer", "view_product", "change_product")
    client = client_for(changer)
    page = client.get(URL).content.decode()
    assert 'value="mass_update"' in page and 'value="delete_selected"' not in page
    response = client.post(
        URL,
        {
            "action": "delete_selected",
            "_selected_action": pks(Product.objects.all()[:2]),
            "post": "yes",
        },
        follow=True,
    )
    assert "No action selected." in messages_of(response)
    assert Product.objects.count() == 60


def test_a_confirmation_token_of_another_person_changes_nothing(
    catalog, superuser, django_user_model
):
    other = staff(django_user_model, "other", "view_product", "change_product")
    chosen = pks(Product.objects.order_by("pk")[:3])
    page = mass_update_page(client_for(superuser), chosen)
    client = client_for(other)
    response = confirm(client, page, {"_field": ["stock"], "mu-stock": "77", "_apply": "1"})
    assert any("no longer valid" in m for m in messages_of(response))
    assert not Product.objects.filter(stock=77).exists()


def test_a_tampered_or_reused_token_changes_nothing(catalog, superuser):
    client = client_for(superuser)
    chosen = pks(Product.objects.order_by("pk")[:3])
    page = mass_update_page(client, chosen)
    hidden = hidden_fields(page.content.decode())
    # Signed for mass_update: refused by delete.
    data = {**hidden, "action": "delete_selected", "post": "yes"}
    response = client.post(URL, data, follow=True)
    assert any("no longer valid" in m for m in messages_of(response))
    # Edited to select everything.
    payload = signing.loads(hidden["_selection"], salt="toolkit.admin_ext.actions.selection")
    payload["s"]["select_across"] = True
    data = {
        **hidden,
        "_selection": hidden["_selection"][:-3] + "abc",
        "_field": ["stock"],
        "mu-stock": "5",
        "_apply": "1",
    }
    response = client.post(URL, data, follow=True)
    assert any("no longer valid" in m for m in messages_of(response))
    assert (
        Product.objects.count() == 60
        and Product.objects.filter(stock=5, pk__in=chosen).count() != 3
    )


def test_csrf_is_enforced(catalog, superuser):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    chosen = pks(Product.objects.all()[:3])
    response = client.post(
        URL, {"action": "delete_selected", "_selected_action": chosen, "post": "yes"}
    )
    assert response.status_code == 403
    assert Product.objects.count() == 60


def test_another_persons_job_stays_closed(catalog, superuser, django_user_model, run_on_commit):
    with run_on_commit():
        client_for(superuser).post(
            URL, {"action": "toggle_is_active_off", "select_across": "1", "_selected_action": ["1"]}
        )
    job = Job.objects.get()
    other = staff(django_user_model, "other", "view_product", "change_product")
    response = client_for(other).get(f"/site-admin/toolkit_jobs/job/{job.pk}/status/")
    assert response.status_code == 403


def test_per_row_permissions_skip_the_rows_the_person_may_not_change(catalog, superuser):
    Product.objects.update(is_active=False)
    discontinued = pks(Product.objects.filter(status="discontinued")[:2])
    others = pks(Product.objects.exclude(status="discontinued")[:5])
    assert len(discontinued) == 2
    response = client_for(superuser).post(
        "/objperm/catalog/product/",
        {"action": "toggle_is_active_on", "_selected_action": discontinued + others},
        follow=True,
    )
    assert "5 products updated." in messages_of(response)
    assert any(m.startswith("2 left alone") for m in messages_of(response))
    assert not Product.objects.filter(pk__in=discontinued, is_active=True).exists()


# -- system checks -----------------------------------------------------------------------


def check_ids(**options):
    from django.contrib import admin

    from toolkit.admin_ext.actions import BulkActionsMixin

    admin_class = type("CheckedAdmin", (BulkActionsMixin, admin.ModelAdmin), options)
    return {e.id for e in admin_class(Product, admin.AdminSite(name="checks")).check()}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"mass_update_fields": ["price", "nope"]}, "toolkit.E060"),
        ({"mass_update_fields": ["tags"]}, "toolkit.E060"),
        ({"mass_update_fields": ["id"]}, "toolkit.E060"),
        ({"toggle_fields": ["status"]}, "toolkit.E061"),
        ({"toggle_fields": ["nope"]}, "toolkit.E061"),
        ({"bulk_background_threshold": 0}, "toolkit.E062"),
        ({"mass_update_log_each_limit": "many"}, "toolkit.E062"),
        ({"duplicate_max_rows": True}, "toolkit.E062"),
        ({"delete_summary_count_limit": 0}, "toolkit.E062"),
        ({"delete_list_max_objects": -1}, "toolkit.E062"),
        ({"delete_list_max_objects": "all"}, "toolkit.E062"),
        ({"action_log_count_limit": -1}, "toolkit.E062"),
        ({"mass_update_per_object": False}, "toolkit.W060"),
    ],
)
def test_bad_options_are_reported_by_system_checks(options, expected):
    assert expected in check_ids(**options)


def test_good_options_pass_the_checks():
    ids = check_ids(
        mass_update_fields=["price", "status"],
        toggle_fields=["is_active"],
        mass_update_per_object=False,
        get_mass_update_values=lambda self, request, cleaned: cleaned,
    )
    assert not {i for i in ids if i.startswith("toolkit.")}


def test_missing_jobs_app_is_reported_only_where_a_threshold_asks_for_jobs(settings):
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "toolkit.jobs"]
    assert "toolkit.E063" not in check_ids()
    assert "toolkit.E063" in check_ids(bulk_background_threshold=500)


def test_without_the_jobs_app_every_selection_runs_in_the_request(
    catalog, superuser, settings, monkeypatch
):
    from tests.admin_ext.site_actions import ProductAdmin, site

    modeladmin = site.get_model_admin(Product)
    monkeypatch.setattr(ProductAdmin, "bulk_background_threshold", None)
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "toolkit.jobs"]
    assert modeladmin.get_bulk_background_threshold(_request(superuser)) is None
    response = client_for(superuser).post(
        URL,
        {"action": "toggle_is_active_off", "select_across": "1", "_selected_action": ["1"]},
        follow=True,
    )
    assert "products updated." in " ".join(messages_of(response))
    assert not Product.objects.filter(is_active=True).exists()


def test_the_default_threshold_sends_large_selections_to_jobs_where_they_are_installed(
    superuser,
):
    from django.contrib import admin

    from toolkit.admin_ext.actions import BulkActionsMixin

    checked = type("DefaultAdmin", (BulkActionsMixin, admin.ModelAdmin), {})
    modeladmin = checked(Product, admin.AdminSite(name="defaults"))
    assert modeladmin.bulk_background_threshold is None
    assert modeladmin.get_bulk_background_threshold(_request(superuser)) == 1000


# -- composed with the other mixins ------------------------------------------------------


def test_select_across_with_toolkit_model_admin_search_and_filters(
    catalog, superuser, run_on_commit
):
    url = "/toolkit/catalog/product/"
    query = "status__exact=active&q=a"
    client = client_for(superuser)
    listed = client.get(f"{url}?{query}")
    assert listed.status_code == 200
    page = client.post(
        f"{url}?{query}", {"action": "mass_update", "select_across": "1", "_selected_action": ["1"]}
    )
    data = {
        k: v
        for k, v in hidden_fields(page.content.decode()).items()
        if not k.startswith(("initial-", "mu-"))
    }
    with run_on_commit():
        client.post(
            f"{url}?{query}", {**data, "_field": ["stock"], "mu-stock": "31337", "_apply": "1"}
        )
    job = Job.objects.get()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    expected = set(
        Product.objects.filter(status="active")
        .filter(Q(name__icontains="a") | Q(sku__icontains="a"))
        .values_list("pk", flat=True)
    )
    assert len(expected) > 20
    assert set(Product.objects.filter(stock=31337).values_list("pk", flat=True)) == expected


def test_a_job_stops_when_its_starter_loses_the_permission(catalog, django_user_model):
    from toolkit.admin_ext.actions import MassUpdateHandler
    from toolkit.jobs.runner import run_job
    from toolkit.jobs.tasks import start_job

    changer = staff(django_user_model, "changer", "view_product", "change_product")
    selection = Selection(site="actions_admin", model="catalog.product", select_across=True)
    job = start_job(
        MassUpdateHandler,
        user=changer,
        model=Product,
        target=selection.to_dict(),
        params={"fields": ["stock"], "data": {"mu-stock": ["55"]}, "per_object": False},
    )
    changer.user_permissions.set(Permission.objects.filter(codename="view_product"))
    changer = django_user_model.objects.get(pk=changer.pk)  # no cached permissions
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "may no longer change" in job.error
    assert not Product.objects.filter(stock=55).exists()


def test_the_modules_import_before_the_app_registry_is_ready():
    # toolkit/admin_ext/__init__.py re-exports them, and INSTALLED_APPS imports it
    # while models cannot be imported yet.
    import os
    import subprocess
    import sys

    code = "import toolkit.admin_ext.actions, toolkit.admin_ext.selection"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "demo.settings"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
