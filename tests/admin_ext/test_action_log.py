"""Every changelist action leaves a LogEntry: the action's own, or one summary entry
naming the action and its rows, written by ``BulkActionsMixin`` when the action finished
its work without writing one.

The site under test (``tests.admin_ext.site_action_log``) has custom actions that log
nothing, log each row, ask for confirmation first, opt out, answer with a file, warn,
and start a background job, beside the toolkit's own actions and exports.
"""

from __future__ import annotations

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo.catalog.models import Product
from tests.admin_ext.action_helpers import (  # noqa: F401 (a fixture)
    client_for,
    immediate_tasks,
    messages_of,
)
from toolkit.jobs.models import Job, JobStatus

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("tests.admin_ext.site_action_log"),
    pytest.mark.usefixtures("immediate_tasks"),
]

URL = "/admin/catalog/product/"


def first(n, **filters):
    return list(Product.objects.filter(**filters).order_by("pk").values_list("pk", flat=True)[:n])


def run(client, action, selected, query="", **extra):
    return client.post(f"{URL}?{query}", {"action": action, "_selected_action": selected, **extra})


def ran_entries():
    return LogEntry.objects.filter(change_message__startswith="Ran “")


# -- one entry when the action wrote none ---------------------------------------------------


def test_an_action_that_logs_nothing_leaves_one_summary_entry(catalog, superuser):
    chosen = first(3, status="active")
    response = run(client_for(superuser), "discontinue", chosen)
    assert response.status_code == 302
    assert set(Product.objects.filter(pk__in=chosen).values_list("status", flat=True)) == {
        "discontinued"
    }
    entry = LogEntry.objects.get()
    assert (entry.user, entry.action_flag, entry.object_id) == (superuser, CHANGE, None)
    assert entry.content_type.model_class() is Product
    assert entry.object_repr == "Ran “Discontinue selected products” on 3 selected products"
    assert (
        entry.get_change_message() == "Ran “Discontinue selected products” on 3 selected products."
    )


def test_one_selected_row_is_named_in_the_singular(catalog, superuser):
    run(client_for(superuser), "discontinue", first(1, status="active"))
    assert LogEntry.objects.get().object_repr.endswith("on 1 selected product")


def test_an_action_answering_with_a_file_is_logged(catalog, superuser):
    chosen = first(2)
    response = run(client_for(superuser), "download_skus", chosen)
    assert response["Content-Type"] == "text/csv"
    assert ran_entries().get().object_repr == "Ran “Download SKUs” on 2 selected products"


def test_a_row_action_answering_with_a_file_is_logged_on_its_row(catalog, superuser):
    obj = Product.objects.order_by("pk").first()
    response = client_for(superuser).post(f"{URL}{obj.pk}/row-action/download_skus/")
    assert response.content.decode() == obj.sku
    entry = LogEntry.objects.get()
    assert (entry.object_id, entry.get_change_message()) == (str(obj.pk), "Ran “Download SKUs”.")


def test_a_row_action_that_logs_nothing_gets_one_entry_not_two(catalog, superuser):
    """Row actions and changelist actions share the safety net: one entry, on the row."""
    obj = Product.objects.filter(status="active").order_by("pk").first()
    client_for(superuser).post(f"{URL}{obj.pk}/row-action/discontinue/")
    entry = LogEntry.objects.get()
    assert entry.object_id == str(obj.pk)
    assert entry.get_change_message() == "Ran “Discontinue selected products”."


# -- no entry where the action logs itself, or did not run -----------------------------------


def test_an_action_that_logs_itself_is_not_logged_twice(catalog, superuser):
    chosen = first(3, status="active")
    run(client_for(superuser), "discontinue_logging_each", chosen)
    assert sorted(LogEntry.objects.values_list("object_id", flat=True)) == sorted(
        str(pk) for pk in chosen
    )
    assert not ran_entries().exists()


def test_staff_without_the_permission_is_refused_and_nothing_is_logged(catalog, viewer):
    chosen = first(3, status="active")
    response = client_for(viewer).post(
        URL, {"action": "discontinue", "_selected_action": chosen}, follow=True
    )
    # Offered other actions (a download), the viewer gets Django's own answer.
    assert "No action selected." in messages_of(response)
    assert not Product.objects.filter(pk__in=chosen, status="discontinued").exists()
    assert not LogEntry.objects.exists()


def test_a_post_with_nothing_selected_runs_nothing_and_logs_nothing(catalog, superuser):
    response = client_for(superuser).post(URL, {"action": "discontinue", "index": "0"})
    assert response.status_code in (200, 302)
    assert not LogEntry.objects.exists()


def test_a_confirmation_page_is_not_logged_but_its_confirmation_is(catalog, superuser):
    client = client_for(superuser)
    chosen = first(4, status="active")
    page = run(client, "discontinue_after_confirming", chosen)
    assert page.status_code == 200 and b"Discontinue 4 products" in page.content
    assert not LogEntry.objects.exists()
    assert not Product.objects.filter(pk__in=chosen, status="discontinued").exists()
    # The page's own POST: the pks again, the action, "apply"; no "index".
    response = client.post(
        URL,
        {"action": "discontinue_after_confirming", "_selected_action": chosen, "apply": "1"},
    )
    assert response.status_code == 302
    assert Product.objects.filter(pk__in=chosen, status="discontinued").count() == 4
    assert LogEntry.objects.get().object_repr == (
        "Ran “Discontinue after confirming” on 4 selected products"
    )


