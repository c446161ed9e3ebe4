"""AI actions as background jobs: counts, tokens, cancel between chunks, re-runs.

The job runs in this process (``run_job``) against the fault-injecting loopback server.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import Client as BrowserClient
from django.test import RequestFactory

from demo.catalog.models import Product
from tests.ai.fault_server import RECORD_ID, FaultServer
from toolkit.ai.handlers import AIJobHandler, start_ai_job
from toolkit.ai.models import Insight
from toolkit.exceptions import AILimitExceeded
from toolkit.jobs.models import Job, JobStatus
from toolkit.jobs.runner import run_job
from toolkit.jobs.tasks import cancel_job, resume_stale_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def llm(settings):
    with FaultServer(answer={"summary": "Fine."}, retry_after="0") as server:
        settings.TOOLKIT_AI = {
            "default": {
                "BASE_URL": server.url,
                "MODEL": "fault",
                "MAX_RETRIES": 0,
                "TIMEOUT": 5,
                "CONCURRENCY": 2,
            }
        }
        settings.TOOLKIT_AI_JOB_CHUNK_SIZE = 3
        settings.TOOLKIT_AI_MAX_RECORDS = 1000
        settings.TOOLKIT_AI_DAILY_RECORD_LIMIT = None
        yield server


def product_admin():
    return admin.site.get_model_admin(Product)


def action_request(user):
    request = RequestFactory().post("/admin/catalog/product/", {"action": "summarize"})
    request.user = user
    return request


def start(user, action="summarize", n=7, **kwargs):
    queryset = Product.objects.filter(
        pk__in=list(Product.objects.order_by("pk").values_list("pk", flat=True)[:n])
    )
    return start_ai_job(action_request(user), product_admin(), action, queryset, **kwargs)


def finish(job):
    run_job(job.pk)
    job.refresh_from_db()
    return job


def resume_dead(job):
    """The killed worker's lease runs out, and the job is resumed."""
    from django.utils import timezone

    assert resume_stale_jobs(timedelta(0)) == []  # not while its lease lives
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert resume_stale_jobs(timedelta(0)) == [job.pk]


def test_a_job_counts_done_skipped_failed_and_tokens(catalog, superuser, llm):
    job = finish(start(superuser))
    assert job.kind == AIJobHandler.name and job.status == JobStatus.DONE, job.error
    assert (job.total, job.done, job.skipped, job.failed) == (7, 7, 0, 0)
    assert job.chunks == 3  # 3 + 3 + 1 records
    assert job.stats == {"tokens_in": 7 * 42, "tokens_out": 7 * 7}
    assert Insight.objects.filter(job_id=job.pk, status="ok", requested_by=superuser).count() == 7
    assert "7 products answered" in job.message

    again = finish(start(superuser))
    assert (again.done, again.skipped, again.failed) == (0, 7, 0)
    assert llm.requests == 7
    assert "7 unchanged since the last run" in again.message


def test_the_progress_page_shows_skipped_tokens_and_a_link_to_the_results(catalog, superuser, llm):
    first = finish(start(superuser))
    job = finish(start(superuser))
    client = BrowserClient()
    client.force_login(superuser)
    page = client.get(first.get_absolute_url()).content.decode()
    assert 'data-job-field="tokens_in">294<' in page
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-job-field="skipped">7<' in page
    assert "See the results" in page
    assert f'href="/admin/toolkit_ai/insight/?job_id={job.pk}"' in page
    status = client.get(f"/admin/toolkit_jobs/job/{first.pk}/status/").json()
    assert status["skipped"] == 0 and status["stats"]["tokens_in"] == 7 * 42
    status = client.get(f"/admin/toolkit_jobs/job/{job.pk}/status/").json()
    assert status["skipped"] == 7


def test_a_job_of_proposals_links_to_where_a_person_reviews_them(catalog, superuser, llm):
    llm.answer = {"value": "A clearer description.", "reason": "Says what it is."}
    job = finish(start(superuser, action="suggest_description", n=2))
    assert (job.done, job.failed) == (2, 0), job.error

    client = BrowserClient()
    client.force_login(superuser)
    page = client.get(job.get_absolute_url()).content.decode()

    assert 'href="/admin/catalog/product/ai/proposals/">See the results<' in page
    review = client.get("/admin/catalog/product/ai/proposals/").content.decode()
    assert review.count("A clearer description.") == 2


def test_failed_records_end_failed_and_a_rerun_completes_only_them(catalog, superuser, llm):
    llm.script("server_error", "ok", "html_502")
    job = finish(start(superuser, n=5))
    assert job.status == JobStatus.DONE
    assert (job.done, job.failed) == (3, 2)
    failed = Insight.objects.filter(job_id=job.pk, status="failed")
    errors = list(failed.values_list("error", flat=True))
    assert len(errors) == 2 and all("HTTP 50" in error for error in errors), errors
    assert "2 failed" in job.message

    rerun = finish(start(superuser, n=5))
    assert (rerun.done, rerun.skipped, rerun.failed) == (2, 3, 0)


