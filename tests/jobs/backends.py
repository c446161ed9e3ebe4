"""A tasks backend that cannot reach its queue (Redis down, say)."""

from __future__ import annotations

from toolkit.compat import tasks_module

BaseTaskBackend = tasks_module().backends.base.BaseTaskBackend


class UnreachableBackend(BaseTaskBackend):
    def enqueue(self, task, args, kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