def test_an_action_that_warns_is_not_logged_as_run(catalog, superuser):
    response = run(client_for(superuser), "check_nothing_to_do", first(2))
    assert response.status_code == 302
    assert not LogEntry.objects.exists()


def test_an_action_declaring_log_entry_false_is_left_alone(catalog, superuser):
    chosen = first(2, status="active")
    run(client_for(superuser), "discontinue_quietly", chosen)
    assert Product.objects.filter(pk__in=chosen, status="discontinued").count() == 2
    assert not LogEntry.objects.exists()


# -- the toolkit's own actions log themselves, once ------------------------------------------


def test_mass_update_logs_its_rows_and_nothing_more(catalog, superuser):
    client = client_for(superuser)
    chosen = first(3, is_active=True)
    client.post(
        URL,
        {
            "action": "mass_update",
            "_selected_action": chosen,
            "_field": "is_active",
            "_apply": "1",
        },
    )
    assert LogEntry.objects.filter(action_flag=CHANGE).count() == 3
    assert not ran_entries().exists()


def test_a_mass_update_that_changes_nothing_is_not_logged_as_run(catalog, superuser):
    chosen = first(3, is_active=False)
    client_for(superuser).post(
        URL,
        {
            "action": "mass_update",
            "_selected_action": chosen,
            "_field": "is_active",
            "_apply": "1",
        },
    )
    assert not LogEntry.objects.exists()


def test_duplicate_logs_its_copies_and_nothing_more(catalog, superuser):
    run(client_for(superuser), "duplicate_selected", first(2))
    assert LogEntry.objects.count() == 2
    assert set(LogEntry.objects.values_list("action_flag", flat=True)) == {ADDITION}


def test_a_select_across_mass_update_job_is_logged_once_by_its_job(
    catalog, superuser, django_capture_on_commit_callbacks
):
    client = client_for(superuser)
    matching = Product.objects.filter(status="active")
    assert matching.count() > 20  # above the site's background threshold
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{URL}?status__exact=active",
            {
                "action": "mass_update",
                "select_across": "1",
                "_selected_action": first(1, status="active"),
                "_field": "stock",
                "mu-stock": "7",
                "_apply": "1",
            },
        )
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    # The job logged each changed row; starting it added nothing.
    entries = LogEntry.objects.all()
    assert len(entries) == job.done == matching.count()
    assert all(e.object_id and e.get_change_message() == "Changed stock." for e in entries)


def test_a_small_export_is_logged_once(catalog, superuser):
    response = run(client_for(superuser), "export_as_csv", first(3))
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.decode().startswith("SKU")
    assert LogEntry.objects.get().change_message == "Exported 3 products as CSV."


def test_an_export_job_is_logged_once_by_its_job(
    catalog, superuser, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = run(client_for(superuser), "export_as_csv", first(1), select_across="1")
    job = Job.objects.get()
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    entry = LogEntry.objects.get()
    assert entry.change_message.startswith(f"Exported {job.done} products as CSV (job")


# -- "Select all": counted cheaply, filters named -------------------------------------------


def test_select_across_names_the_count_and_the_filters(catalog, superuser):
    client = client_for(superuser)
    matching = Product.objects.filter(status="active", is_active=True)
    expected = matching.count()
    assert expected > 1
    ticked = first(1, status="active", is_active=True)
    with CaptureQueriesContext(connection) as queries:
        run(
            client,
            "discontinue",
            ticked,
            query="status__exact=active&is_active__exact=1&o=2",
            select_across="1",
        )
    assert not matching.exists()
    entry = ran_entries().get()
    assert entry.get_change_message() == (
        f"Ran “Discontinue selected products” on all {expected} products matching "
        "status__exact=active, is_active__exact=1."
    )
    # The rows are counted (up to a limit), never fetched: no SELECT of product columns.
    product_reads = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT") and '"catalog_product"' in q["sql"]
    ]
    assert product_reads and all("COUNT(" in sql.upper() for sql in product_reads), product_reads


def test_select_across_of_many_rows_counts_only_up_to_the_limit(catalog, superuser, monkeypatch):
    from tests.admin_ext.site_action_log import ProductAdmin

    monkeypatch.setattr(ProductAdmin, "action_log_count_limit", 5)
    client, ticked = client_for(superuser), first(1)
    with CaptureQueriesContext(connection) as queries:
        run(
            client,
            "download_skus",
            ticked,
            query="q=a",
            select_across="1",
        )
    assert ran_entries().get().get_change_message() == (
        "Ran “Download SKUs” on more than 5 products matching q=a."
    )
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert any("LIMIT 6" in sql for sql in counts), counts


def test_select_across_without_filters_says_all(catalog, superuser):
    run(client_for(superuser), "download_skus", first(1), select_across="1")
    total = Product.objects.count()
    assert ran_entries().get().object_repr == f"Ran “Download SKUs” on all {total} products"


def test_filter_values_in_the_entry_stay_text(catalog, superuser):
    """A search term is the person's text: the admin shows the entry escaped."""
    client = client_for(superuser)
    run(client, "download_skus", first(1), query="q=<b>x</b>", select_across="1")
    entry = ran_entries().get()
    assert entry.object_repr == "Ran “Download SKUs” on all 0 products matching q=<b>x</b>"
    page = client.get("/admin/").content.decode()
    assert "matching q=&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page


# -- background jobs ---------------------------------------------------------------------------


def test_an_action_that_starts_a_job_names_the_job(catalog, superuser):
    response = run(client_for(superuser), "touch_later", first(3))
    job = Job.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert ran_entries().get().get_change_message() == (
        f"Ran “Touch later” on 3 selected products. It continues as background job #{job.pk}."
    )
