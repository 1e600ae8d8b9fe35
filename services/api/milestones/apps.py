from django.apps import AppConfig


class MilestonesConfig(AppConfig):
    name = "milestones"
    verbose_name = "Milestones of projects"

    def ready(self) -> None:
        # The event types, so reading the log never meets an unknown one; the receivers, so that
        # changes made outside the commands (admin, cascades, bulk tools) invalidate the cache.
        from milestones import events, receivers  # noqa: F401

        receivers.connect()
