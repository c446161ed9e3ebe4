"""`manage.py resume_jobs` queues again what dead workers left running."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from demo.catalog.models import Product
from toolkit.jobs.models import Job, JobStatus
from toolkit.jobs.tasks import start_job

pytestmark = pytest.mark.django_db


def abandoned(**fields):
    job = start_job("tests.bump_stock", model=Product)
    defaults = {
        "status": JobStatus.RUNNING,
        "lease": "dead-worker",
        "heartbeat_at": timezone.now() - timedelta(hours=1),
        "done": 25,
        "total": 60,
        "cursor": 25,
    }
    Job.objects.filter(pk=job.pk).update(**{**defaults, **fields})
    return Job.objects.get(pk=job.pk)


def resume(*args):
    out = io.StringIO()
    call_command("resume_jobs", *args, stdout=out)
    return out.getvalue()


def test_nothing_to_resume_says_so(db):
    assert resume() == "No job to resume.\n"


def test_abandoned_job_is_queued_again_and_finishes(catalog, run_on_commit):
    job = abandoned()
    with run_on_commit():
        output = resume()
    assert f"Queued job {job.pk} again" in output
    assert "25 of 60 done" in output
    assert "Resumed 1 job(s)." in output
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.attempts == 1  # the dead attempt never claimed it in this test


def test_recent_heartbeat_is_left_alone_unless_stale_after_says_otherwise(catalog):
    job = abandoned(heartbeat_at=timezone.now() - timedelta(seconds=30))
    assert resume() == "No job to resume.\n"
    assert "Resumed 1 job(s)." in resume("--stale-after", "10")
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert job.lease == ""


def test_failed_jobs_need_the_failed_flag(catalog):
    job = abandoned(status=JobStatus.FAILED, error="boom")
    assert resume() == "No job to resume.\n"
    assert "Resumed 1 job(s)." in resume("--failed")
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.QUEUED, "")


def test_finished_and_cancelled_jobs_are_never_resumed(catalog):
    abandoned(status=JobStatus.DONE)
    abandoned(status=JobStatus.CANCELLED)
    assert resume("--stale-after", "0", "--failed") == "No job to resume.\n"


def test_negative_stale_after_is_a_command_error(db):
    with pytest.raises(CommandError, match="--stale-after must be 0 or more"):
        resume("--stale-after", "-1")
