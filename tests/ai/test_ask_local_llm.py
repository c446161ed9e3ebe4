"""Ask the changelist against the real local model (Gemma 3 270M), end to end."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache

from demo.catalog.models import Product
from tests.ai.test_admin import CHANGELIST, client_for, staff

pytestmark = [pytest.mark.django_db, pytest.mark.local_llm]


def test_a_question_becomes_a_search_or_says_what_was_not_understood(
    local_model, catalog, django_user_model
):
    cache.clear()
    user = staff(django_user_model, "asker", "catalog.view_product", "toolkit_ai.run_ai")
    client = client_for(user)
    response = client.get(CHANGELIST, {"ask": "active products with price under 50"})
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert response.status_code in (200, 302), messages
    if response.status_code == 302:
        query = parse_qs(urlsplit(response["Location"]).query)["q"][0]
        assert any(m == f"Showing: {query}" for m in messages)
        page = client.get(response["Location"])
        assert page.status_code == 200
        assert page.context["cl"].query == query
        assert page.context["cl"].result_count <= Product.objects.count()
    else:
        assert any(
            m.startswith(("Not understood", "Nothing in the question", "The AI could not"))
            for m in messages
        ), messages
