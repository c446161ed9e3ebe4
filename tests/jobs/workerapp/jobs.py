"""The handler the worker processes run (found by toolkit.jobs' autodiscovery)."""

import os
import time
from datetime import timedelta

from toolkit.jobs import ChunkResult, JobHandler, register

from .models import Visit


@register
class VisitItems(JobHandler):
    """Visits each item, one insert at a time with a pause after each: a worker killed
    during a chunk has written some rows of it, uncommitted."""

    name = "tests.visit"
    queue_name = os.environ.get("TOOLKIT_JOBS_TEST_QUEUE") or None

    def get_chunk_size(self, job):
        return job.params.get("chunk_size", 5)

    def get_stale_after(self, job):
        if "lease" in job.params:
            return timedelta(seconds=job.params["lease"])
        return super().get_stale_after(job)

    def process_chunk(self, job, objects):
        worker = os.environ.get("TOOLKIT_JOBS_WORKER", "?")
        trace = os.environ.get("TOOLKIT_JOBS_TEST_TRACE")
        delay = job.params.get("delay", 0)
        count = 0
        for item in objects:
            Visit.objects.create(job_pk=job.pk, item=item, worker=worker, pid=os.getpid())
            if trace:
                # Outside the transaction: shows the test how far a chunk had got.
                with open(os.path.join(trace, f"{worker}.trace"), "a") as f:
                    f.write(f"{job.pk} {item.pk}\n")
            count += 1
            time.sleep(delay)
        return ChunkResult(done=count)
