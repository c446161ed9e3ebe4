"""Run in a child process by tests/jobs/test_workers.py, with the settings (and so the
tasks backend) under test:

    python -m tests.jobs.worker_ctl seed --batches 2 --items 40
    python -m tests.jobs.worker_ctl start --batches 0 1 --chunk-size 5 --delay 0.1

``start`` prints the new jobs' primary keys as JSON.
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
    args = parser.parse_args(argv)

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
                    params={"chunk_size": args.chunk_size, "delay": args.delay},
                )
                for batch in args.batches
            ]
        print(json.dumps([job.pk for job in jobs]))


if __name__ == "__main__":
    sys.exit(main())
