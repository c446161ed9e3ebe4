"""``AIActionsMixin``: every AI feature of a ModelAdmin, put together.

Each part lives in a module of its own: the options and permission rules
(:mod:`.base`), running actions (:mod:`.runs`), the changelist column and filter
(:mod:`.column`, :mod:`.filters`), the change-form panel (:mod:`.panel`), the review of
proposals (:mod:`.proposals`), Ask the changelist (:mod:`.ask`) and the system checks
(:mod:`.checks`). This module adds what ties them to one admin: its URLs, its stylesheet
and its checks class.
"""

from __future__ import annotations

from typing import ClassVar

from django import forms
from django.urls import URLPattern, path

from toolkit.ai.admin.ask import AskMixin
from toolkit.ai.admin.checks import AIActionsChecks
from toolkit.ai.admin.column import AIColumnMixin
from toolkit.ai.admin.panel import AIPanelMixin
from toolkit.ai.admin.proposals import AIProposalsMixin

__all__ = ["AIActionsMixin"]


class AIActionsMixin(AskMixin, AIPanelMixin, AIColumnMixin, AIProposalsMixin):
    """ModelAdmin mixin: AI actions, an insight column, a severity filter, a change-form
    panel, the review of proposed changes and Ask (off until ``ask_enabled = True``).
    Put it before ``admin.ModelAdmin``."""

    # Joins the admin's checks_class, beside the one it would otherwise have: a site's
    # checks_class and the other mixins' checks keep running.
    mixin_checks_class: ClassVar[type | None] = AIActionsChecks

    def get_urls(self) -> list[URLPattern]:
        if not self.ai_configured():
            return list(super().get_urls())
        opts = self.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}_ai"
        wrap = self.admin_site.admin_view
        return [
            path("ai/proposals/", wrap(self.ai_proposals_view), name=f"{prefix}_proposals"),
            path(
                "ai/proposals/<int:insight_id>/",
                wrap(self.ai_review_view),
                name=f"{prefix}_review",
            ),
            path("<path:object_id>/ai/rerun/", wrap(self.ai_rerun_view), name=f"{prefix}_rerun"),
            *super().get_urls(),
        ]

    @property
    def media(self) -> forms.Media:
        if not self.ai_configured():
            return super().media
        return super().media + forms.Media(css={"all": ["toolkit/ai/ai.css"]})
