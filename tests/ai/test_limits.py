"""The daily record limit holds however records are sent: queued as jobs, in the request,
by a job started without a reservation, by two requests at the same moment.

Records are reserved when a run starts or a job is queued; answered ones stay counted,
failed, unchanged and cancelled ones are given back. Jobs run in this process
(``run_job``) against the fault-injecting loopback server.
"""

from __future__ import annotations

import threading

import pytest
from django.contrib import admin
from django.test import RequestFactory

from demo.catalog.models import Product
from tests.ai.fault_server import FaultServer
from toolkit.ai.actions import SummarizeAction
from toolkit.ai.handlers import AIJobHandler, start_ai_job
from toolkit.ai.limits import check_limits, reserve
from toolkit.ai.models import AIReservation, AIUsage, Insight
from toolkit.ai.runner import run_action
from toolkit.ai.sources import AISource
from toolkit.exceptions import AILimitExceeded
from toolkit.jobs.models import Job, JobStatus
from toolkit.jobs.runner import run_job
from toolkit.jobs.tasks import cancel_job, start_job

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
                "CONCURRENCY": 1,
            }
        }
        settings.TOOLKIT_AI_JOB_CHUNK_SIZE = 3
        settings.TOOLKIT_AI_MAX_RECORDS = 1000
        settings.TOOLKIT_AI_DAILY_RECORD_LIMIT = 30
        yield server


def product_admin():
    return admin.site.get_model_admin(Product)


def selection(n, offset=0):
    pks = list(Product.objects.order_by("pk").values_list("pk", flat=True)[offset : offset + n])
    return Product.objects.filter(pk__in=pks)


def start(user, n, offset=0, **kwargs):
    request = RequestFactory().post("/admin/catalog/product/", {"action": "summarize"})
    request.user = user
    return start_ai_job(request, product_admin(), "summarize", selection(n, offset), **kwargs)


def finish(job):
    run_job(job.pk)
    job.refresh_from_db()
    return job


def used_today(user):
    usage = AIUsage.objects.filter(user=user).first()
    return usage.records if usage is not None else 0


# -- jobs --------------------------------------------------------------------------------


def test_jobs_queued_one_after_another_share_the_daily_limit(catalog, superuser, llm):
    """Four jobs of 25 under a limit of 30: the first is queued, the others are refused
    before anything is queued, and the message says how many records remain."""
    first = start(superuser, 25)
    for offset in (25, 30, 35):
        with pytest.raises(AILimitExceeded) as refused:
            start(superuser, 25, offset)
        message = str(refused.value)
        assert "25 more are reserved by runs and jobs not finished yet" in message
        assert "5 more can be sent today, not 25" in message
    assert list(Job.objects.values_list("pk", flat=True)) == [first.pk]

    job = finish(first)
    assert (job.status, job.done) == (JobStatus.DONE, 25)
    assert llm.requests == 25
    assert used_today(superuser) == 25
    assert not AIReservation.objects.exists()  # every record ended: nothing held


def test_a_job_that_was_queued_without_a_reservation_stops_at_the_limit(
    catalog, superuser, llm, settings
):
    """A job started directly (or queued before the limit was set) reserves each chunk
    before sending it: past the limit it fails with the limit's message, nothing of the
    refused chunk sent."""
    settings.TOOLKIT_AI_DAILY_RECORD_LIMIT = None
    job = start(superuser, 10)  # no limit: nothing reserved
    assert not AIReservation.objects.exists()
    settings.TOOLKIT_AI_DAILY_RECORD_LIMIT = 7

    job = finish(job)

    assert job.status == JobStatus.FAILED
    assert job.done == 6  # two chunks of 3; the third would pass the limit
    assert "1 more can be sent today, not 3" in job.error
    assert llm.requests == 6
    assert used_today(superuser) == 6
    assert not AIReservation.objects.exists()  # the failed job gave back what it held


def test_start_job_without_start_ai_job_cannot_pass_the_limit_either(
    catalog, superuser, llm, settings
):
    settings.TOOLKIT_AI_DAILY_RECORD_LIMIT = 4
    template = start(superuser, 3)  # a job made the usual way, to copy its target
    cancel_job(template)
    job = start_job(
        AIJobHandler,
        user=superuser,
        model=Product,
        target={
            **template.target,
            "pks": [str(pk) for pk in selection(9).values_list("pk", flat=True)],
        },
        params=template.params,
    )
    job = finish(job)
    assert job.status == JobStatus.FAILED and llm.requests == 3
    assert "1 more can be sent today, not 3" in job.error


