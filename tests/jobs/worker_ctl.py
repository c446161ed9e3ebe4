"""Run in a child process by tests/jobs/test_workers.py, with the settings (and so the
tasks backend) under test:

    python -m tests.jobs.worker_ctl seed --batches 2 --items 40
    python -m tests.jobs.worker_ctl start --batches 0 1 --chunk-size 5 --delay 0.1
    python -m tests.jobs.worker_ctl seed-ai --products 60
    python -m tests.jobs.worker_ctl start-ai --products 60

``start`` and ``start-ai`` print the new jobs' primary keys as JSON.
"""

import argparse
import json
import sys


def main(argv=None):
    import django

    django.setup()
    from django.db import transaction

    from tests.jobs.workerapp.models import Item
    from toolkit.jobs import start_job

    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    seed = commands.add_parser("seed")
    seed.add_argument("--batches", type=int, required=True)
    seed.add_argument("--items", type=int, required=True)
    start = commands.add_parser("start")
    start.add_argument("--batches", type=int, nargs="+", required=True)
    start.add_argument("--chunk-size", type=int, default=5)
    start.add_argument("--delay", type=float, default=0.0)
    start.add_argument("--lease", type=float, help="seconds (default: the handler's)")
    seed_ai = commands.add_parser("seed-ai")
    seed_ai.add_argument("--products", type=int, required=True)
    start_ai = commands.add_parser("start-ai")
    start_ai.add_argument("--products", type=int, required=True)
    args = parser.parse_args(argv)

    if args.command == "seed-ai":
        return seed_catalog(args.products)
    if args.command == "start-ai":
        return start_ai_job(args.products)

    if args.command == "seed":
        Item.objects.bulk_create(
            Item(batch=batch, number=number)
            for batch in range(args.batches)
            for number in range(args.items)
        )
        print(json.dumps(Item.objects.count()))
    else:
        with transaction.atomic():
            jobs = [
                start_job(
                    "tests.visit",
                    model=Item,
                    target={"filter": {"batch": batch}},
                    params={
                        "chunk_size": args.chunk_size,
                        "delay": args.delay,
                        **({"lease": args.lease} if args.lease else {}),
                    },
                )
                for batch in args.batches
            ]
        print(json.dumps([job.pk for job in jobs]))


def seed_catalog(products):
    import io

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("seed_catalog", products=products, seed=3, stdout=io.StringIO())
    get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    print(json.dumps(products))


def start_ai_job(products):
    """Summarise the first ``products`` products as a background AI job of root's, as
    the admin's action starts it."""
    from django.contrib import admin
    from django.contrib.auth import get_user_model

    from demo.catalog.models import Product
    from toolkit.admin_ext.selection import Selection
    from toolkit.ai.handlers import start_ai_job

    user = get_user_model().objects.get(username="root")
    model_admin = admin.site.get_model_admin(Product)
    queryset = Product.objects.filter(
        pk__in=list(Product.objects.order_by("pk").values_list("pk", flat=True)[:products])
    )
    selection = Selection.for_objects(model_admin, list(queryset))
    job = start_ai_job(user, model_admin, "summarize", queryset, selection=selection)
    print(json.dumps([job.pk]))


if __name__ == "__main__":
    sys.exit(main())
