"""The demo's AI wiring: ProductAdmin's actions, rules and peers, its own "Suggest a better
description", and settings that never let a request wait on the slow local model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.admin import site
from django.test import Client

from demo.catalog.ai import SuggestDescription
from demo.catalog.models import Product
from tests.ai.fault_server import FaultServer
from toolkit.ai.actions import get_action
from toolkit.ai.models import Insight
from toolkit.jobs.models import Job
from toolkit.jobs.runner import run_job

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def demo_setting(name, **env):
    """A setting of demo/settings.py as a fresh process reads it from ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TOOLKIT_AI")}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c",
         f"from django.conf import settings; print(repr(settings.{name}))"],
        cwd=ROOT,
        env={**clean, "DATABASE_URL": "sqlite:///:memory:", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_on_the_local_model_every_ai_action_runs_as_a_job():
    assert demo_setting("TOOLKIT_AI_BACKGROUND_THRESHOLD") == "0"
    assert "127.0.0.1:8001" in demo_setting("TOOLKIT_AI")


def test_a_hosted_endpoint_runs_small_selections_in_the_request():
    env = {"TOOLKIT_AI_BASE_URL": "https://llm.example.com/v1"}
    assert demo_setting("TOOLKIT_AI_BACKGROUND_THRESHOLD", **env) == "10"


def test_product_admin_declares_fields_rules_peers_and_its_own_action():
    product_admin = site.get_model_admin(Product)
    names = [action.name for action in product_admin.get_ai_actions()]
    assert names == ["summarize", "flag_anomalies", "summarize_selection", "suggest_description"]
    assert isinstance(get_action("suggest_description"), SuggestDescription)
    source = product_admin.get_ai_source()
    assert "description" in source.fields and "reviews" in source.related
    assert source.peer_group == "category" and source.peer_fields == ["price"]
    assert {rule.name for rule in source.rules} >= {"negative_stock", "price_below_cost"}


def test_demo_description_action_goes_through_a_job_to_the_review_page(
    catalog, superuser, settings
):
    product = Product.objects.order_by("pk").first()
    before = product.description
    with FaultServer() as server:
        server.answer = {"value": "Solid, oiled oak.", "reason": "Shorter and concrete."}
        settings.TOOLKIT_AI = {"default": {"BASE_URL": server.url, "MODEL": "test-model"}}
        client = Client()
        client.force_login(superuser)
        response = client.post(
            "/admin/catalog/product/",
            {"action": "ai_suggest_description", "_selected_action": [str(product.pk)]},
        )
        job = Job.objects.get()
        assert response["Location"] == job.get_absolute_url()
        assert server.requests == 0  # the request only queued the job
        run_job(job.pk)
        assert server.requests == 1

    proposal = Insight.objects.get(kind="description")
    assert proposal.review_status == "proposed" and proposal.job == job
    product.refresh_from_db()
    assert product.description == before
    page = client.get("/admin/catalog/product/ai/proposals/").content.decode()
    assert "Solid, oiled oak." in page and "Why: Shorter and concrete." in page
    client.post(f"/admin/catalog/product/ai/proposals/{proposal.pk}/", {"decision": "apply"})
    product.refresh_from_db()
    assert product.description == "Solid, oiled oak."
