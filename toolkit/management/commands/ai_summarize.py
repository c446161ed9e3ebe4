"""``manage.py ai_summarize app_label.Model``: run an AI action over many records in batch.

What is sent comes from the model's registered ModelAdmin (its ``ai_fields``,
``ai_related``, ``ai_rules``... read by :meth:`AISource.from_admin`), exactly as the
admin actions send it, so a site declares it once. The command::

    manage.py ai_summarize catalog.Product --kind anomalies --filter status=active
    manage.py ai_summarize catalog.Product --ids 12 13 14 --force
    manage.py ai_summarize catalog.Product --dry-run

- walks the records in primary-key order, one batch at a time (a keyset: each batch
  costs the same on a million rows, and memory stays flat however many there are);
- skips records whose newest insight is ``ok`` for the same input, model and prompt
  version (``--force`` sends them anyway); a record whose newest insight failed is sent
  again, so a run that was interrupted or had failures is simply run again, and its exit
  status counts every record that still ends failed;
- with ``--user``, counts the records against that person's daily limit
  (``TOOLKIT_AI_DAILY_RECORD_LIMIT``), reserved before anything is sent, as the admin
  does; answered records stay counted, the others are given back at the end;
- shows a progress bar on a terminal and a log line every few seconds otherwise, and
  the totals (sent, cached, failed, tokens) at the end; exits with status 1 when any
  record failed, and 130 when interrupted;
- on Ctrl-C sends no further request, waits for the ones in flight and stores their
  answers (a second Ctrl-C stops at once); every record ends ``ok``, ``failed`` or is
  left for the next run, never half-written.

A selection action (``--action summarize_selection``) writes one digest over the
records instead, by map-reduce, and prints it.
"""

from __future__ import annotations

import argparse
import difflib
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import FieldError, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, models

from toolkit.exceptions import ToolkitConfigurationError

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    from toolkit.ai.actions import AIAction
    from toolkit.ai.endpoints import EndpointConfig
    from toolkit.ai.models import AIReservation
    from toolkit.ai.runner import RunReport
    from toolkit.ai.sources import AISource

#: Exit status after Ctrl-C, as a shell reports a process ended by SIGINT.
INTERRUPTED_STATUS = 130
#: Exit status when any record failed.
FAILED_STATUS = 1

KINDS = {"summary": "SummarizeAction", "anomalies": "FlagAnomaliesAction"}


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {number}")
    return number


@dataclass
class Totals:
    """What a run did, from its :class:`~toolkit.ai.runner.RunReport`."""

    done: int = 0
    sent: int = 0
    cached: int = 0
    failed: int = 0
    requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, report: RunReport | None) -> Totals:
        if report is None:
            return cls()
        errors: Counter[str] = Counter()
        for message in report.errors:
            # "product 12: The endpoint ..." -> the error, to count alike ones together.
            errors[message.split(": ", 1)[-1]] += 1
        return cls(
            # Sent records end ok or failed; records refused before sending end failed.
            done=report.cached + report.ok + report.failed,
            sent=report.sent,
            cached=report.cached,
            failed=report.failed,
            requests=report.requests,
            tokens_in=report.tokens_in,
            tokens_out=report.tokens_out,
            errors=errors,
        )

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out

    def line(self) -> str:
        return (
            f"{self.sent:,} sent, {self.cached:,} cached, {self.failed:,} failed, "
            f"{self.tokens:,} tokens"
        )


class Interrupt:
    """Turns the first Ctrl-C into a request to stop once the requests in flight are in.

    A second Ctrl-C raises ``KeyboardInterrupt`` as usual, for a person who cannot
    wait: the answers in flight are abandoned (the HTTP requests still end within the
    endpoint's TIMEOUT), records stored so far are kept, the others are sent by the
    next run.
    Signal handlers can only be set from the main thread; elsewhere (a command called
    from a worker thread) Ctrl-C keeps its default behaviour.
    """

    def __init__(self, on_first: Callable[[], object]) -> None:
        self.requested = False
        self._on_first = on_first
        self._previous: Any = None
        self._installed = False

    def __enter__(self) -> Interrupt:
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        except ValueError:  # not the main thread
            pass
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self._on_first()


