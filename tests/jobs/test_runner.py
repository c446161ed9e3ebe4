"""A job runs in chunks: one transaction per chunk, resumable, cancellable, fenced.

The worker here is the runner called in-process; tests/jobs/test_workers.py does the
same with real worker processes on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from demo.catalog.models import Product
from toolkit.jobs.models import Job, JobStatus
from toolkit.jobs.results import part_name
from toolkit.jobs.runner import JobRunner, Outcome, run_job
from toolkit.jobs.tasks import (
    can_resume,
    cancel_job,
    enqueue,
    requeue,
    resume_stale_jobs,
    start_job,
)

from . import handlers
from .handlers import WorkerDied

pytestmark = pytest.mark.django_db


def stocks():
    return dict(Product.objects.values_list("pk", "stock"))


def queued(kind, user=None, **params):
    """A committed, queued job over every product, its task not sent."""
    return start_job(kind, user=user, model=Product, target={}, params=params)


def expire_lease(job):
    """Time passes without a heartbeat, as after the death of the worker holding it."""
    past = timezone.now() - timedelta(seconds=1)
    Job.objects.filter(pk=job.pk).update(lease_expires_at=past, heartbeat_at=past)


def test_job_walks_every_row_once_in_pk_order_and_records_progress(catalog):
    before = stocks()
    job = queued("tests.bump_stock")

    assert run_job(job.pk) == "done"

    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert (job.total, job.done, job.failed) == (60, 60, 0)
    assert job.chunks == 3  # 25 + 25 + 10
    assert job.cursor == max(before)
    assert job.percent == 100
    assert job.message == "60 products processed."
    assert job.started_at <= job.finished_at
    assert job.lease == ""
    assert handlers.SEEN == sorted(before)
    assert stocks() == {pk: stock + 1 for pk, stock in before.items()}


def test_chunk_size_comes_from_the_setting_when_the_handler_sets_none(catalog, settings):
    settings.TOOLKIT_CHUNK_SIZE = 7
    job = queued("tests.default_chunk_size")
    run_job(job.pk)
    job.refresh_from_db()
    assert job.chunks == 9  # ceil(60 / 7)
    assert job.done == 60  # process_chunk returned None: the whole chunk counts as done


def test_each_chunk_costs_the_same_queries_wherever_it_is(catalog):
    job = queued("tests.bump_stock")
    runner = JobRunner(job.pk)
    assert runner.claim()
    runner.count_total()
    counts = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            assert runner.run_chunk() is Outcome.CONTINUE
        counts.append(len(queries))
    assert len(set(counts)) == 1, counts


def test_failed_rows_are_counted_and_the_job_goes_on(catalog):
    job = queued("tests.half_fail")
    run_job(job.pk)
    job.refresh_from_db()
    odd = sum(pk % 2 for pk in Product.objects.values_list("pk", flat=True))
    assert job.status == JobStatus.DONE
    assert (job.done, job.failed) == (60 - odd, odd)
    assert job.message == f"{60 - odd} products processed, {odd} failed."


def test_worker_dying_mid_chunk_leaves_no_half_applied_chunk_and_a_resume_finishes_once(catalog):
    before = stocks()
    job = queued("tests.bump_stock", crash_at_chunk=1)

    with pytest.raises(WorkerDied):
        run_job(job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING  # as a killed worker leaves it
    assert (job.done, job.chunks) == (25, 1)
    after_crash = stocks()
    # The first chunk committed, the second rolled back entirely.
    assert sum(after_crash[pk] - before[pk] for pk in before) == 25

    assert resume_stale_jobs(timedelta(0)) == []  # its lease has not run out yet
    expire_lease(job)
    assert resume_stale_jobs(timedelta(0)) == [job.pk]
    assert run_job(job.pk) == "done"

    job.refresh_from_db()
    assert (job.status, job.done, job.attempts) == (JobStatus.DONE, 60, 2)
    assert stocks() == {pk: stock + 1 for pk, stock in before.items()}


def test_a_dead_runs_job_is_resumed_only_once_its_lease_expires(catalog):
    job = queued("tests.bump_stock", crash_at_chunk=0)
    with pytest.raises(WorkerDied):
        run_job(job.pk)
    job.refresh_from_db()
    # The claim leased the job for the handler's stale_after.
    assert job.lease_expires_at - job.heartbeat_at == handlers.BumpStock.stale_after
    assert resume_stale_jobs() == []
    assert resume_stale_jobs(timedelta(0)) == []  # no --stale-after takes a live lease
    expire_lease(job)
    assert resume_stale_jobs(timedelta(hours=1)) == []  # a longer silence may be asked
    assert resume_stale_jobs() == [job.pk]


def test_exception_fails_the_job_with_a_sentence_and_a_resume_continues(catalog):
    before = stocks()
    job = queued("tests.bump_stock", fail_at_chunk=1)

    assert run_job(job.pk) == "failed"

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == "The supplier's API refused the update"
    assert job.done == 25
    assert can_resume(job)

    assert requeue(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.QUEUED, "")
    run_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.DONE, 60)
    assert stocks() == {pk: stock + 1 for pk, stock in before.items()}


def test_cancel_requested_mid_run_stops_before_the_next_chunk(catalog):
    job = queued("tests.bump_stock", cancel_in_chunk=0)

    assert run_job(job.pk) == "cancelled"

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert job.done == 25
    assert job.message == "Cancelled after 25 of 60."
    assert job.finished_at is not None


def test_cancelling_a_queued_job_means_it_never_runs(catalog):
    before = stocks()
    job = queued("tests.bump_stock")
    assert cancel_job(job)
    assert job.status == JobStatus.CANCELLED
    assert run_job(job.pk) == "skipped"
    assert stocks() == before


def test_cancelling_a_finished_job_changes_nothing(catalog):
    job = queued("tests.bump_stock")
    run_job(job.pk)
    job.refresh_from_db()
    assert not cancel_job(job)
    assert job.status == JobStatus.DONE


def test_second_task_for_the_same_job_does_nothing(catalog):
    before = stocks()
    job = queued("tests.bump_stock")
    assert run_job(job.pk) == "done"
    assert run_job(job.pk) == "skipped"
    assert stocks() == {pk: stock + 1 for pk, stock in before.items()}


def test_run_that_lost_its_lease_stops_without_committing_a_chunk(catalog):
    before = stocks()
    job = queued("tests.bump_stock")
    old = JobRunner(job.pk)
    assert old.claim()
    assert old.run_chunk() is Outcome.CONTINUE  # chunk 1 by the old run

    # The old run stalls past its lease; the job is queued again, a new run finishes it.
    assert not requeue(job.pk, stale_after=timedelta(0))  # not while the lease lives
    expire_lease(job)
    assert requeue(job.pk)
    assert run_job(job.pk) == "done"

    # The old run wakes up: it must not process anything again.
    assert not old.lease.renew()
    assert old.lease.lost
    assert old.run_chunk() is Outcome.LOST
    assert stocks() == {pk: stock + 1 for pk, stock in before.items()}
    job.refresh_from_db()
    assert job.done == 60


def test_unknown_kind_fails_the_job_with_a_clear_error(db):
    job = Job.objects.create(kind="gone.away")
    assert run_job(job.pk) == "skipped"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "No job handler is registered as 'gone.away'" in job.error


def test_missing_job_is_skipped(db):
    assert run_job(987654) == "skipped"


def test_on_finish_can_write_the_result_message(catalog):
    job = queued("tests.summarise")
    run_job(job.pk)
    job.refresh_from_db()
    assert job.message == "Summarised 60 products in 1 chunk(s)."


def test_export_result_file_holds_header_and_every_chunk_in_order(catalog, run_on_commit):
    job = queued("tests.export_skus")
    with run_on_commit():  # parts are deleted once the job's completion commits
        run_job(job.pk)
    job.refresh_from_db()

    assert job.status == JobStatus.DONE
    assert job.result_file.name.endswith(".csv")
    with job.result_file.open("rb") as f:
        lines = f.read().decode().splitlines()
    expected = [
        f"{pk},{sku}" for pk, sku in Product.objects.order_by("pk").values_list("pk", "sku")
    ]
    assert lines == ["pk,sku", *expected]
    storage = job.result_file.storage
    assert not any(storage.exists(part_name(job, i)) for i in range(job.chunks))


def test_part_left_by_a_dead_attempt_is_replaced_not_duplicated(catalog):
    job = queued("tests.export_skus")
    storage = job.result_file.storage
    storage.save(part_name(job, 0), ContentFile(b"half,written\n"))

    run_job(job.pk)

    job.refresh_from_db()
    content = job.result_file.read().decode()
    assert "half,written" not in content
    assert content.count("\n") == 61


def test_empty_target_finishes_at_once_with_an_empty_export(db):
    job = start_job("tests.export_skus", model=Product, target={})
    run_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.total, job.done) == (JobStatus.DONE, 0, 0)
    assert job.result_file.read() == b"pk,sku\n"


def test_deleting_a_job_deletes_its_result_file(catalog, django_capture_on_commit_callbacks):
    job = queued("tests.export_skus")
    run_job(job.pk)
    job.refresh_from_db()
    storage, name = job.result_file.storage, job.result_file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        job.delete()
    assert not storage.exists(name)


def test_output_without_produces_file_fails_the_job_and_says_why(catalog, monkeypatch):
    from .handlers import ExportSkus

    monkeypatch.setattr(ExportSkus, "produces_file", False)
    job = queued("tests.export_skus")
    assert run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert job.error == "ExportSkus returned output but does not declare produces_file = True."


def test_max_run_time_hands_the_job_back_to_the_queue_between_chunks(catalog, run_on_commit):
    before = stocks()
    job = queued("tests.time_sliced")

    with run_on_commit():
        # one chunk, then back to the queue...
        assert run_job(job.pk, enqueue=enqueue) == "queued"

    job.refresh_from_db()  # ...where each new task did one more chunk, until done
    assert job.status == JobStatus.DONE
    assert (job.done, job.chunks) == (60, 3)
    assert job.attempts == 4  # three chunks, then one run that finds nothing left
    assert handlers.SEEN == sorted(before)
    assert stocks() == {pk: stock + 1 for pk, stock in before.items()}


def test_a_run_given_no_way_to_queue_the_job_again_does_the_whole_job(catalog):
    """Called in-process without ``enqueue`` (a script, a test), nothing would continue
    a job handed back: max_run_time is not applied and the run finishes it."""
    job = queued("tests.time_sliced")
    assert run_job(job.pk) == "done"
    job.refresh_from_db()
    assert (job.status, job.done, job.chunks, job.attempts) == (JobStatus.DONE, 60, 3, 1)
