"""The AI models moved to the app ``toolkit.ai`` (label ``toolkit_ai``).

This app forgets them in its migration *state* only: their tables, rows and ids stay,
and ``toolkit_ai``'s first migration takes them over under the same table names (it
also moves their content types, so granted permissions follow). Nothing is dropped,
even on a site that has not installed ``toolkit.ai`` yet.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("toolkit", "0002_ai_usage"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AIReservation"),
                migrations.DeleteModel(name="AIUsage"),
                migrations.DeleteModel(name="Insight"),
            ],
            database_operations=[],
        ),
    ]
