from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Tasks and comments"

    def ready(self) -> None:
        from eventstore.archive import register_snapshotter
        from tasks import reactions, receivers, view_counts  # noqa: F401 - registrations
        from tasks.aggregate import snapshot_stream

        register_snapshotter("task-", snapshot_stream)
        # Invalidates the tasks' cached reads when something bypasses the commands.
        receivers.connect()
        # Task views reach TaskViewStats through the write-behind buffer.
        view_counts.register()
