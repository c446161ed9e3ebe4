"""Errors raised by the job layer.

They extend the toolkit's tree (:mod:`toolkit.exceptions`)::

    ToolkitError
    ├── ToolkitConfigurationError       a handler class is declared wrongly
    └── JobError
        ├── UnknownJobKind              no handler is registered under a job's kind
        └── JobTargetTooLarge           a queryset too big to store as a list of pks
"""

from __future__ import annotations

from toolkit.exceptions import ToolkitError


class JobError(ToolkitError):
    """Base class of the job layer's own errors."""


class UnknownJobKind(JobError, LookupError):
    """No :class:`~toolkit.jobs.JobHandler` is registered under this name.

    Usually the app that defines the handler is not installed in the process that runs
    the job (handlers are found in each installed app's ``jobs`` module).
    """


class JobTargetTooLarge(JobError, ValueError):
    """``start_job(queryset=...)`` got more rows than a handler stores as a pk list.

    Pass a ``target`` spec that the handler's ``get_queryset()`` turns back into the
    queryset instead (a changelist query string, a filter), or raise the handler's
    ``max_target_pks``.
    """
