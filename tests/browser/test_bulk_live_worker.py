"""Select-across bulk work in a real browser, run by a real worker process.

The person ticks "Select all" on a filtered list of a few thousand products and runs a
mass update, then an export. The live server queues the job in the database
(django-tasks-db, as in the demo) and redirects to the job's page; only once that page
shows the job queued does the test start ``manage.py db_worker`` in a process of its
own, and the page, left alone, follows the job to 100 % (and, for the export, to its
download link). Nothing runs the job in the test's process.

The worker must see the live server's rows, so this runs on PostgreSQL only (SQLite's
test database lives in the test process's memory), with committed data
(``transactional_db``).
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from playwright.sync_api import expect

from demo.catalog.models import Product
from toolkit.jobs.models import Job, JobStatus

from .conftest import login

ROOT = Path(__file__).resolve().parents[2]
#: Generous: two cores shared with other test runs.
WORKER_TIMEOUT = 120

pytestmark = pytest.mark.postgres


class LiveWorker:
    """``manage.py db_worker`` on the test database, in a process of its own."""

    def __init__(self, urlconf: str, media_root: Path, log_path: Path, chunk_size: int):
        db = connection.settings_dict
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        env.update(
            DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="tests.browser.settings_worker",
            TOOLKIT_TEST_URLCONF=urlconf,
            TOOLKIT_CHUNK_SIZE=str(chunk_size),
            MEDIA_ROOT=str(media_root),
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        self.log_path = log_path
        self.log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
             "--interval", "0.1", "--worker-id", "browser-test"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def output(self) -> str:
        return self.log_path.read_text()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + WORKER_TIMEOUT
        while "Starting worker" not in self.output():
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited with {self.process.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the worker did not start:\n{self.output()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture
def start_worker(tmp_path, settings):
    """Start a worker for the given URLconf; it is killed (by its pid) after the test."""
    started: list[LiveWorker] = []

    def start(urlconf: str, chunk_size: int = 1000) -> LiveWorker:
        worker = LiveWorker(urlconf, Path(settings.MEDIA_ROOT), tmp_path / "worker.log", chunk_size)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(autouse=True)
def database_queue(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def products(transactional_db):
    call_command("seed_catalog", products=2000, seed=5, stdout=io.StringIO())
    return Product.objects.all()


def panel_field(page, name):
    return page.locator(f'#toolkit-job-progress [data-job-field="{name}"]')


def follow_to_the_end(page, worker, job):
    """Percentages the page shows while the worker runs the job, until it is finished
    (the page then reloads itself once, to show the result)."""
    seen = []
    deadline = time.monotonic() + WORKER_TIMEOUT
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            pytest.fail(f"the worker exited with {worker.process.returncode}:\n{worker.output()}")
        status = page.locator("#toolkit-job-progress").get_attribute("data-job-status")
        percent = panel_field(page, "percent").first.text_content()
        if percent and percent.strip().isdigit() and (not seen or seen[-1] != int(percent)):
            seen.append(int(percent))
        if status in {"done", "failed", "cancelled"}:
            return seen
        time.sleep(0.05)
    job.refresh_from_db()
    pytest.fail(
        f"the job did not finish ({job.status}, {job.done}/{job.total}):\n{worker.output()}"
    )


@pytest.mark.urls("tests.admin_ext.site_actions")
def test_select_across_mass_update_reaches_100_percent_with_a_live_worker(
    page, superuser, products, start_worker
):
    login(page, "root", "pw-root-123")
    active = products.filter(status="active")
    expected = active.count()
    assert expected > 1000

    page.goto("/admin/catalog/product/?status__exact=active")
    page.locator("#action-toggle").check()
    page.locator(".actions .question a").click()  # "Select all N products"
    page.select_option("select[name=action]", "mass_update")
    page.locator("button[name=index]").click()
    page.fill("#id_mu-stock", "4242")
    page.locator("#id_mu-stock").dispatch_event("change")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("[data-toolkit-preview]")).to_contain_text(
        f"of {expected} rows will change"
    )
    page.get_by_role("button", name="Apply").click()

    page.wait_for_url(re.compile(r".*/toolkit_jobs/job/\d+/change/$"))
    job = Job.objects.get()
    expect(panel_field(page, "status_display")).to_have_text("Queued")
    assert not active.filter(stock=4242).exists()  # nothing ran in the request

    worker = start_worker("tests.admin_ext.site_actions", chunk_size=100)
    worker.wait_ready()
    seen = follow_to_the_end(page, worker, job)

    expect(panel_field(page, "status_display")).to_have_text("Done")
    expect(panel_field(page, "percent")).to_have_text("100")
    expect(page.locator(".toolkit-job-message")).to_contain_text(f"{expected} products updated")
    assert seen == sorted(seen) and seen[-1] == 100
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.percent) == (
        JobStatus.DONE,
        expected,
        expected,
        100,
    )
    assert set(active.values_list("stock", flat=True)) == {4242}
    assert not products.exclude(status="active").filter(stock=4242).exists()


@pytest.mark.urls("tests.admin_ext.site_importexport")
def test_select_across_export_reaches_its_download_with_a_live_worker(
    admin_page, products, start_worker
):
    page = admin_page
    active = products.filter(status="active")
    expected = active.count()

    page.goto("/admin/catalog/product/?status__exact=active")
    page.locator("#action-toggle").check()
    page.locator(".actions .question a").first.click()
    page.locator("select[name=action]").select_option("export_as_csv")
    page.locator(".actions button[name=index]").first.click()

    page.wait_for_url("**/toolkit_jobs/job/**")
    job = Job.objects.get()
    expect(panel_field(page, "status_display")).to_have_text("Queued")

    worker = start_worker("tests.admin_ext.site_importexport")
    worker.wait_ready()
    seen = follow_to_the_end(page, worker, job)

    expect(panel_field(page, "status_display")).to_have_text("Done")
    expect(panel_field(page, "percent")).to_have_text("100")
    expect(page.locator(".toolkit-job-message")).to_have_text(f"{expected} rows exported as CSV.")
    assert seen[-1] == 100
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download").click()
    with open(download_info.value.path(), encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][:2] == ["SKU", "Name"]
    assert sorted(r[0] for r in rows[1:]) == sorted(active.values_list("sku", flat=True))
