from django.db import models

from workspaces.models import Project


class Milestone(models.Model):
    """A dated goal of a project. Stored as a plain row; every change is also an event (audit,
    live updates), as for projects and labels."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(max_length=120)
    due_date = models.DateField()
    description = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The list is read per project, soonest first.
        indexes = [models.Index(fields=["project", "due_date", "id"], name="milestone_project_due")]

    def __str__(self) -> str:
        return self.name
