"""An AI job's progress moves record by record, not chunk by chunk.

A scripted loopback endpoint reads the job's ``processed`` from the database as each
request reaches it (another thread, another connection: what the progress page would
read), so each answer's count is seen before the next record is answered.
"""

from __future__ import annotations

import time

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from tests.ai.fault_server import FaultServer
from tests.ai.test_handlers import finish, start
from toolkit.ai.handlers import AIJobHandler
from toolkit.ai.job_progress import REPORTED
from toolkit.jobs.models import Job, JobStatus

pytestmark = pytest.mark.django_db(transaction=True)


class ProgressWatchingServer(FaultServer):
    """Before answering request n, waits (up to a few seconds) until the job's
    ``processed`` reaches n - 1, and records what it read."""

    job_pk = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def _next_mode(self, body, authorization):
        from django.db import connections

        wanted = len(self.seen)
        deadline = time.monotonic() + 5
        processed = None
        try:
            reader = connections["default"]
            if reader.vendor == "sqlite":
                # The test database is SQLite's shared-cache memory database, where a
                # reading connection locks the table against the worker's write ("database
                # table is locked", and the job fails); read uncommitted takes no lock.
                with reader.cursor() as cursor:
                    cursor.execute("PRAGMA read_uncommitted = 1")
            while time.monotonic() < deadline:
                try:
                    processed = Job.objects.get(pk=self.job_pk).processed
                except OperationalError:  # SQLite: the worker is writing this moment
                    processed = None
                if processed is not None and processed >= wanted:
                    break
                time.sleep(0.02)
        finally:
            connections.close_all()
        self.seen.append(processed)
        return super()._next_mode(body, authorization)


@pytest.fixture
def scripted(settings):
    with ProgressWatchingServer(answer={"summary": "Fine."}, retry_after="0") as server:
        settings.TOOLKIT_AI = {
            "default": {
                "BASE_URL": server.url,
                "MODEL": "scripted",
                "MAX_RETRIES": 0,
                "TIMEOUT": 30,
                "CONCURRENCY": 1,  # one record at a time, as a CPU model answers
            }
        }
        settings.TOOLKIT_AI_JOB_CHUNK_SIZE = 5
        settings.TOOLKIT_AI_MAX_RECORDS = 1000
        settings.TOOLKIT_AI_DAILY_RECORD_LIMIT = None
        yield server


def test_processed_moves_as_each_record_is_answered(catalog, superuser, scripted, monkeypatch):
    monkeypatch.setattr(AIJobHandler, "progress_interval", 0.0)
    job = start(superuser, n=7)
    scripted.job_pk = job.pk

    job = finish(job)

    # Request n reached the endpoint once the n - 1 records before it were counted:
    # inside the first chunk of 5 as much as across chunks.
    assert scripted.seen == [0, 1, 2, 3, 4, 5, 6]
    assert job.status == JobStatus.DONE, job.error
    assert (job.done, job.failed, job.skipped, job.processed) == (7, 0, 0, 7)
    assert job.stats == {"tokens_in": 7 * 42, "tokens_out": 7 * 7}  # counted once each


def job_updates(queries):
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith('UPDATE "toolkit_jobs_job"') and '"done" = (' in q["sql"]
    ]


def test_a_fast_run_updates_the_job_at_most_once_per_interval(
    catalog, superuser, scripted, monkeypatch
):
    monkeypatch.setattr(AIJobHandler, "progress_interval", 3600.0)
    job = start(superuser, n=7)
    scripted.job_pk = job.pk

    with CaptureQueriesContext(connection) as queries:
        job = finish(job)

    # The first answer is counted at once; the others wait for the interval, or for
    # their chunk to commit.
    assert len(job_updates(queries.captured_queries)) == 1
    assert scripted.seen[:3] == [0, 1, 1]
    assert (job.done, job.processed) == (7, 7) and REPORTED not in job.stats
