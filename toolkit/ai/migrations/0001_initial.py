"""The AI models, taken over from the core app ``toolkit`` with their tables and rows.

Until this app existed, ``Insight``, ``AIUsage`` and ``AIReservation`` belonged to
``toolkit`` (its migrations 0001 and 0002 created their tables, which keep their names:
see each model's ``db_table``). This migration adds them to this app's *state* only, so
no table is created, dropped or copied, and renames their content types from
``toolkit`` to ``toolkit_ai``: the permissions a site granted (``run_ai``,
``view_insight``, ...) keep their rows and their holders, under the names
``toolkit_ai.run_ai``, ``toolkit_ai.view_insight``, ...
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

OLD_LABEL, NEW_LABEL = "toolkit", "toolkit_ai"
MODELS = ("insight", "aiusage", "aireservation")


def relabel(apps, from_label, to_label, using):
    """Move the models' content types (and with them their permissions) to ``to_label``;
    a content type already there (made by hand or by an earlier run) is left alone."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if ContentType.objects.using(using).filter(app_label=to_label, model=model).exists():
            continue
        ContentType.objects.using(using).filter(app_label=from_label, model=model).update(
            app_label=to_label
        )
    ContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    relabel(apps, OLD_LABEL, NEW_LABEL, schema_editor.connection.alias)


def backwards(apps, schema_editor):
    relabel(apps, NEW_LABEL, OLD_LABEL, schema_editor.connection.alias)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("toolkit", "0002_ai_usage"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Insight",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "object_id",
                            models.CharField(blank=True, max_length=255, verbose_name="record id"),
                        ),
                        ("kind", models.CharField(max_length=50, verbose_name="kind")),
                        ("action", models.CharField(max_length=100, verbose_name="action")),
                        (
                            "status",
                            models.CharField(
                                choices=[("ok", "ok"), ("failed", "failed")],
                                default="ok",
                                max_length=16,
                                verbose_name="status",
                            ),
                        ),
                        ("text", models.TextField(blank=True, verbose_name="text")),
                        ("data", models.JSONField(blank=True, default=dict, verbose_name="answer")),
                        ("flags", models.JSONField(blank=True, default=list, verbose_name="flags")),
                        (
                            "max_severity",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("", "none"),
                                    ("info", "info"),
                                    ("warning", "warning"),
                                    ("critical", "critical"),
                                ],
                                max_length=16,
                                verbose_name="max severity",
                            ),
                        ),
                        (
                            "severity_rank",
                            models.PositiveSmallIntegerField(
                                default=0, verbose_name="severity rank"
                            ),
                        ),
                        (
                            "review_status",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("", "not a proposal"),
                                    ("proposed", "proposed"),
                                    ("applied", "applied"),
                                    ("rejected", "rejected"),
                                ],
                                max_length=16,
                                verbose_name="review",
                            ),
                        ),
                        ("error", models.TextField(blank=True, verbose_name="error")),
                        (
                            "endpoint",
                            models.CharField(blank=True, max_length=100, verbose_name="endpoint"),
                        ),
                        (
                            "model",
                            models.CharField(blank=True, max_length=200, verbose_name="LLM model"),
                        ),
                        (
                            "prompt_version",
                            models.CharField(
                                blank=True, max_length=50, verbose_name="prompt version"
                            ),
                        ),
                        (
                            "input_hash",
                            models.CharField(blank=True, max_length=64, verbose_name="input hash"),
                        ),
                        (
                            "prompt_hash",
                            models.CharField(blank=True, max_length=64, verbose_name="prompt hash"),
                        ),
                        ("prompt", models.TextField(blank=True, verbose_name="prompt")),
                        (
                            "tokens_in",
                            models.PositiveIntegerField(default=0, verbose_name="tokens in"),
                        ),
                        (
                            "tokens_out",
                            models.PositiveIntegerField(default=0, verbose_name="tokens out"),
                        ),
                        (
                            "latency_ms",
                            models.PositiveIntegerField(default=0, verbose_name="latency (ms)"),
                        ),
                        (
                            "record_count",
                            models.PositiveIntegerField(default=1, verbose_name="records"),
                        ),
                        ("scope", models.JSONField(blank=True, default=dict, verbose_name="scope")),
                        (
                            "job_id",
                            models.PositiveBigIntegerField(
                                blank=True, db_index=True, null=True, verbose_name="job"
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                db_index=True,
                                default=django.utils.timezone.now,
                                verbose_name="created",
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                        (
                            "content_type",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="contenttypes.contenttype",
                                verbose_name="model",
                            ),
                        ),
                        (
                            "requested_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="requested by",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "AI insight",
                        "verbose_name_plural": "AI insights",
                        "db_table": "toolkit_insight",
                        "ordering": ["-created_at", "-pk"],
                        "permissions": [("run_ai", "Can run AI actions")],
                        "indexes": [
                            models.Index(
                                fields=["content_type", "object_id", "kind", "-created_at"],
                                name="toolkit_insight_record_idx",
                            ),
                            models.Index(
                                fields=["content_type", "input_hash"],
                                name="toolkit_insight_hash_idx",
                            ),
                            models.Index(
                                fields=["severity_rank", "-created_at"],
                                name="toolkit_insight_sev_idx",
                            ),
                            models.Index(
                                fields=["requested_by", "created_at"],
                                name="toolkit_insight_user_idx",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="AIUsage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("day", models.DateField(verbose_name="day")),
                        ("records", models.PositiveIntegerField(default=0, verbose_name="records")),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="user",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "toolkit_aiusage",
                        "verbose_name": "AI usage",
                        "verbose_name_plural": "AI usage",
                    },
                ),
                migrations.CreateModel(
                    name="AIReservation",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "job_id",
                            models.PositiveBigIntegerField(
                                blank=True, null=True, unique=True, verbose_name="job"
                            ),
                        ),
                        ("records", models.PositiveIntegerField(default=0, verbose_name="records")),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="created"
                            ),
                        ),
                        (
                            "usage",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="reservations",
                                to="toolkit_ai.aiusage",
                                verbose_name="usage",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "toolkit_aireservation",
                        "verbose_name": "AI reservation",
                        "verbose_name_plural": "AI reservations",
                    },
                ),
                migrations.AddConstraint(
                    model_name="aiusage",
                    constraint=models.UniqueConstraint(
                        fields=("user", "day"), name="toolkit_aiusage_user_day"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
