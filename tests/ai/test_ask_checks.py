"""System checks of the ``ask_*`` options: toolkit.E113-E115, W101."""

from __future__ import annotations

import pytest
from django.contrib import admin

from demo.catalog.models import Product
from toolkit.admin_ext import ToolkitModelAdmin
from toolkit.ai.admin import AIActionsMixin, AskMixin


def ids(admin_class):
    return [m.id for m in admin_class(Product, admin.AdminSite()).check()]


def test_demo_product_admin_with_ask_passes():
    class Clean(AIActionsMixin, ToolkitModelAdmin):
        ask_enabled = True
        search_fields = ["name"]
        search_qualifiers = {"price": "price"}

    assert not [i for i in ids(Clean) if i.startswith("toolkit.")]


def test_ask_enabled_must_be_a_bool():
    class Bad(AIActionsMixin, ToolkitModelAdmin):
        ask_enabled = "yes"

    assert "toolkit.E113" in ids(Bad)


@pytest.mark.parametrize("options", [{"ask_timeout": 0}, {"ask_max_chars": "500"}])
def test_ask_limits_must_be_positive(options):
    Bad = type("Bad", (AIActionsMixin, ToolkitModelAdmin), dict(options))
    assert "toolkit.E114" in ids(Bad)


def test_ask_needs_the_search_mixin():
    class NoSearch(AskMixin, admin.ModelAdmin):
        ask_enabled = True

    assert "toolkit.E115" in ids(NoSearch)


def test_ask_with_nothing_to_search_warns():
    class Nothing(AIActionsMixin, ToolkitModelAdmin):
        ask_enabled = True

    assert "toolkit.W101" in ids(Nothing)


def test_ask_off_is_not_checked_further():
    class Off(AIActionsMixin, ToolkitModelAdmin):
        pass

    assert not {"toolkit.E115", "toolkit.W101"} & set(ids(Off))
