"""One background-job layer for every long operation of the toolkit.

Bulk updates, exports, imports, deletes and AI batches all run as a ``Job`` through
Django's tasks framework, with one progress page and one worker.
"""

from __future__ import annotations

__all__: list[str] = []
