"""Pluggable AI actions: summaries, anomaly flags, the selection digest and proposals.

Each is an :class:`AIAction`: its name and description, the permission it needs, its
prompt template (and version), the JSON schema of its answer, and what becomes of a
valid answer (:meth:`AIAction.handle_answer`). Add one by subclassing and listing it on
the ModelAdmin::

    class SuggestDescription(ProposeFieldAction):
        name = "suggest_description"
        description = "Suggest a better description"
        proposal_field = "description"

    class ProductAdmin(AIActionsMixin, admin.ModelAdmin):
        ai_actions = [SummarizeAction, FlagAnomaliesAction, SuggestDescription]

:func:`register` makes an action findable by name (:func:`get_action`) from a job or
the command; the built-in ones are registered here.
"""

from __future__ import annotations

from toolkit.ai.actions.anomalies import FlagAnomaliesAction
from toolkit.ai.actions.base import AIAction
from toolkit.ai.actions.digest import SummarizeSelectionAction
from toolkit.ai.actions.proposals import ProposeFieldAction
from toolkit.ai.actions.registry import (
    get_action,
    register,
    registered_actions,
    resolve_action,
    unregister,
)
from toolkit.ai.actions.summary import SummarizeAction

__all__ = [
    "AIAction",
    "FlagAnomaliesAction",
    "ProposeFieldAction",
    "SummarizeAction",
    "SummarizeSelectionAction",
    "get_action",
    "register",
    "registered_actions",
    "resolve_action",
    "unregister",
]

for _builtin in (SummarizeAction, FlagAnomaliesAction, SummarizeSelectionAction):
    register(_builtin)
