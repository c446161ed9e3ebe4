"""Leases: a job is claimed by one run at a time, kept by its heartbeat, resumed only
once its lease expired, and a run that lost it starts no further work.

The runner is called in-process here; tests/jobs/test_workers.py runs real worker
processes (and ``resume_jobs`` in a loop) on PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

import toolkit.jobs.runner as runner_module
import toolkit.jobs.tasks as tasks_module
from demo.catalog.models import Product
from toolkit.compat import TASKS_MODULE
from toolkit.jobs.leases import Lease
from toolkit.jobs.models import Job, JobStatus
from toolkit.jobs.runner import JobRunner, Outcome, run_job
from toolkit.jobs.tasks import requeue, resume_stale_jobs, start_job

from . import handlers
from .conftest import IMMEDIATE

pytestmark = pytest.mark.django_db


def queued(kind, n=None, **params):
    target = (
        {}
        if n is None
        else {"pks": list(Product.objects.order_by("pk")[:n].values_list("pk", flat=True))}
    )
    return start_job(kind, model=Product, target=target, params=params)


def test_two_runs_claiming_one_queued_job_at_once_only_one_gets_it(catalog, monkeypatch):
    """Both runs read the job as queued before either writes: the claim is the
    conditional write, and the second one finds the job taken."""
    job = queued("tests.bump_stock")
    first, second = JobRunner(job.pk), JobRunner(job.pk)
    real_get_handler = runner_module.get_handler
    claims = []

    def first_claims_meanwhile(kind):
        monkeypatch.setattr(runner_module, "get_handler", real_get_handler)
        claims.append(first.claim())  # while the second run is between read and write
        return real_get_handler(kind)

    monkeypatch.setattr(runner_module, "get_handler", first_claims_meanwhile)
    assert second.claim() is False
    assert claims == [True]
    job.refresh_from_db()
    assert (job.status, job.lease, job.attempts) == (JobStatus.RUNNING, first.token, 1)


def test_a_heartbeat_between_a_resumes_read_and_its_write_keeps_the_job(catalog, monkeypatch):
    """The resume saw an expired lease; the live run renewed it a moment later. The
    resume's write checks the lease it saw, so the run keeps its job."""
    job = queued("tests.bump_stock")
    run = JobRunner(job.pk)
    assert run.claim()
    past = timezone.now() - timedelta(seconds=1)
    Job.objects.filter(pk=job.pk).update(lease_expires_at=past)
    real_update = tasks_module.update_if_unchanged

    def heartbeat_first(queryset, **changes):
        assert run.lease.renew()
        return real_update(queryset, **changes)

    monkeypatch.setattr(tasks_module, "update_if_unchanged", heartbeat_first)
    assert requeue(job.pk, stale_after=timedelta(0)) is False
    job.refresh_from_db()
    assert (job.status, job.lease) == (JobStatus.RUNNING, run.token)
    assert job.lease_expires_at > timezone.now()
    while (outcome := run.run_chunk()) is Outcome.CONTINUE:
        pass
    assert outcome is Outcome.DONE


def test_a_lease_lapses_without_renewals_and_renews_while_the_token_is_ours(catalog):
    job = queued("tests.bump_stock")
    run = JobRunner(job.pk)
    assert run.claim()
    running = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING)
    lease = Lease(job.pk, timedelta(seconds=0.05), run.token, running)
    lease.renewed(time.monotonic())
    assert not lease.lost
    time.sleep(0.06)
    assert lease.lost  # as far as the run knows, another may have it now
    assert lease.held()  # it asks: nobody took it, so it renews it
    assert not lease.lost
    Job.objects.filter(pk=job.pk).update(lease="someone-else")
    time.sleep(0.06)
    assert not lease.held()
    assert lease.lost


