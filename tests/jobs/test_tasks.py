"""Jobs reach the tasks framework as one task with a JSON argument, after commit."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from demo.catalog.models import Product
from toolkit.compat import TASKS_MODULE
from toolkit.jobs import start_job
from toolkit.jobs.models import Job, JobStatus
from toolkit.jobs.tasks import (
    can_cancel,
    can_resume,
    cancel_job,
    process_job,
    resume_job,
    resume_stale_jobs,
)

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
    assert can_resume(job)  # once the queue is back

    settings.TASKS = IMMEDIATE
    with run_on_commit():
        assert resume_job(job)
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


def test_cancelling_a_queued_job_ends_it_through_its_handler_once(catalog, monkeypatch):
    """No run will ever end a job cancelled before it started: cancel_job() calls the
    handler's on_end (which gives back what the job held) itself, and only then."""
    from .handlers import BumpStock

    ended = []
    monkeypatch.setattr(BumpStock, "on_end", lambda self, job: ended.append(job.status))
    job = start_job("tests.bump_stock", model=Product)  # its task waits for a commit
    assert can_cancel(job)
    assert cancel_job(job)
    assert (job.status, str(job.message)) == (JobStatus.CANCELLED, "Cancelled before it started.")
    assert ended == [JobStatus.CANCELLED]
    assert not can_cancel(job)
    assert not cancel_job(job)
    assert ended == [JobStatus.CANCELLED]


def test_cancelling_a_running_job_asks_its_run_to_stop_and_ends_nothing(catalog, monkeypatch):
    from .handlers import BumpStock

    ended = []
    monkeypatch.setattr(BumpStock, "on_end", lambda self, job: ended.append(job.status))
    job = start_job("tests.bump_stock", model=Product)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    assert cancel_job(job)
    assert (job.status, job.cancel_requested, ended) == (JobStatus.RUNNING, True, [])


def test_a_kind_that_cannot_be_cancelled_says_so(catalog):
    job = start_job("tests.not_cancellable", model=Product)
    assert not can_cancel(job)


def test_a_job_claimed_before_leases_is_abandoned_after_its_handlers_stale_after(catalog):
    """No lease expiry recorded: the handler's stale_after since the last heartbeat
    decides, for the Resume button and resume_stale_jobs() alike."""
    from .handlers import BumpStock

    job = start_job("tests.bump_stock", model=Product)
    silent = BumpStock.stale_after + timedelta(seconds=1)
    running = Job.objects.filter(pk=job.pk)
    running.update(status=JobStatus.RUNNING, heartbeat_at=timezone.now(), lease_expires_at=None)
    job.refresh_from_db()
    assert not can_resume(job)
    running.update(heartbeat_at=timezone.now() - silent)
    job.refresh_from_db()
    assert can_resume(job)
    assert resume_stale_jobs() == [job.pk]


def test_a_job_of_an_unknown_kind_can_be_cancelled_but_not_resumed(db):
    job = Job.objects.create(kind="gone.away", status=JobStatus.FAILED)
    assert not can_resume(job)
    assert not resume_job(job)
    queued = Job.objects.create(kind="gone.away")
    assert can_cancel(queued)
    assert cancel_job(queued)
    assert queued.status == JobStatus.CANCELLED
