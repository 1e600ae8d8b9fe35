import django_filters

from core.filters import IdFilter
from milestones.models import Milestone


class MilestoneFilter(django_filters.FilterSet):
    # Required: milestones are read per project (and cached per project, reads.py).
    project = IdFilter(field_name="project_id", required=True)

    class Meta:
        model = Milestone
        fields = ["project"]
