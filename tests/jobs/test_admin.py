"""The Job admin: each person follows their own jobs; superusers see all of them.

People: ``superuser``, ``owner`` (staff who started the jobs), ``viewer`` (another staff
member) and ``customer`` (logged in, not staff).
"""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from demo.catalog.models import Product
from toolkit.jobs.models import Job, JobStatus
from toolkit.jobs.runner import run_job
from toolkit.jobs.tasks import start_job

pytestmark = pytest.mark.django_db


def url(name, job=None):
    return reverse(f"admin:toolkit_jobs_job_{name}", args=[] if job is None else [job.pk])


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def job_of(user, kind="tests.bump_stock", **fields):
    job = start_job(kind, user=user, model=Product, target={})
    if fields:
        Job.objects.filter(pk=job.pk).update(**fields)
        job.refresh_from_db()
    return job


@pytest.fixture
def export(catalog, owner):
    job = job_of(owner, "tests.export_skus")
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    return job


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- the list -------------------------------------------------------------------------


def test_staff_member_lists_only_the_jobs_they_started(owner, viewer, superuser):
    mine = job_of(owner, description="Mine")
    theirs = job_of(viewer, description="Theirs")

    response = client_for(owner).get(url("changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]
    assert "Your jobs" in response.text

    response = client_for(superuser).get(url("changelist"))
    assert set(response.context["cl"].result_list) == {mine, theirs}


def test_list_shows_progress_and_newest_first(owner):
    older = job_of(owner, total=200, done=50)
    newer = job_of(owner)
    response = client_for(owner).get(url("changelist"))
    assert list(response.context["cl"].result_list) == [newer, older]
    assert "50 / 200 (25%)" in response.text


def test_jobs_appear_on_the_admin_index_for_any_staff_member(owner):
    response = client_for(owner).get(reverse("admin:index"))
    assert url("changelist") in response.text


def test_non_staff_is_sent_to_the_login_page(customer, owner):
    job = job_of(owner)
    client = client_for(customer)
    for name in ("changelist",):
        assert client.get(url(name)).url.startswith("/admin/login/")
    for name in ("change", "status", "download"):
        assert client.get(url(name, job)).url.startswith("/admin/login/")
    for name in ("cancel", "resume"):
        assert client.post(url(name, job)).url.startswith("/admin/login/")
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


# -- the progress page ----------------------------------------------------------------


def test_progress_page_shows_counts_and_loads_its_script_from_a_file(owner):
    job = job_of(owner, status=JobStatus.RUNNING, total=80, done=20, failed=4)
    response = client_for(owner).get(url("change", job))
    assert response.status_code == 200
    html = response.text
    assert f'data-job-status-url="{url("status", job)}"' in html
    assert 'data-job-active="true"' in html
    # Rows processed first (20 done + 4 failed), then how they ended.
    counts = re.search(r'<p class="toolkit-job-counts">(.*?)</p>', html, re.DOTALL).group(1)
    text = " ".join(re.sub(r"<[^>]+>", "", counts).split())
    assert text == "24 of 80 (30%): 20 done, 4 failed, 0 skipped (unchanged)"  # the last hidden
    assert '<span data-job-field="done">20</span>' in html
    assert '<span data-job-field="percent">30</span>' in html
    assert 'src="/static/toolkit/jobs/progress.js"' in html
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in html
    # No inline script or style of ours (the demo's CSP would block them).
    panel = html[html.index('id="toolkit-job-progress"') : html.index("</section>")]
    assert "<script" not in panel and "style=" not in panel
    assert "Cancel job" in html


def test_finished_job_page_does_not_poll_or_refresh(owner):
    job = job_of(owner, status=JobStatus.DONE, total=5, done=5, message="5 products processed.")
    html = client_for(owner).get(url("change", job)).text
    assert 'data-job-active="false"' in html
    assert 'http-equiv="refresh"' not in html
    assert "5 products processed." in html
    assert "Cancel job" not in html


def test_progress_page_lists_the_persons_recent_jobs(owner, viewer):
    first = job_of(owner, description="Reprice shoes")
    second = job_of(owner, description="Export hats")
    job_of(viewer, description="Someone else's")
    html = client_for(owner).get(url("change", second)).text
    box = html[html.index('id="toolkit-recent-jobs"') :]
    assert "Your recent jobs" in box
    assert "Export hats" in box and "Reprice shoes" in box
    assert "Someone else" not in box
    assert box.index("Export hats") < box.index("Reprice shoes")
    assert first.get_absolute_url() in box


def test_another_staff_member_cannot_open_a_job(owner, viewer):
    job = job_of(owner)
    response = client_for(viewer).get(url("change", job))
    assert response.status_code == 302  # the admin's "does not exist" redirect
    assert response.url == reverse("admin:index")


def test_superuser_opens_anyones_job(owner, superuser):
    job = job_of(owner)
    assert client_for(superuser).get(url("change", job)).status_code == 200


def test_jobs_cannot_be_added_or_edited_by_hand(owner, superuser):
    job = job_of(owner)
    for user in (owner, superuser):
        client = client_for(user)
        assert client.get(url("add")).status_code == 403
        response = client.post(url("change", job), {"status": "done", "done": 999})
        assert response.status_code == 403
    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.QUEUED, 0)


def test_only_superusers_delete_jobs(owner, superuser):
    job = job_of(owner)
    assert client_for(owner).post(url("delete", job), {"post": "yes"}).status_code == 403
    assert Job.objects.filter(pk=job.pk).exists()
    response = client_for(superuser).post(url("delete", job), {"post": "yes"})
    assert response.status_code == 302
    assert not Job.objects.filter(pk=job.pk).exists()


# -- the status endpoint --------------------------------------------------------------


def test_status_is_json_for_the_owner_and_superusers(owner, superuser):
    job = job_of(owner, status=JobStatus.RUNNING, total=10, done=3, skipped=1)
    for user in (owner, superuser):
        response = client_for(user).get(url("status", job))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert "no-cache" in response["Cache-Control"]
        data = response.json()
        assert data["status"] == "running"
        progress = (data["done"], data["processed"], data["total"], data["percent"])
        assert progress == (3, 4, 10, 40) and data["finished"] is False


def test_status_of_someone_elses_job_is_forbidden(owner, viewer):
    job = job_of(owner)
    assert client_for(viewer).get(url("status", job)).status_code == 403


def test_status_of_a_missing_job_is_404(owner):
    client = client_for(owner)
    assert client.get("/admin/toolkit_jobs/job/424242/status/").status_code == 404
    assert client.get("/admin/toolkit_jobs/job/not-a-number/status/").status_code == 404


def test_status_while_the_database_is_locked_asks_the_page_to_poll_again(owner, monkeypatch):
    """SQLite refuses reads for a moment while a worker commits a chunk: the poll gets a
    503 with Retry-After (the page asks again in a second), never a 500."""
    job = job_of(owner, status=JobStatus.RUNNING, total=10, done=3)

    def locked(self):
        raise OperationalError("database table is locked: toolkit_jobs_job")

    monkeypatch.setattr(Job, "status_payload", locked)
    response = client_for(owner).get(url("status", job))
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert "busy" in response.json()["error"]


def test_status_only_answers_get(owner):
    job = job_of(owner)
    assert client_for(owner).post(url("status", job)).status_code == 405


# -- cancel ---------------------------------------------------------------------------


def test_owner_cancels_a_queued_job_at_once(owner):
    job = job_of(owner)
    response = client_for(owner).post(url("cancel", job))
    assert response.status_code == 302
    assert response.url == url("change", job)
    assert messages_of(response) == ["The job was cancelled before it started."]
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED


def test_cancelling_a_running_job_asks_it_to_stop_after_its_chunk(owner):
    job = job_of(owner, status=JobStatus.RUNNING, lease="x")
    response = client_for(owner).post(url("cancel", job))
    assert messages_of(response) == ["Cancelling: the job stops after the chunk it is working on."]
    job.refresh_from_db()
    assert (job.status, job.cancel_requested) == (JobStatus.RUNNING, True)
    html = client_for(owner).get(url("change", job)).text
    assert re.search(r'data-job-show-if="cancel_requested">', html)  # shown, not hidden


def test_superuser_cancels_someone_elses_job(owner, superuser):
    job = job_of(owner)
    client_for(superuser).post(url("cancel", job))
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED


def test_another_staff_member_cannot_cancel_a_job(owner, viewer):
    job = job_of(owner)
    assert client_for(viewer).post(url("cancel", job)).status_code == 403
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


def test_cancel_needs_post_and_a_csrf_token(owner):
    job = job_of(owner)
    assert client_for(owner).get(url("cancel", job)).status_code == 405
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(url("cancel", job)).status_code == 403
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


def test_cancel_form_carries_a_csrf_token_that_works(owner):
    job = job_of(owner)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    html = client.get(url("change", job)).text
    form = html[html.index(f'action="{url("cancel", job)}"') :]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = client.post(url("cancel", job), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED


def test_cancelling_a_finished_job_says_there_is_nothing_to_cancel(owner):
    job = job_of(owner, status=JobStatus.DONE)
    response = client_for(owner).post(url("cancel", job))
    assert messages_of(response) == ["This job has already finished; there is nothing to cancel."]
    job.refresh_from_db()
    assert job.status == JobStatus.DONE


def test_a_job_that_cannot_be_cancelled_offers_no_button_and_refuses(owner):
    job = job_of(owner, "tests.not_cancellable")
    client = client_for(owner)
    assert "Cancel job" not in client.get(url("change", job)).text
    response = client.post(url("cancel", job))
    assert messages_of(response) == ["This kind of job cannot be cancelled."]
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


# -- resume ---------------------------------------------------------------------------


def test_owner_resumes_a_failed_job(catalog, owner, run_on_commit):
    job = job_of(owner, status=JobStatus.FAILED, error="The API was down")
    client = client_for(owner)
    assert "Resume job" in client.get(url("change", job)).text
    with run_on_commit():
        response = client.post(url("resume", job))
    assert messages_of(response) == ["The job is queued again; it continues where it stopped."]
    job.refresh_from_db()
    assert job.status == JobStatus.DONE


def test_a_healthy_job_cannot_be_resumed(owner):
    job = job_of(owner, status=JobStatus.RUNNING, lease="alive")
    client = client_for(owner)
    assert "Resume job" not in client.get(url("change", job)).text
    response = client.post(url("resume", job))
    assert "can be resumed" in messages_of(response)[0]
    job.refresh_from_db()
    assert (job.status, job.lease) == (JobStatus.RUNNING, "alive")


def test_another_staff_member_cannot_resume_a_job(owner, viewer):
    job = job_of(owner, status=JobStatus.FAILED)
    assert client_for(viewer).post(url("resume", job)).status_code == 403
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED


# -- download -------------------------------------------------------------------------


def test_owner_downloads_a_finished_export(export, owner):
    client = client_for(owner)
    html = client.get(url("change", export)).text
    assert f'href="{url("download", export)}"' in html
    assert f"Download skus-{export.pk}.csv" in html

    response = client.get(url("download", export))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="skus-{export.pk}.csv"'
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0] == "pk,sku"
    assert len(body.splitlines()) == 61


def test_nobody_but_the_owner_downloads_an_export_not_even_a_superuser(export, superuser, viewer):
    for user in (superuser, viewer):
        client = client_for(user)
        assert client.get(url("download", export)).status_code == 403
    html = client_for(superuser).get(url("change", export)).text
    assert url("download", export) not in html


def test_unfinished_export_has_nothing_to_download(owner):
    job = job_of(owner, "tests.export_skus", status=JobStatus.RUNNING)
    response = client_for(owner).get(url("download", job))
    assert response.status_code == 404


def test_export_whose_file_vanished_is_404_not_500(export, owner):
    export.result_file.storage.delete(export.result_file.name)
    assert client_for(owner).get(url("download", export)).status_code == 404


# -- the job in words -------------------------------------------------------------------


def status_texts(html):
    """What the page says the status is, everywhere it says it."""
    return [
        re.sub(r"<[^>]+>", "", text).strip()
        for text in re.findall(r'data-job-field="status_display">(.*?)</', html)
    ]


def test_status_reads_the_same_in_the_progress_box_the_field_and_the_recent_jobs(owner):
    job = job_of(owner, status=JobStatus.RUNNING, total=10)
    html = client_for(owner).get(url("change", job)).text
    # The progress box, the Status field, the job's line in "Your recent jobs".
    assert status_texts(html) == ["Running", "Running", "Running"]
    assert html.index('id="toolkit-job-progress"') < html.index("field-job_status")
    assert html.index("field-job_status") < html.rindex('data-job-field="status_display"')


def test_a_job_that_changes_state_while_the_page_renders_is_shown_from_one_read(owner, monkeypatch):
    """A worker claims the job after the page read it: all three say what was read."""
    from toolkit.jobs.admin import JobAdmin

    job = job_of(owner)
    read = JobAdmin.get_object

    def read_then_claimed(self, request, object_id, from_field=None):
        obj = read(self, request, object_id, from_field)
        Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
        return obj

    monkeypatch.setattr(JobAdmin, "get_object", read_then_claimed)
    html = client_for(owner).get(url("change", job)).text
    assert status_texts(html) == ["Queued", "Queued", "Queued"]


def test_the_kind_reads_as_the_handlers_verbose_name_in_the_filter_and_the_page(owner):
    job = job_of(owner)
    job_of(owner, "tests.export_skus")
    Job.objects.create(kind="gone.app_job", started_by=owner)  # its app was removed
    response = client_for(owner).get(url("changelist"))
    filter_html = response.text[response.text.index('id="changelist-filter"') :]
    choices = re.findall(r'<a href="\?kind=([^"]+)"[^>]*>(.*?)</a>', filter_html)
    assert choices == [
        ("tests.bump_stock", "Bump stock"),
        ("tests.export_skus", "Export SKUs"),
        ("gone.app_job", "gone.app_job"),
    ]
    filtered = client_for(owner).get(url("changelist") + "?kind=tests.bump_stock")
    assert list(filtered.context["cl"].result_list) == [job]

    page = client_for(owner).get(url("change", job)).text
    kind = re.search(r'field-kind_name.*?<div class="readonly">(.*?)</div>', page, re.DOTALL)
    assert kind.group(1) == "Bump stock"


def test_a_job_is_titled_by_its_starter_and_an_old_untitled_one_stays_readable(owner):
    titled = start_job(
        "tests.bump_stock", user=owner, model=Product, target={}, description="Restock hats"
    )
    assert str(titled) == titled.title == "Restock hats"
    untitled = Job.objects.create(kind="tests.bump_stock", started_by=owner)
    assert str(untitled) == f"tests.bump_stock #{untitled.pk}"
    assert "Restock hats" in client_for(owner).get(url("change", titled)).text


def test_a_finished_job_links_back_to_the_list_it_came_from(owner):
    job = start_job(
        "tests.bump_stock",
        user=owner,
        model=Product,
        target={},
        origin="/admin/catalog/product/?status__exact=active&q=<hat>",
    )
    run_job(job.pk)
    html = client_for(owner).get(url("change", job)).text
    link = '<a href="/admin/catalog/product/?status__exact=active&amp;q=&lt;hat&gt;">'
    assert f"{link}Back to the products list</a>" in html


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example/admin/",
        "//evil.example/admin/",
        "/\\evil.example/admin/",
        "javascript:alert(1)",
        "admin/catalog/product/",
        "/admin/\nSet-Cookie: x",
        "",
    ],
)
def test_only_a_same_site_relative_origin_is_kept_or_shown(owner, origin):
    job = start_job("tests.bump_stock", user=owner, model=Product, target={}, origin=origin)
    assert job.origin == ""
    # Written past start_job (older code, a shell): still not shown.
    Job.objects.filter(pk=job.pk).update(origin=origin)
    html = client_for(owner).get(url("change", job)).text
    assert "Back to the" not in html and "evil.example" not in html.split("Details")[0]
