"""Insights say who raised their flags and how much of their text the values sent bear out.

``flag_origin`` (rules or statistics, the model, both) is filled in for the insights
stored before, and their severity recomputed from the rule and statistics flags alone:
a model's flag is a suggestion, shown apart, and weighs nothing in the severity.
``grounded`` stays "not checked" for them: what was sent is not kept to check against.
"""

from django.db import migrations, models

SEVERITY_RANK = {"": 0, "info": 1, "warning": 2, "critical": 3}
BATCH = 1000


def fill_flag_origin(apps, schema_editor):
    Insight = apps.get_model("toolkit_ai", "Insight")
    using = schema_editor.connection.alias
    changed = []
    for insight in Insight.objects.using(using).only("pk", "flags").iterator(chunk_size=BATCH):
        flags = [f for f in insight.flags or [] if isinstance(f, dict)]
        if not flags:
            continue
        model = {f.get("source") == "model" for f in flags}
        insight.flag_origin = {
            frozenset({True}): "model",
            frozenset({False}): "facts",
        }.get(frozenset(model), "both")
        best = ""
        for flag in flags:
            severity = flag.get("severity", "")
            if (
                flag.get("source") != "model"
                and SEVERITY_RANK.get(severity, 0) > SEVERITY_RANK[best]
            ):
                best = severity
        insight.max_severity, insight.severity_rank = best, SEVERITY_RANK[best]
        changed.append(insight)
        if len(changed) >= BATCH:
            Insight.objects.using(using).bulk_update(
                changed, ["flag_origin", "max_severity", "severity_rank"]
            )
            changed = []
    if changed:
        Insight.objects.using(using).bulk_update(
            changed, ["flag_origin", "max_severity", "severity_rank"]
        )


class Migration(migrations.Migration):
    dependencies = [("toolkit_ai", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="insight",
            name="flag_origin",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "no flags"),
                    ("facts", "rules or statistics"),
                    ("model", "model suggestions"),
                    ("both", "both"),
                ],
                default="",
                max_length=8,
                verbose_name="flags from",
            ),
        ),
        migrations.AddField(
            model_name="insight",
            name="grounded",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "not checked"),
                    ("verified", "verified"),
                    ("partly", "partly unverified"),
                    ("unverified", "unverified"),
                ],
                default="",
                max_length=12,
                verbose_name="grounding",
            ),
        ),
        migrations.RunPython(fill_flag_origin, migrations.RunPython.noop, elidable=True),
    ]
