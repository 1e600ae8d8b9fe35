from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Tasks and comments"

    def ready(self) -> None:
        from eventstore.archive import register_snapshotter
        from tasks import reactions  # noqa: F401 - registers what tasks do on others' events
        from tasks.aggregate import snapshot_stream

        register_snapshotter("task-", snapshot_stream)