def test_a_run_that_lost_its_lease_stops_sending_in_the_middle_of_a_chunk(catalog, monkeypatch):
    job = queued("tests.slow_send", n=6)
    first_pk = min(Product.objects.values_list("pk", flat=True))
    real_send = handlers.SlowSend.send

    def send_then_lose_the_job(self, job, pk):
        real_send(self, job, pk)
        # Another run took the job over (its lease had expired); this run's next
        # heartbeat finds out.
        Job.objects.filter(pk=job.pk).update(lease="another-run")
        assert not self.lease.renew()

    monkeypatch.setattr(handlers.SlowSend, "send", send_then_lose_the_job)
    assert run_job(job.pk) == "lost"
    assert handlers.SENT == [first_pk]  # not the chunk's two other products
    job.refresh_from_db()
    assert (job.done, job.chunks) == (0, 0)


def test_every_write_of_the_run_pushes_its_lease_forward(catalog):
    job = queued("tests.bump_stock")
    run = JobRunner(job.pk)
    assert run.claim()
    job.refresh_from_db()
    claimed = job.lease_expires_at
    assert claimed - job.heartbeat_at == handlers.BumpStock.stale_after
    time.sleep(0.01)
    assert run.run_chunk() is Outcome.CONTINUE
    job.refresh_from_db()
    assert job.lease_expires_at > claimed
    while run.run_chunk() is Outcome.CONTINUE:
        pass
    job.refresh_from_db()
    assert (job.status, job.lease, job.lease_expires_at) == (JobStatus.DONE, "", None)


@pytest.fixture
def kept_in_the_queue(settings):
    """Queued jobs wait (Django's dummy backend): committed data runs nothing at once."""
    settings.TASKS = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.dummy.DummyBackend"}}


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_the_lease_while_the_run_waits(catalog, kept_in_the_queue):
    job = queued("tests.bump_stock")
    run = JobRunner(job.pk)
    assert run.claim()
    lease = run.lease
    lease.duration = timedelta(seconds=0.4)  # a heartbeat every 0.1 s
    job.refresh_from_db()
    claimed = job.lease_expires_at
    lease.start_heartbeat()
    try:
        time.sleep(0.35)  # a slow chunk: the run itself writes nothing meanwhile
    finally:
        lease.stop_heartbeat()
    job.refresh_from_db()
    assert job.heartbeat_at > claimed - handlers.BumpStock.stale_after
    assert job.lease_expires_at > timezone.now()
    assert not lease.lost


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_says_so_when_another_run_took_the_job_and_not_when_it_ended(
    catalog, kept_in_the_queue, caplog
):
    def heartbeat_until(change):
        job = queued("tests.bump_stock")
        run = JobRunner(job.pk)
        assert run.claim()
        run.lease.duration = timedelta(seconds=0.2)  # a heartbeat every 0.1 s
        run.lease.start_heartbeat()
        try:
            Job.objects.filter(pk=job.pk).update(**change)
            time.sleep(0.3)
        finally:
            run.lease.stop_heartbeat()
        return run.lease

    caplog.set_level("WARNING", logger="toolkit.jobs")
    ended = heartbeat_until({"status": JobStatus.DONE, "lease": ""})
    assert ended.lost and caplog.records == []
    taken = heartbeat_until({"lease": "another-run"})
    assert taken.lost
    assert [r.getMessage() for r in caplog.records] == [
        f"Job {taken.job_pk} was resumed by another run; this one stops before its next "
        "piece of work."
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_resume_in_a_loop_during_a_job_never_takes_it_and_nothing_is_sent_twice(
    catalog, kept_in_the_queue, settings
):
    """``resume_jobs --stale-after 0`` over and over while a job sends its items slowly
    (each chunk outlasts the lease several times): the heartbeat keeps the job, so no
    resume takes it and every item is sent once."""
    job = queued("tests.slow_send", n=9, delay=0.5)
    # From now on a resumed job would run at once, here, beside the first run.
    settings.TASKS = IMMEDIATE
    resumed = []

    def work():
        try:
            run_job(job.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    while worker.is_alive():
        resumed += resume_stale_jobs(timedelta(0))
        time.sleep(0.05)
    worker.join()

    job.refresh_from_db()
    assert resumed == []
    assert (job.status, job.done, job.attempts) == (JobStatus.DONE, 9, 1)
    assert sorted(handlers.SENT) == sorted(set(handlers.SENT)) and len(handlers.SENT) == 9
