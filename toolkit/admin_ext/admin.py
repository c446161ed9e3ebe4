"""Admin of the admin extensions' own model: saved views, for those who manage them.

People save, apply and delete their own views from the changelist menu
(``SavedViewsMixin``); this page is for staff with the model's permissions (by default
superusers) who tidy up views of people who left or rename shared ones.
"""

from __future__ import annotations

from django.contrib import admin

from toolkit.admin_ext.models import SavedView
from toolkit.query_input import QueryInputMixin


@admin.register(SavedView)
class SavedViewAdmin(QueryInputMixin, admin.ModelAdmin):
    list_display = ["name", "content_type", "owner", "shared_with_group", "updated"]
    list_filter = ["content_type"]
    list_select_related = ["content_type", "owner", "shared_with_group"]
    search_fields = ["name"]
    raw_id_fields = ["owner"]
    readonly_fields = ["created", "updated"]
