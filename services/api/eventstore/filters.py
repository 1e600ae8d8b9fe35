import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from core.instants import as_utc
from eventstore import registry
from eventstore.models import Event


class ChoiceInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """Comma-separated values, each one of the choices (the schema lists them)."""


def _event_type_choices() -> list[tuple[str, str]]:
    # A callable: each app registers its event types when its events module is imported.
    return [(name, name) for name in sorted(registry.registered_types())]


class UtcIsoDateTimeField(IsoDateTimeField):
    def clean(self, value: object) -> object:
        instant = super().clean(value)
        if instant is None:
            return None
        try:
            return as_utc(instant)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO-8601 instant, compared in UTC (core/instants.py says why)."""

    field_class = UtcIsoDateTimeField


class AuditFilter(django_filters.FilterSet):
    actor = django_filters.NumberFilter(field_name="actor_id")
    type = ChoiceInFilter(
        field_name="type", choices=_event_type_choices, help_text="Event types, comma-separated."
    )
    stream = django_filters.CharFilter(field_name="stream")
    since = UtcIsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = UtcIsoDateTimeFilter(field_name="occurred_at", lookup_expr="lte")

    class Meta:
        model = Event
        fields = ["actor", "type", "stream", "since", "until"]
