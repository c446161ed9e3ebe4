"""An endpoint that cannot answer now: the AI action says why and sends nothing.

``AIActionsMixin.get_ai_unavailable_reason(request)`` is ``None`` by default; a project
names a callable in its endpoint's ``UNAVAILABLE_REASON`` (checked by ``toolkit.E097``),
and the demo names the one that reads the local model's status file.
"""

from __future__ import annotations

import os
import time

import pytest
from django.contrib.admin import site
from django.test import RequestFactory

from demo import settings as demo_settings
from demo.catalog.models import Product
from demo.local_model import unavailable_reason, write_status
from tests.ai.test_admin import CHANGELIST, ai_staff, client_for, llm, post_action  # noqa: F401
from toolkit.ai.checks import check_ai_settings
from toolkit.ai.models import Insight
from toolkit.jobs.models import Job

pytestmark = pytest.mark.django_db

INSTALLING = "The local model is still being installed (about 9 minutes left)"


def still_installing(request):
    assert request.user.is_authenticated  # the hook sees who asks
    return INSTALLING


def available(request):
    return None


NOT_CALLABLE = "a string"


def with_reason(settings, path):
    endpoint = dict(settings.TOOLKIT_AI["default"])
    endpoint["UNAVAILABLE_REASON"] = path
    settings.TOOLKIT_AI = {"default": endpoint}


def messages_of(response):
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def admin_request(user):
    request = RequestFactory().get(CHANGELIST)
    request.user = user
    return request


# -- the hook --------------------------------------------------------------------------------


def test_without_the_setting_nothing_is_unavailable(catalog, llm, ai_staff):  # noqa: F811
    admin = site.get_model_admin(Product)
    assert admin.get_ai_unavailable_reason(admin_request(ai_staff)) is None


@pytest.mark.parametrize("threshold", [20, 0], ids=["in the request", "as a job"])
def test_a_reason_is_a_warning_and_nothing_is_sent_or_queued(
    catalog,
    llm,  # noqa: F811
    ai_staff,  # noqa: F811
    settings,
    threshold,
):
    settings.TOOLKIT_AI_BACKGROUND_THRESHOLD = threshold
    with_reason(settings, "tests.ai.test_unavailable.still_installing")
    products = list(Product.objects.order_by("pk")[:2])

    response = post_action(client_for(ai_staff), "ai_summarize", products, follow=True)

    assert response.status_code == 200
    assert messages_of(response) == [("warning", f"{INSTALLING}. Nothing was sent.")]
    assert llm.requests == 0
    assert not Job.objects.exists() and not Insight.objects.exists()


def test_a_callable_that_answers_none_lets_the_action_run(catalog, llm, ai_staff, settings):  # noqa: F811
    with_reason(settings, "tests.ai.test_unavailable.available")
    product = Product.objects.order_by("pk").first()
    post_action(client_for(ai_staff), "ai_summarize", [product], follow=True)
    assert llm.requests == 1 and Insight.objects.filter(status="ok").count() == 1


def test_an_admin_may_decide_for_itself(catalog, llm, ai_staff, monkeypatch):  # noqa: F811
    admin_class = type(site.get_model_admin(Product))
    monkeypatch.setattr(
        admin_class, "get_ai_unavailable_reason", lambda self, request: "Closed for stocktaking."
    )
    product = Product.objects.order_by("pk").first()
    response = post_action(client_for(ai_staff), "ai_summarize", [product], follow=True)
    assert messages_of(response) == [("warning", "Closed for stocktaking. Nothing was sent.")]
    assert llm.requests == 0


def test_a_setting_that_names_no_callable_is_a_sentence_not_a_500(
    catalog,
    llm,  # noqa: F811
    ai_staff,  # noqa: F811
    settings,
):
    with_reason(settings, "tests.ai.no_such_module.reason")
    product = Product.objects.order_by("pk").first()
    response = post_action(client_for(ai_staff), "ai_summarize", [product], follow=True)
    ((level, text),) = messages_of(response)
    assert level == "error" and "UNAVAILABLE_REASON" in text and "Nothing was sent." in text
    assert llm.requests == 0


# -- the check ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("tests.ai.no_such_module.reason", "cannot be imported"),
        ("tests.ai.test_unavailable.NOT_CALLABLE", "is not callable"),
        (42, "must be the dotted path of a callable or None, not 42"),
    ],
)
def test_the_setting_is_checked(settings, path, problem):
    settings.TOOLKIT_AI = {
        "default": {
            "BASE_URL": "http://127.0.0.1:8001/v1",
            "MODEL": "m",
            "UNAVAILABLE_REASON": path,
        }
    }
    (error,) = check_ai_settings()
    assert error.id == "toolkit.E097" and problem in error.msg
    assert "takes the request" in error.hint


def test_a_callable_passes_the_check_and_is_no_unknown_key(settings):
    settings.TOOLKIT_AI = {
        "default": {
            "BASE_URL": "http://127.0.0.1:8001/v1",
            "MODEL": "m",
            "UNAVAILABLE_REASON": "demo.local_model.unavailable_reason",
        }
    }
    assert check_ai_settings() == []


# -- the demo --------------------------------------------------------------------------------


@pytest.fixture
def status_file(tmp_path, settings):
    path = tmp_path / "local-llm.status"
    settings.DEMO_LOCAL_MODEL_STATUS_FILE = str(path)
    return path


def test_the_demos_endpoint_asks_the_local_models_status():
    if demo_settings._AI_BASE_URL:
        pytest.skip("TOOLKIT_AI_BASE_URL points the demo at a hosted endpoint")
    endpoint = demo_settings.TOOLKIT_AI["default"]
    assert endpoint["UNAVAILABLE_REASON"] == "demo.local_model.unavailable_reason"


def test_the_demo_says_the_model_is_being_installed(status_file):
    write_status(status_file, state="installing", estimated_finish=time.time() + 290)
    assert unavailable_reason() == (
        "The local model is still being installed (about 5 minutes left); run this again "
        "once it is ready."
    )


def test_the_demo_says_nothing_once_the_model_answers_or_without_a_status(status_file, settings):
    assert unavailable_reason() is None  # no status written yet
    write_status(status_file, state="ready", pid=os.getpid())
    assert unavailable_reason() is None
    settings.DEMO_LOCAL_MODEL_STATUS_FILE = ""
    assert unavailable_reason() is None


def test_the_demo_says_why_a_failed_install_cannot_answer(status_file):
    write_status(status_file, state="failed", reason="no space left", log="var/log/x.log")
    assert unavailable_reason().startswith("The model install failed (no space left)")


def test_an_action_run_while_the_demos_model_installs_queues_nothing(
    catalog,
    llm,  # noqa: F811
    ai_staff,  # noqa: F811
    settings,
    status_file,
):
    settings.TOOLKIT_AI_BACKGROUND_THRESHOLD = 0
    with_reason(settings, "demo.local_model.unavailable_reason")
    write_status(status_file, state="installing", estimated_finish=time.time() + 50)
    product = Product.objects.order_by("pk").first()

    response = post_action(client_for(ai_staff), "ai_summarize", [product], follow=True)

    assert messages_of(response) == [
        (
            "warning",
            "The local model is still being installed (about 1 minute left); run this again "
            "once it is ready. Nothing was sent.",
        )
    ]
    assert not Job.objects.exists() and llm.requests == 0
