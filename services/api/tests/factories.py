"""factory_boy factories for the domain. Related objects are created through the same models
the commands write, so a factory-built world is one the API could have built."""

import datetime
from typing import Any

import factory
from django.contrib.auth import get_user_model

from accounts.models import Profile
from eventstore.ids import allocate_id
from eventstore.store import NewEvent, append, stream_version
from milestones.models import Milestone
from tasks.events import (
    TASK_COMMENTED,
    TASK_CREATED,
    TASK_DESCRIBED,
    created_data,
    project_group,
    task_stream,
)
from tasks.models import Comment, Task, TaskPriority, TaskStatus
from tasks.projection import project as project_event
from workspaces.models import Label, Membership, Project, Role, Workspace

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def with_profile(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()
            Profile.objects.get_or_create(user=self)


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Project {n}")


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"label-{n}")


class MilestoneFactory(factory.django.DjangoModelFactory):
    """A plain row, as the admin would save it: no event (milestone_create records one)."""

    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Milestone {n}")
    due_date = factory.Sequence(lambda n: datetime.date(2027, 1, 1) + datetime.timedelta(days=n))


class TaskFactory(factory.django.DjangoModelFactory):
    """Tasks exist only as event streams plus their projection, so the factory appends the
    events a command would (without the role checks, so tests can set up any world)."""

    class Meta:
        model = Task

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Task {n}")
    description = ""
    status = TaskStatus.TODO
    priority = TaskPriority.MEDIUM
    assignee = None
    due_date = None
    created_by = None
    labels: list[Label] = []
    version = 1

    @classmethod
    def _create(cls, model_class: type[Task], *args: Any, **kwargs: Any) -> Task:
        project = kwargs["project"]
        data = created_data(
            id=allocate_id(Task),
            project_id=project.pk,
            workspace_id=project.workspace_id,
            title=kwargs["title"],
            description=kwargs["description"],
            status=kwargs["status"],
            priority=kwargs["priority"],
            assignee_id=kwargs["assignee"].pk if kwargs["assignee"] else None,
            label_ids=[label.pk for label in kwargs["labels"]],
            due_date=kwargs["due_date"],
            created_by_id=kwargs["created_by"].pk if kwargs["created_by"] else None,
        )
        # Extra no-op events bring the stream to the version the test asks for.
        padding = [NewEvent(TASK_DESCRIBED, {"description": data["description"]})] * (
            kwargs["version"] - 1
        )
        _append_and_project(data["id"], project, [NewEvent(TASK_CREATED, data), *padding])
        return Task.objects.get(pk=data["id"])


def _append_and_project(task_id: int, project: Project, new: list[NewEvent]) -> None:
    records = append(
        stream=task_stream(task_id),
        expected_version=stream_version(task_stream(task_id)),
        events=new,
        workspace_id=project.workspace_id,
        actor_id=None,
        group=project_group(project.pk),
    )
    for record in records:
        project_event(record)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    task = factory.SubFactory(TaskFactory)
    author = factory.SubFactory(UserFactory)
    body = "A comment."

    @classmethod
    def _create(cls, model_class: type[Comment], *args: Any, **kwargs: Any) -> Comment:
        task = kwargs["task"]
        data = {
            "comment_id": allocate_id(Comment),
            "author_id": kwargs["author"].pk,
            "body": kwargs["body"],
        }
        _append_and_project(task.pk, task.project, [NewEvent(TASK_COMMENTED, data)])
        return Comment.objects.get(pk=data["comment_id"])
