import django_filters

from eventstore.models import Event


class TextInFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    """Comma-separated text values, each validated as text (a NUL byte is refused with 400
    instead of reaching PostgreSQL, which cannot store it)."""


class AuditFilter(django_filters.FilterSet):
    actor = django_filters.NumberFilter(field_name="actor_id")
    type = TextInFilter(field_name="type", help_text="Event types, comma-separated.")
    stream = django_filters.CharFilter(field_name="stream")
    since = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lte")

    class Meta:
        model = Event
        fields = ["actor", "type", "stream", "since", "until"]
