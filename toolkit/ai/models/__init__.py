"""What AI actions produce: one :class:`Insight` per record and run (or per selection).

An insight points at any record through a generic relation, so one table serves every
model a site lists ``ai_actions`` on. It keeps the answer (``text``, ``data``), the flags
(rules, peer statistics and the model, each with its ``source``), the provenance
(endpoint, model, prompt version and hash, tokens, latency, who asked, which job) and an
``input_hash`` that lets a later run skip a record whose input has not changed.

The models belong to the app ``toolkit.ai`` (label ``toolkit_ai``), so the permission AI
actions ask for by default is ``toolkit_ai.run_ai`` (:data:`RUN_AI_PERMISSION`). They were
in the core app ``toolkit`` before; their tables keep the names they had there
(``toolkit_insight``, ...), and the migration that moved them kept every row, id and
granted permission.

:mod:`.flags` holds the vocabulary of flags (severities, sources, origins, grounding),
:mod:`.insight` the :class:`Insight` itself, and :mod:`.usage` the daily record limit's
ledger (:class:`AIUsage`, :class:`AIReservation`, see :mod:`toolkit.ai.limits`).
"""

from __future__ import annotations

from django.apps import apps

from toolkit.exceptions import ToolkitConfigurationError

if not apps.is_installed("toolkit.ai"):
    # Django's own message would name the model class; this one names the fix.
    raise ToolkitConfigurationError(
        "The AI features need 'toolkit.ai' in INSTALLED_APPS: add it after 'toolkit' "
        "and run migrate (its models, admin and checks live in that app)."
    )

from toolkit.ai.models.flags import (
    MODEL_SOURCE,
    SEVERITY_RANK,
    FlagOrigin,
    GroundingStatus,
    Severity,
    flag_origin,
    max_severity,
)
from toolkit.ai.models.insight import (
    Insight,
    InsightQuerySet,
    InsightStatus,
    ReviewStatus,
)
from toolkit.ai.models.usage import AIReservation, AIUsage
from toolkit.ai.permissions import (
    RUN_AI_PERMISSION,
    VIEW_INSIGHT_PERMISSION,
    permission_name,
)

__all__ = [
    "MODEL_SOURCE",
    "RUN_AI_PERMISSION",
    "SEVERITY_RANK",
    "VIEW_INSIGHT_PERMISSION",
    "AIReservation",
    "AIUsage",
    "FlagOrigin",
    "GroundingStatus",
    "Insight",
    "InsightQuerySet",
    "InsightStatus",
    "ReviewStatus",
    "Severity",
    "flag_origin",
    "max_severity",
    "permission_name",
]
