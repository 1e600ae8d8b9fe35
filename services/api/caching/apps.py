from django.apps import AppConfig


class CachingConfig(AppConfig):
    """The toolkit of the read cache; it knows no model. Each domain app connects its own
    invalidation receivers and registers what it needs (write-behind buffer, token checks)."""

    name = "caching"
    verbose_name = "Caching (read cache, write-through, write-behind)"
