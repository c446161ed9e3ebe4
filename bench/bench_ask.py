"""Ask the changelist against the local model: how many questions find exactly their rows.

    .venv/bin/python bench/bench_ask.py [--limit N] [--keep-db] [--show]
                                          [--questions own|heldout|heldout2]

Asks the demo ProductAdmin (``ask_enabled``) 60+ questions of a staff member's kind over
the demo catalog (``seed_catalog --products 300 --seed 1``), through the toolkit's public
path (``ProductAdmin.ask``: schema, prompt, endpoint, grounding, validation; no mocks,
no cache between questions). Each question carries the rows it should return, computed
with the ORM; the search the answer became is applied with the admin's own
``get_search_results``. It prints the share of questions answered with exactly the
intended rows, the share "not understood" (no search came of it: the person is told and
nothing is shown), the share wrong (a search that finds other rows, the worst outcome)
and the median seconds per question. ``--show`` prints each question with its search.

The model, the database and the seeding are bench_ai_quality's (its helpers are reused):
``TOOLKIT_LOCAL_LLM_URL`` or ``scripts/local-llm`` on a free port; PostgreSQL from
``BENCH_DATABASE_URL`` or SQLite in ``var/``, database ``toolkit_bench_ask``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_ai_quality as quality  # the shared helpers
from _common import local_model_endpoint, setup_django

ROOT = quality.ROOT
quality.DB_NAME = "toolkit_bench_ask"  # our own database, with their helpers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, metavar="N", help="ask N questions")
    parser.add_argument("--keep-db", action="store_true", help="keep (and reuse) the database")
    parser.add_argument("--show", action="store_true", help="print each question's search")
    parser.add_argument(
        "--questions",
        choices=["own", "heldout", "heldout2"],
        default="own",
        help="which questions: our own 61 (default), or the 40 of bench/ask_heldout.py or "
        "of bench/ask_heldout2.py, each written by someone who never saw the rules that "
        "read questions nor the other sets",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(json.loads(args.child))
    reuse = os.environ.get("TOOLKIT_LOCAL_LLM_URL", "").rstrip("/")
    if not reuse and not quality.local_llm_installed():
        print("bench_ask: the local model is not installed: run `make llm` once.")
        return quality.NOT_INSTALLED
    url, description = quality.database_url()
    server = None
    try:
        if reuse:
            llm_url = reuse
        else:
            server, llm_url = quality.start_local_llm()
            if server is None:
                return 1
        print(f"model: {llm_url}; database: {description}", flush=True)
        spec = {
            "db": url,
            "llm": llm_url,
            "limit": args.limit,
            "show": args.show,
            "questions": args.questions,
        }
        result = quality.run_child(spec, __file__)
        if result is None:
            return 1
        show(result)
    finally:
        if server is not None:
            quality.stop(server)
        if not args.keep_db:
            quality.drop_database(url)
    return 0


def show(result: dict[str, Any]) -> None:
    n = result["asked"]
    share = quality.share
    print()
    print(f"questions asked                      {n}")
    print(f"exactly the intended rows            {share(result['exact'], n)}")
    print(f"not understood (no search, said so)  {share(result['not_understood'], n)}")
    print(f"wrong (other rows)                   {share(result['wrong'], n)}")
    print(f"  of them with a 'not understood'    {result['wrong_partial']}")
    print(f"read by rules (no model asked)       {share(result['by_rules'], n)}")
    print(f"median seconds per question          {result['median_seconds']:.1f}")
    print(f"endpoint failures                    {result['failures']}")


# --- child ------------------------------------------------------------------------------


def child(spec: dict[str, Any]) -> int:
    setup_django(spec["db"])
    from django.test.utils import override_settings

    endpoint = local_model_endpoint(spec["llm"])
    caches = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with override_settings(TOOLKIT_AI={"default": endpoint}, CACHES=caches):
        quality.prepare()
        result = measure(spec["limit"], spec["show"], spec["questions"])
    print(json.dumps(result))
    return 0


def measure(limit: int, show_each: bool, which: str = "own") -> dict[str, Any]:
    from django.contrib.admin import site
    from django.contrib.messages.storage.cookie import CookieStorage

    from demo.catalog.models import Product

    model_admin = site._registry[Product]
    request = quality.staff_request()
    request._messages = CookieStorage(request)
    if which == "heldout":
        from ask_heldout import heldout_questions

        cases = heldout_questions()
    elif which == "heldout2":
        from ask_heldout2 import heldout_questions_2

        cases = heldout_questions_2()
    else:
        cases = questions()
    if limit:
        cases = cases[:limit]
    counts = {
        "exact": 0,
        "not_understood": 0,
        "wrong": 0,
        "wrong_partial": 0,
        "failures": 0,
        "by_rules": 0,
    }
    seconds: list[float] = []
    for number, (question, expected) in enumerate(cases, 1):
        started = time.monotonic()
        outcome = model_admin.ask(request, question)
        seconds.append(time.monotonic() - started)
        counts["by_rules"] += outcome.by_rules
        wanted = set(Product.objects.filter(expected).values_list("pk", flat=True))
        if outcome.error:
            counts["failures"] += 1
        if not outcome.query:
            verdict = "not_understood"
        else:
            found, _dups = model_admin.get_search_results(
                request, Product.objects.all(), outcome.query
            )
            got = set(found.values_list("pk", flat=True))
            verdict = "exact" if got == wanted else "wrong"
            if verdict == "wrong" and outcome.answer.not_understood:
                counts["wrong_partial"] += 1
        counts[verdict] += 1
        line = (
            f"[{number}/{len(cases)}] {verdict:<14} {seconds[-1]:5.1f}s "
            f"{'rules' if outcome.by_rules else 'model'}  {question!r} -> "
            f"{outcome.query!r} ({len(wanted)} rows wanted)"
        )
        if outcome.answer.not_understood:
            line += f" not understood: {outcome.answer.not_understood}"
        if outcome.error:
            line += f" error: {outcome.error}"
        print(line if show_each else line[:160], file=sys.stderr, flush=True)
    return {
        "asked": len(cases),
        **counts,
        "median_seconds": statistics.median(seconds) if seconds else 0.0,
    }


def questions() -> list[tuple[str, Any]]:
    """The questions and their rows (a ``Q`` on products), over the seeded catalog's
    own names: the categories, suppliers and tags with the most products."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from demo.catalog.models import Category, Supplier, Tag

    def top(model: Any, n: int) -> list[str]:
        rows = model.objects.annotate(n=Count("products")).order_by("-n", "pk")
        return [row.name for row in rows[:n]]

    cats, sups, tags = top(Category, 3), top(Supplier, 3), top(Tag, 3)
    today = timezone.localdate()

    def since(day: datetime.date) -> Q:
        start = datetime.datetime.combine(day, datetime.time.min)
        return Q(created__gte=timezone.make_aware(start))

    def before(day: datetime.date) -> Q:
        start = datetime.datetime.combine(day, datetime.time.min)
        return Q(created__lt=timezone.make_aware(start))

    month = today.replace(day=1)
    last_month = (month - datetime.timedelta(days=1)).replace(day=1)
    year = today.replace(month=1, day=1)
    cases: list[tuple[str, Any]] = [
        ("products priced over 500", Q(price__gt=500)),
        ("products cheaper than 10", Q(price__lt=10)),
        ("products with a price under 25", Q(price__lt=25)),
        ("products that cost more than 1000", Q(price__gt=1000)),
        ("products with stock below 5", Q(stock__lt=5)),
        ("products with more than 100 in stock", Q(stock__gt=100)),
        ("products with cost over 200", Q(cost__gt=200)),
        ("products with a cost under 5", Q(cost__lt=5)),
        ("draft products", Q(status="draft")),
        ("discontinued products", Q(status="discontinued")),
        ("products with status active", Q(status="active")),
        ("inactive products", Q(is_active=False)),
        ("products not active", Q(is_active=False)),
        ("products added this month", since(month)),
        ("products added last month", since(last_month) & before(month)),
        ("products created in the last 7 days", since(today - datetime.timedelta(days=6))),
        ("products created in the last 30 days", since(today - datetime.timedelta(days=29))),
        ("products added this year", since(year)),
        ("products created today", since(today)),
        ("products with a 5 star review", Q(reviews__rating=5)),
        ("products rated 1", Q(reviews__rating=1)),
        ("draft products under 50", Q(status="draft", price__lt=50)),
        ("discontinued products with stock over 10", Q(status="discontinued", stock__gt=10)),
        ("inactive products priced over 100", Q(is_active=False, price__gt=100)),
        ("products over 300 added this year", Q(price__gt=300) & since(year)),
        ("products with price between 20 and 50", Q(price__gte=20, price__lte=50)),
        ("draft products added this month", Q(status="draft") & since(month)),
    ]
    for c in cats:
        cases += [
            (f"products in category {c}", Q(category__name__icontains=c)),
            (f"{c} under 50", Q(category__name__icontains=c, price__lt=50)),
            (f"{c} with stock below 10", Q(category__name__icontains=c, stock__lt=10)),
            (f"draft {c}", Q(category__name__icontains=c, status="draft")),
        ]
    for s in sups:
        cases += [
            (f"products from {s}", Q(supplier__name__icontains=s)),
            (f"products supplied by {s} over 100", Q(supplier__name__icontains=s, price__gt=100)),
            (f"{s} products low on stock, under 10", Q(supplier__name__icontains=s, stock__lt=10)),
        ]
    for t in tags:
        cases += [
            (f"products tagged {t}", Q(tags__name__iexact=t)),
            (f"products with tag {t} under 30", Q(tags__name__iexact=t, price__lt=30)),
        ]
    cases += [
        (
            f"cheap {cats[0]} from {sups[0]} under 20",
            Q(category__name__icontains=cats[0], supplier__name__icontains=sups[0], price__lt=20),
        ),
        (
            f"{cats[1]} from {sups[1]}",
            Q(category__name__icontains=cats[1], supplier__name__icontains=sups[1]),
        ),
    ]
    cases += [
        ("products cheaper than 15 with more than 20 in stock", Q(price__lt=15, stock__gt=20)),
        (
            f"discontinued products from {sups[2]}",
            Q(status="discontinued", supplier__name__icontains=sups[2]),
        ),
        (
            f"products tagged {tags[0]} in category {cats[0]}",
            Q(tags__name__iexact=tags[0], category__name__icontains=cats[0]),
        ),
        ("products with stock under 3 added this year", Q(stock__lt=3) & since(year)),
        ("products with a price over 50 and a cost under 20", Q(price__gt=50, cost__lt=20)),
    ]
    return cases


if __name__ == "__main__":
    sys.exit(main())
