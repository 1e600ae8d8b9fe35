"""TaskViewStats moves from the caching app to tasks, its data kept: the model is created in
tasks' state over the existing table (caching_taskviewstats), which is then renamed to the name
Django gives it here. caching's 0002 drops the model from caching's state only. Reversing
renames the table back and hands the model back to caching."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("caching", "0001_initial"),
        ("tasks", "0002_timestamps_from_events"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="TaskViewStats",
                    fields=[
                        (
                            "task",
                            models.OneToOneField(
                                db_constraint=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                primary_key=True,
                                related_name="view_stats",
                                serialize=False,
                                to="tasks.task",
                            ),
                        ),
                        ("view_count", models.PositiveBigIntegerField(default=0)),
                        ("last_viewed_at", models.DateTimeField(null=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "verbose_name": "task view statistics",
                        "verbose_name_plural": "task view statistics",
                        "db_table": "caching_taskviewstats",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="taskviewstats", table=None),
    ]
