"""Jobs reach the tasks framework as one task with a JSON argument, after commit."""

from __future__ import annotations

import importlib

import pytest
from django.contrib.auth.models import AnonymousUser

from demo.catalog.models import Product
from toolkit.compat import TASKS_MODULE
from toolkit.jobs import start_job
from toolkit.jobs.models import Job, JobStatus
from toolkit.jobs.tasks import process_job

from . import handlers
from .conftest import IMMEDIATE

pytestmark = pytest.mark.django_db


def test_process_job_is_a_task_of_the_framework():
    base = importlib.import_module(f"{TASKS_MODULE}.base")
    assert isinstance(process_job, base.Task)
    assert process_job.module_path == "toolkit.jobs.tasks.process_job"


def test_job_is_enqueued_only_when_the_transaction_commits(catalog, owner, run_on_commit):
    with run_on_commit() as callbacks:
        job = start_job("tests.bump_stock", user=owner, queryset=Product.objects.all()[:10])
        job.refresh_from_db()
        assert job.status == JobStatus.QUEUED  # nothing ran inside the transaction
        assert handlers.SEEN == []
    assert len(callbacks) == 1

    job.refresh_from_db()
    assert job.status == JobStatus.DONE  # the immediate backend ran it on commit
    assert job.done == 10
    assert job.task_id  # what the backend called its task


def test_start_job_stores_who_what_and_how(catalog, owner):
    products = Product.objects.order_by("pk")[:3]
    pks = [p.pk for p in products]
    job = start_job(
        "tests.bump_stock",
        user=owner,
        queryset=Product.objects.filter(pk__in=pks),
        params={"chunk_size": 2},
    )
    assert job.started_by == owner
    assert job.target_model is Product
    assert sorted(job.target["pks"]) == pks
    assert job.params == {"chunk_size": 2}
    assert job.description == "Bump stock: products"
    assert job.get_absolute_url() == f"/admin/toolkit_jobs/job/{job.pk}/change/"


def test_start_job_accepts_a_handler_class_and_a_filter_spec(catalog):
    from .handlers import BumpStock

    job = start_job(BumpStock, model=Product, target={"filter": {"status": "draft"}})
    assert job.kind == "tests.bump_stock"
    assert job.started_by is None


def test_anonymous_user_is_not_stored(catalog):
    job = start_job("tests.bump_stock", user=AnonymousUser(), model=Product)
    assert job.started_by is None


def test_unknown_kind_is_refused_before_anything_is_saved(db):
    from toolkit.jobs import UnknownJobKind

    with pytest.raises(UnknownJobKind):
        start_job("nope", model=Product)
    assert not Job.objects.exists()


def test_unreachable_queue_fails_the_job_with_a_sentence(catalog, settings, run_on_commit):
    settings.TASKS = {"default": {"BACKEND": "tests.jobs.backends.UnreachableBackend"}}
    with run_on_commit():
        job = start_job("tests.bump_stock", model=Product)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("Could not queue the job: Error 111 connecting")
    assert job.can_resume  # once the queue is back

    settings.TASKS = IMMEDIATE
    with run_on_commit():
        assert job.resume()
    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.DONE, 60)


def test_handler_queue_name_routes_the_task(catalog, settings, run_on_commit, monkeypatch):
    from .handlers import BumpStock

    settings.TASKS = {
        "default": {
            "BACKEND": f"{TASKS_MODULE}.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "bulk"],
        }
    }
    monkeypatch.setattr(BumpStock, "queue_name", "bulk")
    seen = []
    signals = __import__(f"{TASKS_MODULE}.signals", fromlist=["task_started"])

    def on_started(sender, task_result, **kwargs):
        seen.append(task_result.task.queue_name)

    signals.task_started.connect(on_started)
    try:
        with run_on_commit():
            job = start_job("tests.bump_stock", model=Product)
    finally:
        signals.task_started.disconnect(on_started)
    assert seen == ["bulk"]
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
