import django_filters

from core.filters import IdFilter
from workspaces.models import Label, Project


class ProjectFilter(django_filters.FilterSet):
    workspace = IdFilter(field_name="workspace_id")

    class Meta:
        model = Project
        fields = ["workspace"]


class LabelFilter(django_filters.FilterSet):
    workspace = IdFilter(field_name="workspace_id")

    class Meta:
        model = Label
        fields = ["workspace"]
