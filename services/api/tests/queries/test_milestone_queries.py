"""The milestone queries return only what lives in the user's workspaces."""

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from milestones.queries import milestone_list, visible_projects
from tests.factories import MembershipFactory, MilestoneFactory, ProjectFactory
from workspaces.models import Role

pytestmark = pytest.mark.django_db


def test_milestones_of_every_workspace_of_the_user_and_no_other(team: Any) -> None:
    # given the member also views a second workspace; a third is not theirs
    second = MembershipFactory(user=team.member, role=Role.VIEWER).workspace
    mine = MilestoneFactory(project=team.project, due_date="2027-02-01")
    viewed = MilestoneFactory(project=ProjectFactory(workspace=second), due_date="2027-01-01")
    MilestoneFactory(project=ProjectFactory())

    # when the member's milestones are listed, then both of theirs come, soonest first
    assert list(milestone_list(user=team.member)) == [viewed, mine]
    # and an outsider or an anonymous user sees none
    assert list(milestone_list(user=team.outsider)) == []
    assert list(milestone_list(user=AnonymousUser())) == []


def test_visible_projects_are_those_of_the_users_workspaces(team: Any) -> None:
    ProjectFactory()

    assert list(visible_projects(user=team.viewer)) == [team.project]
    assert list(visible_projects(user=team.outsider)) == []
