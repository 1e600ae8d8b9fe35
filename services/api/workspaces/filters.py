import django_filters

from workspaces.models import Label, Project


class ProjectFilter(django_filters.FilterSet):
    class Meta:
        model = Project
        fields = ["workspace"]


class LabelFilter(django_filters.FilterSet):
    class Meta:
        model = Label
        fields = ["workspace"]