def test_cancel_takes_effect_between_chunks(catalog, superuser, llm, monkeypatch):
    original = AIJobHandler.process_chunk

    def process_then_cancel(self, job, objects):
        result = original(self, job, objects)
        Job.objects.filter(pk=job.pk).update(cancel_requested=True)
        return result

    monkeypatch.setattr(AIJobHandler, "process_chunk", process_then_cancel)
    job = finish(start(superuser))
    assert job.status == JobStatus.CANCELLED
    assert job.done == 3 and llm.requests == 3
    assert Insight.objects.filter(job_id=job.pk).count() == 3


class WorkerKilled(BaseException):
    """Stands for a worker killed mid-chunk: not an Exception, so nothing catches it."""


@pytest.fixture
def kill_before_commit(monkeypatch):
    """``kill_before_commit(job, chunk)``: the worker running ``job`` dies in the
    transaction of its chunk number ``chunk``, once: after prepare_chunk stored the
    chunk's insights, before the chunk commits."""
    original = AIJobHandler.process_chunk
    doomed = {}

    def process_then_die(self, job, objects):
        result = original(self, job, objects)
        if doomed.get(job.pk) == job.chunks:
            del doomed[job.pk]
            raise WorkerKilled
        return result

    monkeypatch.setattr(AIJobHandler, "process_chunk", process_then_die)
    return lambda job, chunk: doomed.__setitem__(job.pk, chunk)


def sent_ids(llm):
    """The record id of every request the server received (one record per prompt)."""
    ids = []
    for body in llm.bodies:
        text = "\n".join(str(message.get("content", "")) for message in body["messages"])
        ids += [json.loads(match) for match in RECORD_ID.findall(text)]
    return ids


@pytest.mark.parametrize("force", [False, True])
def test_a_worker_killed_before_the_chunk_commits_resumes_without_sending_twice(
    catalog, superuser, llm, kill_before_commit, force, monkeypatch
):
    """The answers a dead worker stored count for the resumed job as they ended (done,
    failed, their tokens), not as "unchanged since the last run", and are not sent again.
    Those it counted as it stored them (the progress moves per record) count once."""
    monkeypatch.setattr(AIJobHandler, "progress_interval", 0.0)  # each answer counted
    llm.script("ok", "ok", "ok", "server_error")  # the second chunk's first request fails
    job = start(superuser, force=force)
    kill_before_commit(job, 1)
    with pytest.raises(WorkerKilled):
        run_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING  # as a killed worker leaves it
    # The first chunk committed; the second's three answers were counted as stored.
    assert (job.done, job.failed, job.chunks) == (5, 1, 1)
    assert Insight.objects.filter(job_id=job.pk).count() == 6  # the second chunk's too

    resume_dead(job)
    job = finish(job)
    assert job.status == JobStatus.DONE, job.error
    assert (job.total, job.done, job.skipped, job.failed) == (7, 6, 0, 1)
    assert job.stats == {"tokens_in": 6 * 42, "tokens_out": 6 * 7}
    assert "6 products answered, 1 failed" in job.message
    assert "unchanged" not in job.message
    sent = sent_ids(llm)
    assert llm.requests == len(sent) == 7
    assert Counter(sent).most_common(1)[0][1] == 1, sent  # no record sent twice
    assert Insight.objects.filter(job_id=job.pk).count() == 7


def test_records_cached_from_an_earlier_job_stay_skipped_after_a_kill(
    catalog, superuser, llm, kill_before_commit
):
    finish(start(superuser, n=4))  # answers the first chunk and one record of the second
    job = start(superuser)
    kill_before_commit(job, 1)
    with pytest.raises(WorkerKilled):
        run_job(job.pk)
    resume_dead(job)
    job = finish(job)
    assert (job.done, job.skipped, job.failed) == (3, 4, 0)
    assert llm.requests == 4 + 3


def test_a_digest_stored_before_a_kill_is_not_asked_for_again(
    catalog, superuser, llm, kill_before_commit
):
    llm.answer = {"summary": "All fine.", "highlights": ["cheap"]}
    job = start(superuser, "summarize_selection")
    kill_before_commit(job, 0)
    with pytest.raises(WorkerKilled):
        run_job(job.pk)
    requests = llm.requests
    resume_dead(job)
    job = finish(job)
    assert (job.status, job.done, job.failed) == (JobStatus.DONE, 7, 0)
    assert llm.requests == requests
    assert Insight.objects.filter(job_id=job.pk).count() == 1
    assert job.stats["tokens_in"] == requests * 42