class Command(BaseCommand):
    help = (
        "Run an AI action (summaries, anomaly flags or one of the ModelAdmin's ai_actions) "
        "over the records of a model, sending what its registered ModelAdmin "
        "declares in ai_fields. Records already done with the same input, model and "
        "prompt version are skipped unless --force; run it again after an interruption "
        "or failures to finish the rest."
    )

    #: Records per batch of a dry run (progress and Ctrl-C come between batches).
    dry_run_batch_size = 5000
    #: Seconds between two progress lines when the output is not a terminal.
    log_interval = 5.0
    #: Distinct error messages listed at the end of a run with failures.
    errors_shown = 5

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "model", metavar="app_label.Model", help="The model, e.g. catalog.Product."
        )
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--kind",
            choices=sorted(KINDS),
            help="The built-in action to run: summary (the default) or anomalies.",
        )
        which.add_argument(
            "--action",
            metavar="NAME",
            help="Run this action of the ModelAdmin's ai_actions (or of the registry) by name.",
        )
        parser.add_argument(
            "--filter",
            dest="filters",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="Only records matching this lookup (any Django lookup: status=active, "
            "price__gte=10, category__name=Tools, tags__name__in=a,b). Repeat to combine.",
        )
        parser.add_argument(
            "--ids",
            nargs="+",
            default=[],
            metavar="ID",
            help="Only these primary keys (separated by spaces or commas).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Send records again even when their last answer is still up to date.",
        )
        parser.add_argument(
            "--limit", type=positive_int, metavar="N", help="Stop after N records (in id order)."
        )
        parser.add_argument(
            "--concurrency",
            type=positive_int,
            metavar="N",
            help="Requests in flight at once (default: the endpoint's CONCURRENCY).",
        )
        parser.add_argument(
            "--records-per-prompt",
            type=positive_int,
            default=1,
            metavar="K",
            help="Send K records per request (N/K requests; default 1).",
        )
        parser.add_argument(
            "--endpoint",
            metavar="NAME",
            help="The TOOLKIT_AI endpoint to use (default: the ModelAdmin's ai_endpoint, else "
            "'default').",
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="Send on behalf of this person: the records count against their daily "
            "limit (TOOLKIT_AI_DAILY_RECORD_LIMIT) and the insights name them. Without it "
            "the run is the site's own, with no daily limit.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Send nothing: print what would be sent (fields, a sample) and an "
            "estimate of the tokens.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        model = self.get_model(options["model"])
        model_admin = self.get_model_admin(model)
        source = self.get_source(model_admin)
        action = self.get_action(model_admin, options["kind"], options["action"])
        queryset = self.get_queryset(model, options["filters"], options["ids"])
        endpoint = self.get_endpoint(model_admin, options["endpoint"])
        queryset, total = self.apply_limit(queryset, options["limit"])
        user = self.get_user(options["user"])
        per_prompt: int = options["records_per_prompt"]
        # No more connections than requests: a short run opens only what it uses.
        concurrency = max(
            1, min(options["concurrency"] or endpoint.concurrency, -(-total // per_prompt))
        )
        if not action.per_record:
            scope = {key: options[key] for key in ("filters", "ids", "limit") if options[key]}
            if options["dry_run"]:
                self.dry_run_digest(action, source, queryset, endpoint, total)
            else:
                self.run_digest(
                    action, source, queryset, endpoint, total, concurrency, scope, user=user
                )
            return
        if options["dry_run"]:
            self.dry_run(action, source, queryset, endpoint, total, per_prompt, options["force"])
            return
        self.run(
            action,
            source,
            queryset,
            endpoint,
            total=total,
            concurrency=concurrency,
            per_prompt=per_prompt,
            force=options["force"],
            user=user,
        )

    # -- what to run on ---------------------------------------------------------------

    def get_model(self, label: str) -> type[models.Model]:
        try:
            return apps.get_model(label)
        except (LookupError, ValueError):
            known = [m._meta.label for m in apps.get_models()]
            close = difflib.get_close_matches(label, known, n=1) or difflib.get_close_matches(
                label.lower(), [k.lower() for k in known], n=1
            )
            hint = f" Did you mean {close[0]}?" if close else ""
            raise CommandError(
                f"No model {label!r}: name it as app_label.ModelName (e.g. catalog.Product).{hint}"
            ) from None

    def get_model_admin(self, model: type[models.Model]) -> ModelAdmin[Any]:
        """The ModelAdmin registered for ``model`` on the default admin site."""
        model_admin = admin.site._registry.get(model)
        if model_admin is None:
            raise CommandError(
                f"{model._meta.label} is not registered in the admin; the command sends "
                "what its ModelAdmin declares in ai_fields. Register it with ai_fields "
                "(and AIActionsMixin for the admin actions)."
            )
        return model_admin

    def get_source(self, model_admin: ModelAdmin[Any]) -> AISource:
        """What leaves the database: the ModelAdmin's ``get_ai_source()`` (``AIActionsMixin``)
        or, for any other ModelAdmin, its ``ai_*`` attributes."""
        from toolkit.ai.sources import AISource

        if not getattr(model_admin, "ai_fields", None):
            name = type(model_admin).__name__
            raise CommandError(
                f"{name} declares no ai_fields, so nothing of a "
                f"{model_admin.model._meta.verbose_name} may be sent to a model. Add "
                f'ai_fields = ["name", "description", ...] to {name} (dotted paths across '
                "relations are allowed): only those fields leave the database."
            )
        try:
            getter = getattr(model_admin, "get_ai_source", None)
            source = getter(None) if callable(getter) else AISource.from_admin(model_admin)
        except ToolkitConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        return cast("AISource", source)

    def get_action(
        self, model_admin: ModelAdmin[Any], kind: str | None, name: str | None
    ) -> AIAction:
        """The action to run: ``--action NAME`` (one of the ModelAdmin's ``ai_actions``,
        else a registered one), else the ModelAdmin's action of ``--kind`` (summary by
        default), else the built-in action of that kind."""
        from toolkit.ai import actions

        try:
            getter = getattr(model_admin, "get_ai_actions", None)
            if callable(getter):
                declared: list[AIAction] = list(getter(None))
            else:
                entries = getattr(model_admin, "ai_actions", None) or []
                declared = [actions.resolve_action(entry) for entry in entries]
        except ToolkitConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        if name is not None:
            for candidate in declared:
                if candidate.name == name:
                    return candidate
            try:
                return actions.get_action(name)
            except ToolkitConfigurationError:
                names = sorted({a.name for a in declared} | set(actions.registered_actions()))
                raise CommandError(
                    f"No AI action named {name!r}; there are: {', '.join(names)}."
                ) from None
        kind = kind or "summary"
        for candidate in declared:
            if candidate.kind == kind and candidate.per_record:
                return candidate
        action_class: type[AIAction] = getattr(actions, KINDS[kind])
        return action_class()

    def get_queryset(
        self, model: type[models.Model], filters: list[str], ids: list[str]
    ) -> models.QuerySet[Any]:
        """The records to run on: ``--filter`` lookups and ``--ids``, checked one by one."""
        queryset = model._default_manager.all()
        for raw in filters:
            lookup, sep, value = raw.partition("=")
            lookup = lookup.strip()
            if not sep or not lookup:
                raise CommandError(
                    f"--filter {raw!r} is not FIELD=VALUE (e.g. --filter status=active)."
                )
            try:
                queryset = queryset.filter(**{lookup: _filter_value(lookup, value)})
            except FieldError as exc:
                raise CommandError(f"--filter {raw!r}: {exc}") from None
            except ValidationError as exc:
                raise CommandError(f"--filter {raw!r}: {' '.join(exc.messages)}") from None
            except (ValueError, TypeError) as exc:
                raise CommandError(f"--filter {raw!r}: {exc}") from None
        if filters:
            # A lookup across a to-many relation (tags__name=...) joins and repeats rows;
            # as a subquery each record counts, and is sent, once.
            queryset = model._default_manager.filter(pk__in=queryset.values("pk"))
        if ids:
            pk_field = model._meta.pk
            assert pk_field is not None
            pks = []
            for raw in (part for value in ids for part in value.split(",")):
                if not raw.strip():
                    continue
                try:
                    pks.append(pk_field.to_python(raw.strip()))
                except ValidationError as exc:
                    raise CommandError(f"--ids {raw!r}: {' '.join(exc.messages)}") from None
            found = set(model._default_manager.filter(pk__in=pks).values_list("pk", flat=True))
            missing = [str(pk) for pk in dict.fromkeys(pks) if pk not in found]
            if missing:
                raise CommandError(
                    f"No {model._meta.verbose_name} with id {', '.join(missing[:10])}"
                    + (f" (and {len(missing) - 10} more)" if len(missing) > 10 else "")
                    + "; nothing was sent."
                )
            queryset = queryset.filter(pk__in=pks)
        return queryset

    def get_user(self, username: str | None) -> Any:
        """The person ``--user`` names (``None`` without it)."""
        if username is None:
            return None
        from django.contrib.auth import get_user_model

        model = get_user_model()
        user = model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"--user {username!r}: no such user; nothing was sent.")
        return user

    def reserve(self, user: Any, total: int) -> AIReservation | None:
        """Reserve the run's records against ``user``'s daily limit, or say why not.

        ``TOOLKIT_AI_MAX_RECORDS`` caps what a person selects in the admin; a batch run
        is as large as its operator makes it, so only the daily limit applies here.
        """
        from toolkit.ai.limits import reserve
        from toolkit.exceptions import AILimitExceeded

        if user is None:
            return None
        try:
            return reserve(user, total, per_run=False)
        except AILimitExceeded as exc:
            raise CommandError(f"{exc} Nothing was sent (--limit sends fewer).") from None

    def get_endpoint(self, model_admin: ModelAdmin[Any], name: str | None) -> EndpointConfig:
        """``--endpoint``, else the ModelAdmin's ``get_ai_endpoint()``, else "default"."""
        from toolkit.ai.endpoints import DEFAULT_ENDPOINT, get_endpoint

        if name is None:
            getter = getattr(model_admin, "get_ai_endpoint", None)
            name = getter(None) if callable(getter) else getattr(model_admin, "ai_endpoint", None)
        try:
            return get_endpoint(name or DEFAULT_ENDPOINT)
        except ToolkitConfigurationError as exc:
            raise CommandError(str(exc)) from None

    def apply_limit(
        self, queryset: models.QuerySet[Any], limit: int | None
    ) -> tuple[models.QuerySet[Any], int]:
        """``queryset`` cut to its first ``limit`` records in primary-key order, and how
        many records it holds. The cut is a primary-key bound (one query), not a slice,
        so the queryset can still be walked in batches."""
        try:
            if limit is None:
                return queryset, queryset.count()
            # Counting at most `limit` rows: a million-row table is not counted whole.
            total = queryset.order_by()[:limit].count()
        except DatabaseError as exc:
            raise CommandError(f"The filters cannot be applied: {exc}".strip()) from exc
        if total < limit:
            return queryset, total
        last = queryset.order_by("pk").values_list("pk", flat=True)[limit - 1]
        return queryset.filter(pk__lte=last), limit

    def iter_batches(
        self, queryset: models.QuerySet[Any], size: int
    ) -> Iterator[models.QuerySet[Any]]:
        """``queryset`` in primary-key order, ``size`` records at a time.

        Each batch starts after the last key of the one before (a keyset, as
        :meth:`toolkit.jobs.JobHandler.get_chunk` walks a job's rows), so every batch
        costs one indexed query and memory holds one batch at a time.
        """
        cursor = None
        model = queryset.model
        while True:
            page = queryset if cursor is None else queryset.filter(pk__gt=cursor)
            # A filter over a to-many relation repeats primary keys; each record once.
            pks = list(dict.fromkeys(page.order_by("pk").values_list("pk", flat=True)[:size]))
            if not pks:
                return
            yield model._default_manager.filter(pk__in=pks).order_by("pk")
            cursor = pks[-1]

    # -- running ----------------------------------------------------------------------

    def run(
        self,
        action: AIAction,
        source: AISource,
        queryset: models.QuerySet[Any],
        endpoint: EndpointConfig,
        *,
        total: int,
        concurrency: int,
        per_prompt: int,
        force: bool,
        user: Any = None,
    ) -> None:
        """Send the records: one streaming run over the whole queryset.

        :func:`~toolkit.ai.runner.run_action` walks the queryset in primary-key
        batches itself and keeps ``concurrency`` requests in flight from the first
        record to the last (no pause between batches); with ``keep_insights=False`` it
        holds no insight in memory, so a million records cost what a thousand do.
        """
        from toolkit.ai.client import Client
        from toolkit.ai.runner import run_action

        label = queryset.model._meta.verbose_name_plural
        self.stdout.write(
            f"{action.name}: {total:,} {label} to endpoint {endpoint.name!r} "
            f"(model {endpoint.model}), {concurrency} request(s) at a time"
            + (f", {per_prompt} records per request" if per_prompt > 1 else "")
            + (", forced" if force else "")
            + "."
        )
        progress = Progress(self, total)
        interrupt = Interrupt(
            lambda: progress.message(
                "Stopping: waiting for the answers in flight, to store them (Ctrl-C again "
                "to abandon them)..."
            )
        )
        started = time.monotonic()
        interrupted = False
        report: RunReport | None = None
        reservation = self.reserve(user, total)
        try:
            with Client(endpoint, concurrency=concurrency) as client, interrupt:
                report = run_action(
                    action,
                    source,
                    queryset,
                    user=user,
                    enforce_limits=False,  # reserved above
                    force=force,
                    endpoint=endpoint,
                    concurrency=concurrency,
                    records_per_prompt=per_prompt,
                    client=client,
                    on_progress=progress.update_report,
                    keep_insights=False,
                    should_stop=lambda: interrupt.requested,
                )
            # A Ctrl-C after the last request went out stopped nothing: the run is done.
            interrupted = report.stopped
        except KeyboardInterrupt:
            interrupted = True
            report = progress.last_report  # the run's own report, as far as it got
        finally:
            progress.close()
            if reservation is not None:
                from toolkit.ai.limits import release

                release(reservation, answered=report.ok if report is not None else 0)
        self.report(action, Totals.of(report), total, time.monotonic() - started, interrupted)

    def report(
        self, action: AIAction, totals: Totals, total: int, elapsed: float, interrupted: bool
    ) -> None:
        self.stdout.write(
            f"{'Interrupted' if interrupted else 'Done'}: {totals.done:,} of {total:,} "
            f"records in {elapsed:.1f} s: {totals.sent:,} sent, {totals.cached:,} cached, "
            f"{totals.failed:,} failed; "
            f"{totals.requests:,} requests, {totals.tokens:,} tokens "
            f"({totals.tokens_in:,} in, {totals.tokens_out:,} out)."
        )
        if totals.cached:
            self.stdout.write(
                "Cached records are unchanged since their last answer (same input, model "
                "and prompt version); --force sends them again."
            )
        if totals.errors:
            kept = sum(totals.errors.values())
            self.stderr.write(
                "Errors"
                + (f" (of the first {kept:,} failed records)" if kept < totals.failed else "")
                + ", retried by running the same command again:"
            )
            for message, count in totals.errors.most_common(self.errors_shown):
                self.stderr.write(f"  {count:,} x {message}")
            others = len(totals.errors) - self.errors_shown
            if others > 0:
                self.stderr.write(f"  ... and {others:,} other errors.")
        if interrupted:
            raise CommandError(
                f"Interrupted after {totals.done:,} of {total:,} records. Run the same "
                "command again to finish: records already answered are not sent again.",
                returncode=INTERRUPTED_STATUS,
            )
        if totals.failed:
            raise CommandError(
                f"{totals.failed:,} of {total:,} records failed. Run the same command again "
                "to retry them: records already answered are not sent again.",
                returncode=FAILED_STATUS,
            )
        self.stdout.write(self.style.SUCCESS(f"{action.name}: all {total:,} records done."))

    def run_digest(
        self,
        action: AIAction,
        source: AISource,
        queryset: models.QuerySet[Any],
        endpoint: EndpointConfig,
        total: int,
        concurrency: int,
        scope: dict[str, Any],
        *,
        user: Any = None,
    ) -> None:
        """One report over all the records (map-reduce), stored as a digest insight."""
        from toolkit.ai.client import Client
        from toolkit.ai.limits import release
        from toolkit.ai.runner import run_digest

        label = queryset.model._meta.verbose_name_plural
        self.stdout.write(
            f"{action.name}: one digest of {total:,} {label} from endpoint "
            f"{endpoint.name!r} (model {endpoint.model})..."
        )
        started = time.monotonic()
        reservation = self.reserve(user, total)
        answered = 0
        try:
            with Client(endpoint, concurrency=concurrency) as client:
                insight = run_digest(
                    action,
                    source,
                    queryset,
                    user=user,
                    enforce_limits=False,  # reserved above
                    scope={"command": "ai_summarize", **scope},
                    endpoint=endpoint,
                    client=client,
                    concurrency=concurrency,
                )
            answered = total if insight.is_ok else 0
        finally:
            if reservation is not None:
                release(reservation, answered=answered)
        elapsed = time.monotonic() - started
        tokens = insight.tokens_in + insight.tokens_out
        if not insight.is_ok:
            raise CommandError(
                f"The digest of {total:,} {label} failed after {elapsed:.1f} s: "
                f"{insight.error} Run the same command again to retry.",
                returncode=FAILED_STATUS,
            )
        self.stdout.write(insight.text)
        self.stdout.write(
            self.style.SUCCESS(
                f"Digest of {insight.record_count:,} {label} stored as insight {insight.pk} "
                f"in {elapsed:.1f} s ({tokens:,} tokens)."
            )
        )

    def dry_run_digest(
        self,
        action: AIAction,
        source: AISource,
        queryset: models.QuerySet[Any],
        endpoint: EndpointConfig,
        total: int,
    ) -> None:
        label = queryset.model._meta.verbose_name_plural
        self.stdout.write(
            f"Dry run, nothing is sent: {action.name} would write one digest of {total:,} "
            f"{label} for endpoint {endpoint.name!r} (model {endpoint.model}), "
            f"summarising them in prompts of at most {source.max_input_chars:,} characters "
            "and combining those summaries."
        )
        self.stdout.write("Fields sent: " + ", ".join(source.fields))

    def dry_run(
        self,
        action: AIAction,
        source: AISource,
        queryset: models.QuerySet[Any],
        endpoint: EndpointConfig,
        total: int,
        per_prompt: int,
        force: bool,
    ) -> None:
        """Print what would be sent and an estimate; send and store nothing.

        Walks the records in batches of :attr:`dry_run_batch_size` (so a million cost
        the memory of one batch, with progress and Ctrl-C between batches), building
        each record's prompt exactly as a real run would.
        """
        from toolkit.ai.runner import CHARS_PER_TOKEN, estimate

        label = queryset.model._meta.verbose_name_plural
        self.stdout.write(
            f"Dry run, nothing is sent: {action.name} on {total:,} {label} for endpoint "
            f"{endpoint.name!r} (model {endpoint.model})."
        )
        self.stdout.write("Fields sent: " + ", ".join(source.fields))
        for name, related in source.related.items():
            self.stdout.write(
                f"Related rows sent: {name} ({', '.join(related.fields)}; the first "
                f"{related.limit} by {related.order_by or '-pk'})"
            )
        self.show_sample(action, source, queryset)
        count = cached = requests = characters = tokens = completion = 0
        progress = Progress(self, total)
        with Interrupt(lambda: None) as interrupt:
            for batch in self.iter_batches(queryset, self.dry_run_batch_size):
                dry = estimate(
                    action,
                    source,
                    batch,
                    endpoint=endpoint,
                    records_per_prompt=per_prompt,
                    force=force,
                )
                count += dry.count
                cached += dry.cached
                requests += dry.requests
                characters += dry.characters
                tokens += dry.estimated_tokens
                completion += dry.max_completion_tokens
                progress.update_count(count, f"{cached:,} cached")
                if interrupt.requested:
                    break
        progress.close()
        self.stdout.write(
            f"Would send {count - cached:,} of {count:,} records in {requests:,} requests "
            f"({cached:,} cached). Prompts: {characters:,} characters, about {tokens:,} input "
            f"tokens ({CHARS_PER_TOKEN} characters a token); answers: at most "
            f"{completion:,} output tokens."
        )
        if cached:
            self.stdout.write(
                "Cached records are unchanged since their last answer; --force would send them too."
                if not force
                else "--force: cached records are counted as sent."
            )
        if interrupt.requested:
            raise CommandError(
                f"Interrupted after {count:,} of {total:,} records.",
                returncode=INTERRUPTED_STATUS,
            )

    def show_sample(
        self, action: AIAction, source: AISource, queryset: models.QuerySet[Any]
    ) -> None:
        """The messages of the first record, as the model would read them."""
        from toolkit.ai.runner import findings, peer_statistics

        first = queryset.order_by("pk").values_list("pk", flat=True).first()
        if first is None:
            return
        payloads = source.payloads_for_pks([first])
        if not payloads:
            return
        payload = payloads[0]
        statistics = peer_statistics(source) if action.uses_facts else None
        payload.facts = findings(action, source, [first], statistics).get(payload.pk, [])
        self.stdout.write(f"Sample: the prompt of record {payload.pk}, as it would be sent:")
        for message in action.get_batch_messages([payload], source):
            self.stdout.write(f"--- {message['role']} ---")
            self.stdout.write(str(message["content"]))
        self.stdout.write("---")


class Progress:
    """A tqdm bar when the output is a terminal; otherwise a plain line every
    :attr:`Command.log_interval` seconds (and one at the end), for logs and cron mail."""

    def __init__(self, command: Command, total: int) -> None:
        self.command = command
        self.total = total
        self.bar: Any = None
        self.started = self.last_log = time.monotonic()
        self.done = 0
        self.last_report: RunReport | None = None
        if command.stdout.isatty():
            from tqdm import tqdm

            self.bar = tqdm(
                total=total, unit=" records", file=command.stdout._out, dynamic_ncols=True
            )

    def message(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.command.stdout._out)
        else:
            self.command.stderr.write(text)

    def update_report(self, report: RunReport) -> None:
        """``on_progress`` of :func:`~toolkit.ai.runner.run_action`."""
        self.last_report = report
        totals = Totals.of(report)
        self.update_count(totals.done, totals.line())

    def update_count(self, done: int, postfix: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(postfix, refresh=False)
            self.bar.update(done - self.done)
            self.done = done
            return
        self.done = done
        now = time.monotonic()
        if now - self.last_log >= self.command.log_interval:
            self.log(now)

    def log(self, now: float) -> None:
        self.last_log = now
        percent = f" ({self.done / self.total:.0%})" if self.total else ""
        rate = self.done / max(now - self.started, 1e-9)
        postfix = Totals.of(self.last_report).line() if self.last_report else ""
        self.command.stdout.write(
            f"{self.done:,}/{self.total:,} records{percent}"
            + (f": {postfix}" if postfix else "")
            + f", {rate:,.1f} records/s"
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _filter_value(lookup: str, value: str) -> Any:
    """A ``--filter`` value as the lookup wants it: a list for ``__in``, a bool for
    ``__isnull``, the text for anything else (the field converts and checks it)."""
    last = lookup.rsplit("__", 1)[-1]
    if last == "in":
        return [part.strip() for part in value.split(",") if part.strip()]
    if last == "isnull":
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes"):
            return True
        if lowered in ("0", "false", "no"):
            return False
        raise ValueError(f"__isnull takes true or false, not {value!r}.")
    return value
