"""The AI features of the admin: :class:`AIActionsMixin` and :class:`InsightAdmin`.

``AIActionsMixin`` puts the AI actions a ModelAdmin lists in ``ai_actions`` into its
changelist ("Summarize with AI", "Flag anomalies", "Summarize selection", and any action
of a site's own), shows the newest insight of each row in a column (a severity badge and
a short summary, loaded for the whole page in one query), filters the list by severity,
and adds a panel to the change form with the record's latest insights, their flags with
evidence, their provenance and a re-run button. Proposed field changes
(:class:`~toolkit.ai.actions.ProposeFieldAction`) are reviewed side by side and applied or
rejected per record; a selection digest has a result page and exports::

    from toolkit.ai.admin import AIActionsMixin
    from toolkit.ai.rules import Rule
    from toolkit.ai.sources import Related

    @admin.register(Product)
    class ProductAdmin(AIActionsMixin, admin.ModelAdmin):
        ai_fields = ["name", "description", "price", "cost", "stock", "category.name"]
        ai_related = {"reviews": Related("reviews", fields=["rating", "text"], limit=20)}
        ai_rules = [Rule("negative_stock", Q(stock__lt=0), field="stock", severity="critical")]
        ai_peer_group = "category"
        ai_peer_fields = ["price"]

Who sees what: the actions, the re-run button and the proposal review need the action's
permission (``toolkit_ai.run_ai`` by default) and the view permission on the model;
without them the actions are neither offered nor run when posted. The column, the filter
and the panel are shown to people who may run AI actions or view insights
(``toolkit_ai.view_insight``). Applying a proposal needs the change permission and goes
through the ModelAdmin's form.

Selections of up to ``ai_background_threshold`` records (``TOOLKIT_AI_BACKGROUND_THRESHOLD``
when ``None``) run in the request with bounded concurrency and a short timeout; larger
ones become a background job (:func:`toolkit.ai.handlers.start_ai_job`) and the action
redirects to its progress page. Every text that comes from a record or a model is
escaped where it is shown; the pages carry no inline script or style.

Importing this package registers :class:`InsightAdmin` on the default admin site, as
``django.contrib.auth.admin`` registers its own: the admin's autodiscovery imports it
when ``"toolkit.ai"`` is installed.
"""

from __future__ import annotations

from django.contrib import admin

from toolkit.ai.admin.ask import AskMixin
from toolkit.ai.admin.checks import AIActionsChecks
from toolkit.ai.admin.column import latest_insights
from toolkit.ai.admin.filters import AISeverityFilter
from toolkit.ai.admin.insights import InsightAdmin
from toolkit.ai.admin.options import AIActionsMixin
from toolkit.ai.admin.runs import digest_scope
from toolkit.ai.models import Insight

__all__ = [
    "AIActionsChecks",
    "AIActionsMixin",
    "AISeverityFilter",
    "AskMixin",
    "InsightAdmin",
    "digest_scope",
    "latest_insights",
]

admin.site.register(Insight, InsightAdmin)