def test_failed_and_unchanged_records_are_given_back(catalog, superuser, llm, settings):
    settings.TOOLKIT_AI_DAILY_RECORD_LIMIT = 10
    llm.script("server_error", "ok", "html_502")
    job = finish(start(superuser, 5))
    assert (job.done, job.failed) == (3, 2)
    assert used_today(superuser) == 3  # the two failures cost nothing

    # 3 answered + 7 = 10: fits. Three of the five are unchanged and given back when
    # their chunk ends, the two failed ones are sent again.
    again = finish(start(superuser, 7))
    assert (again.done, again.skipped, again.failed) == (4, 3, 0)
    assert used_today(superuser) == 7
    with pytest.raises(AILimitExceeded, match="3 more can be sent today, not 4"):
        start(superuser, 4, offset=20)


def test_cancelling_a_queued_job_gives_its_records_back(catalog, superuser, llm):
    job = start(superuser, 25)
    with pytest.raises(AILimitExceeded):
        start(superuser, 25, offset=25)
    assert cancel_job(job)
    assert used_today(superuser) == 0
    assert start(superuser, 25, offset=25).status == JobStatus.QUEUED


def test_cancelling_a_running_job_gives_back_what_it_did_not_send(
    catalog, superuser, llm, monkeypatch
):
    original = AIJobHandler.process_chunk

    def process_then_cancel(self, job, objects):
        result = original(self, job, objects)
        Job.objects.filter(pk=job.pk).update(cancel_requested=True)
        return result

    monkeypatch.setattr(AIJobHandler, "process_chunk", process_then_cancel)
    job = finish(start(superuser, 25))
    assert (job.status, job.done) == (JobStatus.CANCELLED, 3)
    assert used_today(superuser) == 3
    assert not AIReservation.objects.exists()


def test_deleting_a_queued_job_gives_its_records_back(catalog, superuser, llm):
    job = start(superuser, 25)
    job.delete()
    assert used_today(superuser) == 0
    assert not AIReservation.objects.exists()


# -- runs in the request -----------------------------------------------------------------


def test_a_run_in_the_request_counts_only_the_answered_records(catalog, superuser, llm, settings):
    settings.TOOLKIT_AI_DAILY_RECORD_LIMIT = 5
    llm.script("ok", "server_error", "ok", "ok")
    source = AISource.from_admin(product_admin())
    report = run_action(SummarizeAction, source, selection(4), user=superuser)
    assert (report.ok, report.failed) == (3, 1)
    assert used_today(superuser) == 3
    assert not AIReservation.objects.exists()
    check_limits(superuser, 2)
    with pytest.raises(AILimitExceeded, match=r"sent 3 records.*daily limit is 5.*2 more"):
        run_action(SummarizeAction, source, selection(3, offset=10), user=superuser)
    assert llm.requests == 4  # the refused run sent nothing


def test_a_job_queued_counts_against_a_run_in_the_request(catalog, superuser, llm):
    start(superuser, 28)
    source = AISource.from_admin(product_admin())
    with pytest.raises(AILimitExceeded, match="2 more can be sent today, not 3"):
        run_action(SummarizeAction, source, selection(3, offset=40), user=superuser)
    assert llm.requests == 0 and not Insight.objects.exists()


def test_each_person_has_a_limit_of_their_own(catalog, superuser, viewer, llm):
    start(superuser, 30)
    assert reserve(viewer, 30) is not None
    with pytest.raises(AILimitExceeded):
        reserve(superuser, 1)


# -- at the same moment ------------------------------------------------------------------


def test_a_reservation_is_decided_when_it_is_written_not_when_it_was_checked(
    catalog, superuser, llm
):
    """Two requests that both passed the check (neither had reserved yet): the
    conditional update lets only the first take the records."""
    check_limits(superuser, 25)
    check_limits(superuser, 25)
    assert reserve(superuser, 25) is not None
    with pytest.raises(AILimitExceeded, match="5 more can be sent today, not 25"):
        reserve(superuser, 25)
    assert used_today(superuser) == 25


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_queuing_at_once_cannot_both_pass(catalog, superuser, llm):
    barrier = threading.Barrier(2)
    outcomes = []

    def queue(offset):
        from django.db import connection

        try:
            barrier.wait(10)
            outcomes.append(start(superuser, 25, offset).pk)
        except AILimitExceeded as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=queue, args=(offset,)) for offset in (0, 25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(outcomes) == 2
    jobs = [outcome for outcome in outcomes if isinstance(outcome, int)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, str)]
    assert len(jobs) == 1 and Job.objects.count() == 1
    assert "5 more can be sent today, not 25" in refusals[0]
    assert used_today(superuser) == 25