def test_a_digest_job_stores_one_digest_insight(catalog, superuser, llm):
    llm.answer = {"summary": "All fine.", "highlights": ["cheap"]}
    job = finish(start(superuser, "summarize_selection", scope={"q": "oak"}))
    assert job.status == JobStatus.DONE, job.error
    (digest,) = Insight.objects.filter(job_id=job.pk)
    assert (digest.kind, digest.object_id, digest.record_count) == ("digest", "", 7)
    assert digest.scope == {"q": "oak"} and digest.text.startswith("All fine.")
    assert job.done == 7


def test_limits_are_checked_before_a_job_is_queued(catalog, superuser, llm, settings):
    settings.TOOLKIT_AI_MAX_RECORDS = 5
    with pytest.raises(AILimitExceeded, match="at most 5"):
        start(superuser, n=6)
    assert not Job.objects.exists()


def test_a_job_builds_its_source_once_not_per_chunk(catalog, superuser, llm, monkeypatch):
    """Three chunks, one AISource (from one ModelAdmin lookup and one request): a chunk
    of a few records would otherwise rebuild them, and the source's prompt caches."""
    from toolkit.ai.runs import RecordRun
    from toolkit.ai.sources import AISource

    built = []
    real_from_admin = AISource.from_admin.__func__

    def from_admin(cls, *args, **kwargs):
        built.append(real_from_admin(cls, *args, **kwargs))
        return built[-1]

    sources = []
    real_init = RecordRun.__init__

    def init(run, action, source, *args, **kwargs):
        sources.append(source)
        real_init(run, action, source, *args, **kwargs)

    monkeypatch.setattr(AISource, "from_admin", classmethod(from_admin))
    monkeypatch.setattr(RecordRun, "__init__", init)
    job = finish(start(superuser))
    assert (job.status, job.chunks, job.done) == (JobStatus.DONE, 3, 7)
    assert len(built) == 1
    assert len(sources) == 3 and all(source is built[0] for source in sources)


def test_the_model_is_asked_outside_the_chunks_transaction(catalog, superuser, llm, monkeypatch):
    """No row lock (and on SQLite no write lock) is held while the model answers, so a
    cancel or any other write never waits on it."""
    from django.db import connection

    from toolkit.ai.runs import RecordRun

    depths = []
    real = RecordRun.execute

    def spy(run):
        depths.append(len(connection.atomic_blocks))
        return real(run)

    monkeypatch.setattr(RecordRun, "execute", spy)
    base = len(connection.atomic_blocks)  # the test's own transaction
    job = finish(start(superuser))
    assert job.status == JobStatus.DONE and job.done == 7
    assert depths == [base, base, base]  # three chunks, none inside a job transaction


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cancel_does_not_wait_for_the_model(catalog, superuser, llm):
    """While a worker waits seconds for the model, the person's Cancel returns at once,
    and the job stops after the records already asked for."""
    import threading
    import time

    from django.db import connection

    llm.latency = 1.5
    job = start(superuser, n=6)

    def work():
        try:
            run_job(job.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    deadline = time.monotonic() + 20
    while llm.requests == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert llm.requests > 0
    started = time.monotonic()
    assert cancel_job(Job.objects.get(pk=job.pk))
    assert time.monotonic() - started < 1.0
    worker.join(30)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert job.done == 3 and Insight.objects.filter(job_id=job.pk).count() == 3


def test_a_run_that_lost_its_job_sends_no_further_request(catalog, superuser, llm, monkeypatch):
    """Another run took the job over (its lease had expired): this run's next heartbeat
    finds out, it sends none of the chunk's remaining records and commits nothing, and
    the run that holds the job now sends what is left: each record once."""
    import threading

    real_should_stop = AIJobHandler.should_stop
    asked = []

    def taken_over_after_the_first_request(self, job):
        # Asked on the thread that reads the requests (here) and on the one that sends
        # each; the takeover and the heartbeat happen here, after the first request.
        if threading.current_thread() is threading.main_thread():
            asked.append(job.pk)
            if len(asked) == 2:
                Job.objects.filter(pk=job.pk).update(lease="another-run")
                assert not self.lease.renew()  # the heartbeat finds the job taken
        return real_should_stop(self, job)

    monkeypatch.setattr(AIJobHandler, "should_stop", taken_over_after_the_first_request)
    job = start(superuser, n=3)
    assert run_job(job.pk) == "lost"
    assert 1 <= llm.requests < 3
    job.refresh_from_db()
    assert (job.done, job.chunks) == (0, 0)

    monkeypatch.setattr(AIJobHandler, "should_stop", real_should_stop)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED, lease="")  # its new run
    job = finish(job)
    assert (job.status, job.done) == (JobStatus.DONE, 3)
    assert llm.requests == 3
    assert Counter(sent_ids(llm)).most_common(1)[0][1] == 1
