import os
from datetime import timedelta

from django.apps import AppConfig


class WorkerAppConfig(AppConfig):
    name = "tests.jobs.workerapp"
    label = "workerapp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # A short lease for the AI job test: only a working heartbeat keeps a chunk
        # that outlasts it, and a resume loop would take any job whose lease lapsed.
        seconds = os.environ.get("TOOLKIT_TEST_AI_LEASE")
        if seconds:
            from toolkit.ai.handlers import AIJobHandler

            AIJobHandler.stale_after = timedelta(seconds=float(seconds))
