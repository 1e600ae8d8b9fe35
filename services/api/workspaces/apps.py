from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "workspaces"
    verbose_name = "Workspaces, members, projects and labels"

    def ready(self) -> None:
        # Registers this app's event types, so reading the log never meets an unknown one.
        from workspaces import (
            events,  # noqa: F401
            receivers,
        )

        # Invalidates the cached reads of workspaces and projects when something bypasses the
        # commands.
        receivers.connect()
