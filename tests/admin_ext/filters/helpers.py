"""Addresses of the filter test sites, and what the tests read off a changelist page."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from django.contrib import messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

PRODUCTS = "/admin/catalog/product/"
REVIEWS = "/admin/catalog/review/"
CATEGORIES = "/admin/catalog/category/"
PLAIN_PRODUCTS = "/plain-admin/catalog/product/"
AUTOCOMPLETE = "/admin/autocomplete/"


def skus(response):
    return sorted(p.sku for p in response.context["cl"].result_list)


def warnings_of(response):
    return [str(m.message) for m in response.context["messages"] if m.level == messages.WARNING]


def hrefs(response):
    """Every link and form field value of the page, unescaped."""
    html = response.content.decode()
    return [v.replace("&amp;", "&") for v in re.findall(r'(?:href|value)="([^"]*)"', html)]


def spec_titled(response, title):
    cl = response.context["cl"]
    return cl, next(spec for spec in cl.filter_specs if str(spec.title) == title)


def choices_of(response, title):
    cl, spec = spec_titled(response, title)
    return list(spec.choices(cl))


def link_params(query_string):
    return parse_qs(urlsplit(query_string).query)


def form_inputs(response, title):
    """The hidden inputs and fields of a filter's form, as rendered for the page."""
    (form,) = [c["form"] for c in choices_of(response, title) if "form" in c]
    return form


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries.captured_queries), response
