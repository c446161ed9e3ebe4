"""Random and hostile query strings at every changelist of the toolkit and the demo.

Property: whatever the query string, a changelist answers (a page, a redirect, a 400
or a 403), never a server error. Each class of input is a test of its own, so that a
failure names it; Hypothesis shrinks a failing query string to a small one. The number
of examples per admin is ``TOOLKIT_FUZZ_EXAMPLES`` (default 25; CI runs the default on
SQLite and on PostgreSQL).

Admins of other apps (``django.contrib.auth``'s) are Django's own and out of scope.
"""

from __future__ import annotations

import atexit
import collections
import os
import string

import pytest
from django.contrib import admin
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.admin_ext.changelist import CURSOR_VAR

EXAMPLES = int(os.environ.get("TOOLKIT_FUZZ_EXAMPLES", "25"))

#: Query strings sent, by test (``TOOLKIT_FUZZ_REPORT=1`` prints them at exit, without
#: xdist: how many inputs of each class were tried).
SENT: collections.Counter[str] = collections.Counter()
if os.environ.get("TOOLKIT_FUZZ_REPORT"):
    atexit.register(lambda: print("\nfuzz inputs tried:", dict(SENT), "total", sum(SENT.values())))

ADMINS = sorted(
    (model._meta.label_lower, model_admin)
    for model, model_admin in admin.site._registry.items()
    if type(model_admin).__module__.startswith(("toolkit", "demo"))
)
ADMIN_IDS = [label for label, _ in ADMINS]

fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
)

# --- values ------------------------------------------------------------------------------

EDGE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "0",
    "-1",
    "1e400",
    "NaN",
    "-inf",
    "99999999999999999999999999",
    "0001-01-01",
    "9999-12-31",
    "9999-12-31 23:59:59",
    "2025-02-30",
    "0000-00-00",
    "true",
    "None",
    "null",
    "[]",
    "{}",
    "'",
    '"',
    '"unclosed',
    "%",
    "_",
    "\\",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x")',
    "\U0001d518\U0001d52b\U0001d526",  # Fraktur letters
    "ÿ\u202e\u200b",
]

values = st.one_of(
    st.sampled_from(EDGE_TEXT),
    st.text(max_size=40),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str),
)
huge = st.one_of(
    st.integers(min_value=1_000, max_value=200_000).map(lambda n: "x" * n),
    st.integers(min_value=100, max_value=5_000).map(lambda n: " ".join(["usb"] * n)),
    st.integers(min_value=100, max_value=3_000).map(lambda n: "-a " * n),
)


def parameter_names(model_admin):
    """What the changelist reads: its filters' parameters, the search and paging ones."""
    names = {"q", "o", "p", "all", "e", "_facets", "_popup", "_to_field", CURSOR_VAR}
    for item in model_admin.list_filter or ():
        field = item[0] if isinstance(item, list | tuple) else item
        if isinstance(field, str):
            for suffix in ("", "__exact", "__gte", "__lte", "__in", "__isnull", "__isempty"):
                names.add(f"{field}{suffix}")
    if model_admin.date_hierarchy:
        names.update(f"{model_admin.date_hierarchy}__{p}" for p in ("year", "month", "day"))
    for field in model_admin.model._meta.concrete_fields:
        names.add(field.name)
    return sorted(names)


def search_terms(model_admin):
    qualifiers = sorted(getattr(model_admin, "search_qualifiers", None) or {"name": ""})
    term = st.one_of(
        st.sampled_from(EDGE_TEXT),
        st.text(alphabet=string.ascii_letters + string.digits + "-_:.", max_size=12),
        st.builds(
            lambda name, op, value: f"{name}{op}{value}",
            st.sampled_from([*qualifiers, "prce", "nope", ""]),
            st.sampled_from([":", ">=", "<=", ">", "<", "!=", "=", ":>", "::"]),
            values,
        ),
    )
    decorated = st.builds(
        lambda prefix, t, quote: f"{prefix}{quote}{t}{quote}",
        st.sampled_from(["", "-", "--"]),
        term,
        st.sampled_from(["", '"', "'"]),
    )
    return st.lists(decorated, max_size=8).map(" ".join)


def get(client, model_admin, query):
    opts = model_admin.model._meta
    url = f"/admin/{opts.app_label}/{opts.model_name}/"
    response = client.get(url, query)
    SENT[os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[-1].split("[")[0]] += 1
    assert response.status_code < 500, (url, query)
    return response


@pytest.fixture
def fuzz_client(db, catalog, superuser):
    client = Client()
    client.force_login(superuser)
    return client


# --- the classes of input -------------------------------------------------------------


@pytest.mark.parametrize("label,model_admin", ADMINS, ids=ADMIN_IDS)
def test_filters_of_any_value_never_fail(fuzz_client, label, model_admin):
    names = parameter_names(model_admin)

    @fuzz
    @given(st.dictionaries(st.sampled_from(names), values, max_size=5))
    def run(query):
        get(fuzz_client, model_admin, query)

    run()


@pytest.mark.parametrize("label,model_admin", ADMINS, ids=ADMIN_IDS)
def test_searches_and_qualifiers_never_fail(fuzz_client, label, model_admin):
    @fuzz
    @given(search_terms(model_admin))
    def run(q):
        get(fuzz_client, model_admin, {"q": q})

    run()


@pytest.mark.parametrize("label,model_admin", ADMINS, ids=ADMIN_IDS)
def test_orderings_pages_and_cursors_never_fail(fuzz_client, label, model_admin):
    sort = st.builds(
        lambda sign, n: f"{sign}{n}", st.sampled_from(["", "-", "--"]), st.integers(-3, 40)
    )
    ordering = st.one_of(st.lists(sort, max_size=300).map(".".join), values)

    @fuzz
    @given(
        st.fixed_dictionaries(
            {},
            optional={"o": ordering, "p": values, CURSOR_VAR: values, "all": values},
        )
    )
    def run(query):
        get(fuzz_client, model_admin, query)

    run()


@pytest.mark.parametrize("label,model_admin", ADMINS, ids=ADMIN_IDS)
def test_huge_input_never_fails(fuzz_client, label, model_admin):
    names = parameter_names(model_admin)

    @fuzz
    @given(st.sampled_from(names), huge)
    def run(name, value):
        get(fuzz_client, model_admin, {name: value})

    run()
