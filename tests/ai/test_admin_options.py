"""AIActionsMixin's options: each ``ai_*`` attribute has a ``get_ai_*(request)`` hook that
decides per request, and names of permissions from before the AI app still work."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory

from demo.catalog.models import Product
from toolkit.ai.actions import SummarizeAction
from toolkit.ai.admin import AIActionsMixin, AISeverityFilter

pytestmark = pytest.mark.django_db


def make_admin(**attrs):
    admin_class = type("OptionsAdmin", (AIActionsMixin, admin.ModelAdmin), attrs)
    return admin_class(Product, admin.AdminSite(name="ai_options_test"))


def get(user, path="/"):
    request = RequestFactory().get(path)
    request.user = user
    return request


def test_value_and_prompt_caps_reach_the_source(settings):
    settings.TOOLKIT_AI_VALUE_MAX_CHARS = 900
    settings.TOOLKIT_AI_MAX_INPUT_CHARS = 9000
    default = make_admin(ai_fields=["name"]).get_ai_source()
    assert (default.value_max_chars, default.max_input_chars) == (900, 9000)
    capped = make_admin(ai_fields=["name"], ai_value_max_chars=40, ai_max_input_chars=3000)
    source = capped.get_ai_source()
    assert (source.value_max_chars, source.max_input_chars) == (40, 3000)


def test_caps_can_be_decided_per_request(superuser, viewer):
    class PerPerson(AIActionsMixin, admin.ModelAdmin):
        ai_fields = ["name"]

        def get_ai_value_max_chars(self, request=None):
            return 10 if request is not None and not request.user.is_superuser else 500

    model_admin = PerPerson(Product, admin.AdminSite(name="ai_options_hooks"))
    assert model_admin.get_ai_source(get(superuser)).value_max_chars == 500
    assert model_admin.get_ai_source(get(viewer)).value_max_chars == 10


def test_the_column_and_filter_hooks_decide_per_request(catalog, superuser):
    class Quiet(AIActionsMixin, admin.ModelAdmin):
        ai_fields = ["name"]
        list_display = ["name"]

        def get_ai_list_filter(self, request):
            return getattr(request, "wants_ai", False)

        def get_ai_list_column(self, request):
            return getattr(request, "wants_ai", False)

    model_admin = Quiet(Product, admin.AdminSite(name="ai_options_column"))
    loud, quiet = get(superuser), get(superuser)
    loud.wants_ai = True
    assert AISeverityFilter in model_admin.get_list_filter(loud)
    assert AISeverityFilter not in model_admin.get_list_filter(quiet)
    assert "ai_insight" in model_admin.get_changelist_instance(loud).list_display
    assert "ai_insight" not in model_admin.get_changelist_instance(quiet).list_display


def test_the_column_and_filter_attributes_are_the_hooks_defaults(superuser):
    request = get(superuser)
    assert make_admin(ai_fields=["name"]).get_ai_list_column(request) is True
    assert make_admin(ai_fields=["name"], ai_list_column=False).get_ai_list_column(request) is False
    assert make_admin(ai_fields=["name"], ai_list_filter=False).get_ai_list_filter(request) is False
    assert AISeverityFilter not in make_admin(
        ai_fields=["name"], ai_list_filter=False
    ).get_list_filter(request)


def test_an_action_asking_for_the_old_permission_name_is_offered_under_the_new_one(
    django_user_model,
):
    class OldName(SummarizeAction):
        name = "old_permission_name"
        permission = "toolkit.run_ai"

    user = django_user_model.objects.create_user("old-name", password="pw", is_staff=True)
    user.user_permissions.set(
        [
            Permission.objects.get(content_type__app_label="catalog", codename="view_product"),
            Permission.objects.get(content_type__app_label="toolkit_ai", codename="run_ai"),
        ]
    )
    model_admin = make_admin(ai_fields=["name"], ai_actions=[OldName])
    request = get(user)
    assert model_admin.has_ai_permission(request, OldName())
    assert "ai_old_permission_name" in model_admin.get_actions(request)
