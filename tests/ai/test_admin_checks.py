"""System checks of AIActionsMixin's options: toolkit.E100-E112 and W100."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db.models import Q

from demo.catalog.admin import ProductAdmin
from demo.catalog.models import Product
from toolkit.ai.actions import FlagAnomaliesAction, ProposeFieldAction, SummarizeAction
from toolkit.ai.admin import AIActionsMixin
from toolkit.ai.rules import Rule
from toolkit.ai.sources import Related


def ids(admin_class, model=Product):
    model_admin = admin_class(model, admin.AdminSite())
    return sorted(
        m.id
        for m in model_admin.check()
        if m.id and m.id.startswith(("toolkit.E10", "toolkit.E11", "toolkit.W10"))
    )


def ai_admin(**attrs):
    base = {"ai_fields": ["name", "price"]}
    return type("CheckedAdmin", (AIActionsMixin, admin.ModelAdmin), {**base, **attrs})


class SuggestName(ProposeFieldAction):
    name = "suggest_name_checks"
    description = "Suggest a name"
    proposal_field = "name"


class SuggestCreated(ProposeFieldAction):
    name = "suggest_created_checks"
    proposal_field = "nope"


class AnotherSummary(SummarizeAction):
    description = "Same name as the built-in summary"


def test_the_demo_product_admin_is_clean():
    assert ids(ProductAdmin) == []


def test_a_valid_declaration_passes():
    admin_class = ai_admin(
        ai_fields=["name", "supplier.name", "category"],
        ai_related={"reviews": Related("reviews", fields=["rating", "text"])},
        ai_rules=[Rule("neg", Q(stock__lt=0), field="stock")],
        ai_peer_group="category",
        ai_peer_fields=["price", "stock"],
        ai_actions=[SummarizeAction, SuggestName, "flag_anomalies"],
        ai_background_threshold=0,
    )
    assert ids(admin_class) == []


@pytest.mark.parametrize("fields", ["name", None, 3])
def test_e100_ai_fields_must_be_a_list(fields):
    assert ids(ai_admin(ai_fields=fields)) == ["toolkit.E100"]


def test_without_ai_fields_the_mixin_is_off_and_checks_nothing(settings):
    """A stock admin with the mixin added (and not told what to send) passes its checks,
    even where the job layer is not installed."""
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "toolkit.jobs"]
    assert ids(ai_admin(ai_fields=[], ai_peer_fields=["price"])) == []


@pytest.mark.parametrize("path", ["nope", "supplier.nope", "price.amount", "reviews", 3])
def test_e101_ai_fields_name_a_missing_field_or_path(path):
    assert ids(ai_admin(ai_fields=["name", path])) == ["toolkit.E101"]


@pytest.mark.parametrize(
    "related",
    [
        "reviews",
        {"x": Related("nope", fields=["text"])},
        {"x": Related("supplier", fields=["name"])},
        {"x": Related("reviews", fields=[])},
        {"x": Related("reviews", fields=["text", "nope"])},
    ],
)
def test_e102_ai_related_must_name_to_many_relations_and_their_fields(related):
    assert ids(ai_admin(ai_related=related)) == ["toolkit.E102"]


@pytest.mark.parametrize("rules", [["stock < 0"], [Rule("neg", Q(stock__lt=0), field="nope")]])
def test_e103_ai_rules_must_be_rules_about_fields_of_the_model(rules):
    assert ids(ai_admin(ai_rules=rules)) == ["toolkit.E103"]


def test_e104_ai_peer_group_must_be_a_field():
    assert ids(ai_admin(ai_peer_group="nope")) == ["toolkit.E104"]


@pytest.mark.parametrize("fields", [["name"], ["nope"], "price"])
def test_e105_ai_peer_fields_must_be_numeric_fields(fields):
    assert ids(ai_admin(ai_peer_group="category", ai_peer_fields=fields)) == ["toolkit.E105"]


def test_w100_peer_fields_without_a_peer_group_compare_with_the_whole_table():
    assert ids(ai_admin(ai_peer_fields=["price"])) == ["toolkit.W100"]


@pytest.mark.parametrize("entry", ["no_such_action", object(), int])
def test_e106_ai_actions_entries_must_be_ai_actions(entry):
    assert ids(ai_admin(ai_actions=[SummarizeAction, entry])) == ["toolkit.E106"]


@pytest.mark.parametrize("threshold", [-1, "10", True, 2.5])
def test_e107_background_threshold_must_be_a_non_negative_integer(threshold):
    assert ids(ai_admin(ai_background_threshold=threshold)) == ["toolkit.E107"]


def test_e110_the_job_layer_must_be_installed(settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "toolkit.jobs"]
    assert "toolkit.E110" in ids(ai_admin())


def test_e108_a_proposal_must_target_an_editable_field():
    assert ids(ai_admin(ai_actions=[SuggestCreated])) == ["toolkit.E108"]


def test_e109_two_actions_with_one_name():
    assert ids(ai_admin(ai_actions=[SummarizeAction, AnotherSummary])) == ["toolkit.E109"]


@pytest.mark.parametrize("name", ["ai_value_max_chars", "ai_max_input_chars"])
@pytest.mark.parametrize("value", [0, -5, "500", 2.5, True])
def test_e111_value_and_prompt_caps_must_be_positive_integers(name, value):
    assert ids(ai_admin(**{name: value})) == ["toolkit.E111"]


def test_caps_left_at_none_or_set_to_a_number_pass():
    assert ids(ai_admin(ai_value_max_chars=None, ai_max_input_chars=None)) == []
    assert ids(ai_admin(ai_value_max_chars=200, ai_max_input_chars=4000)) == []


def test_the_ai_checks_run_beside_the_admins_own_checks_class():
    from django.contrib.admin.checks import ModelAdminChecks
    from django.core import checks

    from toolkit.ai.admin import AIActionsChecks

    class SiteChecks(ModelAdminChecks):
        def check(self, admin_obj, **kwargs):
            return [*super().check(admin_obj, **kwargs), checks.Error("site's", id="site.E001")]

    admin_class = ai_admin(ai_peer_group="nope", checks_class=SiteChecks)
    found = {m.id for m in admin_class(Product, admin.AdminSite()).check()}
    assert {"site.E001", "toolkit.E104"} <= found
    assert [m.id for m in AIActionsChecks().check(admin_class(Product, admin.AdminSite()))] == [
        "toolkit.E104"
    ]


@pytest.mark.parametrize(
    "options, said",
    [
        ({"text_fields": ["nme"]}, "text_fields of catalog.Product: 'nme' is not a field"),
        ({"text_fields": ["reviews"]}, "'reviews' is not a field"),
        ({"peer_fields": ["name"]}, "'name' is not a number field"),
        ({"peer_scales": {"price": "cubic"}}, "the scale must be one of"),
    ],
)
def test_e112_an_anomaly_actions_own_options_are_checked_at_start_up(options, said):
    peers = {"ai_peer_group": "category", "ai_peer_fields": ["price"]}
    checked = ai_admin(ai_actions=[FlagAnomaliesAction(**options)], **peers)
    messages = [m for m in checked(Product, admin.AdminSite()).check() if m.id == "toolkit.E112"]
    assert len(messages) == 1
    assert said in messages[0].msg and "FlagAnomaliesAction" in messages[0].msg


def test_e112_right_anomaly_options_pass():
    action = FlagAnomaliesAction(
        text_fields=["name", "reviews.text"], peer_fields=["cost"], peer_scales={"cost": "log"}
    )
    peers = {"ai_peer_group": "category", "ai_peer_fields": ["price"]}
    assert ids(ai_admin(ai_actions=[action], **peers)) == []
