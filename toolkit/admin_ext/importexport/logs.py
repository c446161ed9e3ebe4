"""The admin LogEntry of an export or an import: one per operation, not one per row."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from toolkit.admin_ext.actions.log import log_summary

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from toolkit.jobs.models import Job

__all__ = ["log_export", "log_import"]


def _log_summary(
    user: Any,
    model: type[models.Model] | None,
    *,
    action_flag: int,
    message: str,
    object_repr: str,
    job: Job | None,
) -> None:
    """One admin LogEntry for an operation on many rows (export, import)."""
    if user is None or not user.pk or model is None:
        return
    if job is not None:
        message += f" (job #{job.pk})"
    log_summary(user.pk, model, object_repr, message + ".", action_flag=action_flag)


def log_export(
    user: AbstractBaseUser | AnonymousUser | None,
    model: type[models.Model] | None,
    count: int,
    label: str,
    *,
    job: Job | None = None,
) -> None:
    """Leave one admin LogEntry saying who exported how many rows in which format
    (``label``: the format's, "CSV")."""
    from django.contrib.admin.models import CHANGE

    if model is None:
        return
    noun = model._meta.verbose_name_plural
    _log_summary(
        user,
        model,
        action_flag=CHANGE,
        message=f"Exported {count} {noun} as {label}",
        object_repr=f"Export of {count} {noun}",
        job=job,
    )


def log_import(
    user: Any,
    model: type[models.Model] | None,
    imported: int,
    rejected: int,
    *,
    job: Job | None = None,
) -> None:
    """One admin LogEntry per confirmed import."""
    from django.contrib.admin.models import ADDITION

    if model is None:
        return
    noun = model._meta.verbose_name_plural
    _log_summary(
        user,
        model,
        action_flag=ADDITION,
        message=f"Imported {imported} {noun}, rejected {rejected}",
        object_repr=f"Import of {imported} {noun}",
        job=job,
    )
