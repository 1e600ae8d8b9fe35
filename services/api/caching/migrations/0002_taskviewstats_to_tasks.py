"""TaskViewStats now belongs to tasks (tasks 0003 took it over, table and rows): it leaves
caching's state only; nothing happens to the database here."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("caching", "0001_initial"),
        ("tasks", "0003_taskviewstats_from_caching"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="TaskViewStats")],
            database_operations=[],
        ),
    ]
