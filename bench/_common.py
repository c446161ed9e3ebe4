"""What the benchmarks that run Django in a child process of their own share: how that
process sets Django up, and the demo's endpoint for the local model pointed at a server.

The scripts import it as ``_common`` (they run with ``bench/`` first on the path); the
tests, which import ``bench.labeled_catalog``, as ``bench._common``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["ROOT", "local_model_endpoint", "setup_django"]


def setup_django(database_url: str) -> None:
    """Django with the demo's settings on ``database_url``, as production would run it:
    DEBUG off (it keeps the last 9,000 queries: bounded, but not what production runs),
    warnings only in the log."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "demo.settings"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def local_model_endpoint(url: str) -> dict[str, Any]:
    """The demo's endpoint for the local model (timeout, retry, one at a time, token
    budget, temperature 0, the structured output it takes), pointed at ``url``; without
    the demo's notice of a model still being installed."""
    from django.conf import settings

    endpoint = {**settings.TOOLKIT_AI["default"], "BASE_URL": url}
    endpoint.pop("UNAVAILABLE_REASON", None)
    return endpoint
