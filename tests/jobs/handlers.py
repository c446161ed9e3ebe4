"""Job handlers the unit tests run in-process, over the demo catalog's products.

``bump_stock`` adds 1 to each product's stock: a product processed twice would show +2,
one skipped +0, so "exactly once" is checked on the data itself.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.db.models import F

from toolkit.jobs import ChunkResult, JobHandler, register
from toolkit.jobs.models import Job

#: Primary keys handed to process_chunk, in order, across every handler below.
SEEN: list[int] = []


class WorkerDied(BaseException):
    """Stands for a worker killed mid-chunk: not an Exception, so nothing catches it."""


@register
class BumpStock(JobHandler):
    name = "tests.bump_stock"
    verbose_name = "Bump stock"
    chunk_size = 25

    def get_chunk_size(self, job):
        return job.params.get("chunk_size", self.chunk_size)

    def process_chunk(self, job, objects):
        pks = list(objects.values_list("pk", flat=True))
        SEEN.extend(pks)
        changed = objects.update(stock=F("stock") + 1)
        crash_at = job.params.get("crash_at_chunk")
        if crash_at is not None and job.chunks == crash_at and job.attempts == 1:
            raise WorkerDied
        fail_at = job.params.get("fail_at_chunk")
        if fail_at is not None and job.chunks == fail_at and job.attempts == 1:
            raise ValueError("The supplier's API refused the update")
        if job.params.get("cancel_in_chunk") == job.chunks:
            Job.objects.filter(pk=job.pk).update(cancel_requested=True)
        return ChunkResult(done=changed)


@register
class DefaultChunkSize(JobHandler):
    """No chunk_size: TOOLKIT_CHUNK_SIZE decides. Returns None: the whole chunk is done."""

    name = "tests.default_chunk_size"

    def process_chunk(self, job, objects):
        SEEN.extend(objects.values_list("pk", flat=True))


@register
class HalfFail(JobHandler):
    """Products with an odd pk cannot be handled; the job goes on."""

    name = "tests.half_fail"
    chunk_size = 10

    def process_chunk(self, job, objects):
        pks = list(objects.values_list("pk", flat=True))
        odd = sum(pk % 2 for pk in pks)
        return ChunkResult(done=len(pks) - odd, failed=odd)


@register
class ExportSkus(JobHandler):
    name = "tests.export_skus"
    verbose_name = "Export SKUs"
    chunk_size = 20
    produces_file = True

    def process_chunk(self, job, objects):
        rows = [f"{pk},{sku}\n" for pk, sku in objects.values_list("pk", "sku")]
        return ChunkResult(done=len(rows), output="".join(rows))

    def get_result_filename(self, job):
        return f"skus-{job.pk}.csv"

    def get_result_header(self, job):
        return "pk,sku\n"


@register
class Summarise(JobHandler):
    """Writes its own message in on_finish."""

    name = "tests.summarise"

    def process_chunk(self, job, objects):
        return None

    def on_finish(self, job):
        job.message = f"Summarised {job.done} products in {job.chunks} chunk(s)."


@register
class NotCancellable(JobHandler):
    name = "tests.not_cancellable"
    cancellable = False

    def process_chunk(self, job, objects):
        return None


@register
class TimeSliced(JobHandler):
    """Hands the job back to the queue after every chunk (a zero max_run_time)."""

    name = "tests.time_sliced"
    chunk_size = 25
    max_run_time = timedelta(0)

    def process_chunk(self, job, objects):
        SEEN.extend(objects.values_list("pk", flat=True))
        return ChunkResult(done=objects.update(stock=F("stock") + 1))


#: Primary keys a ``SlowSend`` run sent out, in order: one sent twice shows twice.
SENT: list[int] = []


@register
class SlowSend(JobHandler):
    """Sends each product somewhere slow before its chunk's transaction opens, as the AI
    handler asks the model: one ``send()`` per product, stopping when the run no longer
    holds the job. Its lease is short, so only a heartbeat keeps a chunk leased."""

    name = "tests.slow_send"
    chunk_size = 3
    prepares_chunks = True
    stale_after = timedelta(seconds=0.6)

    def prepare_chunk(self, job, chunk):
        sent = []
        for pk in chunk.objects.values_list("pk", flat=True):
            if self.should_stop(job):
                return
            self.send(job, pk)
            sent.append(pk)
        self.prepared = (job.cursor, sent)

    def send(self, job, pk):
        SENT.append(pk)
        time.sleep(job.params.get("delay", 0))

    def process_chunk(self, job, objects):
        pks = list(objects.values_list("pk", flat=True))
        prepared = getattr(self, "prepared", None)
        self.prepared = None
        if prepared is None or prepared[0] != job.cursor:
            for pk in pks:
                self.send(job, pk)
        return ChunkResult(done=len(pks))
