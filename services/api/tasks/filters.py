import django_filters
from django.db.models import Q, QuerySet

from core.filters import IdFilter
from tasks.models import Task, TaskPriority, TaskStatus


class TaskFilter(django_filters.FilterSet):
    project = IdFilter(field_name="project_id")
    workspace = IdFilter(field_name="workspace_id")
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)
    priority = django_filters.ChoiceFilter(
        choices=[(p.label, p.label) for p in TaskPriority], method="filter_priority"
    )
    assignee = IdFilter(field_name="assignee_id")
    label = IdFilter(field_name="labels__id")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    search = django_filters.CharFilter(method="filter_search", max_length=200)

    class Meta:
        model = Task
        fields = [
            "project",
            "workspace",
            "status",
            "priority",
            "assignee",
            "label",
            "due_before",
            "due_after",
            "search",
        ]

    def filter_priority(self, queryset: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        rank = next(p.value for p in TaskPriority if p.label == value)
        return queryset.filter(priority=rank)

    def filter_search(self, queryset: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))
