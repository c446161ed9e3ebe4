"""The base app's admin: AI insights (browse and filter, read-only).

Registered on the default admin site when ``"toolkit"`` is installed; a site of its own
registers :class:`toolkit.ai.admin.InsightAdmin` for ``toolkit.ai.models.Insight``.
"""

from __future__ import annotations

from django.contrib import admin

from toolkit.ai.admin import InsightAdmin
from toolkit.ai.models import Insight

admin.site.register(Insight, InsightAdmin)
