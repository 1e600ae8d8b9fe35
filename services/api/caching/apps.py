from django.apps import AppConfig


class CachingConfig(AppConfig):
    name = "caching"
    verbose_name = "Caching (read cache, write-through, write-behind)"

    def ready(self) -> None:
        # The receivers invalidate what admin edits and bulk tools change behind the commands' back.
        from caching import signals

        signals.connect()
