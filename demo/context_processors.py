"""What the demo adds to every template's context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from demo.local_model import read_status

__all__ = ["local_model"]


def local_model(request: HttpRequest) -> dict[str, Any]:
    """``local_model_notice``: what the local model is doing while the AI actions cannot
    use it (being installed, failed, not running), for the notice atop every admin page
    (``demo/templates/admin/base_site.html``); empty once the model answers, and always
    outside ``make demo`` (``DEMO_LOCAL_MODEL_STATUS_FILE`` unset).

    A callable, so the status file is read only by a page that shows the notice."""
    path = getattr(settings, "DEMO_LOCAL_MODEL_STATUS_FILE", None)
    if not path:
        # Defined all the same: a template's lookup of a missing name is logged, and
        # tests (Django's own among them) assert that none is.
        return {"local_model_notice": None}

    def notice() -> dict[str, str] | None:
        status = read_status(Path(path))
        text = status.notice() if status is not None else None
        if status is None or not text:
            return None
        level = "warning" if status.current_state in ("failed", "stopped") else "info"
        return {"text": text, "level": level}

    return {"local_model_notice": notice}
