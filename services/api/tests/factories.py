"""factory_boy factories for the domain. Related objects are created through the same models
the commands write, so a factory-built world is one the API could have built."""

import factory
from django.contrib.auth import get_user_model

from accounts.models import Profile
from tasks.models import Comment, Task
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


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    workspace = factory.LazyAttribute(lambda t: t.project.workspace)
    title = factory.Sequence(lambda n: f"Task {n}")

    @factory.post_generation
    def labels(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create and extracted:
            self.labels.set(extracted)  # type: ignore[attr-defined]


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    task = factory.SubFactory(TaskFactory)
    author = factory.SubFactory(UserFactory)
    body = "A comment."
