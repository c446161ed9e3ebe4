"""`manage.py resume_jobs` queues again what dead workers left running, and never a job
whose lease is live."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from demo.catalog.models import Product
from toolkit.jobs.management.commands import resume_jobs
from toolkit.jobs.models import Job, JobStatus
from toolkit.jobs.tasks import start_job

from .handlers import BumpStock

pytestmark = pytest.mark.django_db


def abandoned(**fields):
    """A running job whose worker died an hour ago: its lease expired long since."""
    job = start_job("tests.bump_stock", model=Product)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    defaults = {
        "status": JobStatus.RUNNING,
        "lease": "dead-worker",
        "heartbeat_at": an_hour_ago,
        "lease_expires_at": an_hour_ago + BumpStock.stale_after,
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


def test_a_live_lease_is_never_taken_whatever_stale_after_says(catalog):
    """The demo's worker used to start with ``--stale-after 0``, taking the jobs of
    workers still alive. A job whose lease is live belongs to a live run."""
    now = timezone.now()
    job = abandoned(heartbeat_at=now - timedelta(seconds=30), lease_expires_at=now + timedelta(1))
    assert resume("--stale-after", "0") == "No job to resume.\n"
    job.refresh_from_db()
    assert (job.status, job.lease) == (JobStatus.RUNNING, "dead-worker")


def test_stale_after_can_ask_for_a_longer_silence_than_the_lease(catalog):
    job = abandoned(heartbeat_at=timezone.now() - timedelta(minutes=10))
    assert resume("--stale-after", "3600") == "No job to resume.\n"
    assert "Resumed 1 job(s)." in resume("--stale-after", "60")
    job.refresh_from_db()
    assert (job.status, job.lease, job.lease_expires_at) == (JobStatus.QUEUED, "", None)


def test_a_job_claimed_before_leases_existed_goes_by_its_heartbeat(catalog):
    job = abandoned(heartbeat_at=timezone.now() - timedelta(seconds=30), lease_expires_at=None)
    assert resume() == "No job to resume.\n"  # younger than the handler's stale_after
    assert "Resumed 1 job(s)." in resume("--stale-after", "10")
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


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


def test_every_keeps_resuming_what_expires_until_stopped(catalog, monkeypatch):
    first = abandoned()
    second = abandoned(lease_expires_at=timezone.now() + timedelta(hours=1))
    passes = []

    def sleep(seconds):
        passes.append(seconds)
        if len(passes) == 1:
            # Meanwhile the second job's worker dies too and its lease runs out.
            Job.objects.filter(pk=second.pk).update(lease_expires_at=timezone.now())
            return
        raise KeyboardInterrupt  # Ctrl-C

    monkeypatch.setattr(resume_jobs.time, "sleep", sleep)
    output = resume("--every", "2.5")
    assert passes == [2.5, 2.5]
    assert output.startswith("Looking for abandoned jobs every 2.5 s.\n")
    assert f"Queued job {first.pk} again" in output
    assert f"Queued job {second.pk} again" in output
    assert "No job to resume." not in output  # quiet when there is nothing to do
    assert output.endswith("Stopped.\n")


def test_every_outlives_a_database_that_is_busy_for_a_moment(catalog, monkeypatch):
    from django.db import OperationalError

    job = abandoned()
    real = resume_jobs.resume_stale_jobs
    passes = []

    def busy_once(*args, **kwargs):
        passes.append(1)
        if len(passes) == 1:
            raise OperationalError("database is locked")
        return real(*args, **kwargs)

    def sleep(seconds):
        if len(passes) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(resume_jobs, "resume_stale_jobs", busy_once)
    monkeypatch.setattr(resume_jobs.time, "sleep", sleep)
    out, err = io.StringIO(), io.StringIO()
    call_command("resume_jobs", "--every", "1", stdout=out, stderr=err)
    assert "Could not look for abandoned jobs: database is locked" in err.getvalue()
    assert f"Queued job {job.pk} again" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--every", "0"], "--every must be more than 0 seconds, not 0.0."),
        (["--every", "5", "--failed"], "--failed cannot be combined with --every"),
    ],
)
def test_bad_every_is_a_command_error(db, args, message):
    with pytest.raises(CommandError, match=message):
        resume(*args)
