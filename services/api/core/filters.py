"""Filter fields shared by the list endpoints."""

import django_filters
from django import forms


class IdFilter(django_filters.NumberFilter):
    """An object id: a whole number, or a 400 (NumberFilter would truncate `7.9` to 7).

    It filters on the raw column, never validating that the object exists, so an id the user
    cannot see answers exactly like one that does not exist: an empty list."""

    field_class = forms.IntegerField
