"""Links to the toolkit's own admin views, made only when they can be reversed.

A ModelAdmin is not always routed: a test builds ``ModelAdmin(Model, AdminSite())``, a
site may register admins whose URLs it never includes, the jobs' admin may live on a
site that is not served. Pages and actions then leave the link out instead of failing
with ``NoReverseMatch``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import NoReverseMatch, reverse

__all__ = ["job_url", "reverse_if_routed"]


def reverse_if_routed(viewname: str, args: Sequence[Any] = ()) -> str:
    """``reverse(viewname, args=args)``, or ``""`` when that view is not routed."""
    try:
        return reverse(viewname, args=list(args))
    except NoReverseMatch:
        return ""


def job_url(job: Any) -> str:
    """A job's progress page, or ``""`` when the jobs' admin is not routed."""
    try:
        return str(job.get_absolute_url())
    except NoReverseMatch:
        return ""
