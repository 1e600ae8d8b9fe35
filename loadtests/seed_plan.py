"""What the load test's data is, once: users, workspaces with their members, labels and projects,
and every task's fields. loadtests/seed.py writes this plan through the ORM and the domain
commands (--mode orm) or through the REST API (--mode api); both read it from here, so that the
two modes make the same data.

- USERS accounts `lt-user-NNNN`;
- WORKSPACES workspaces `loadtest-ws-NNN`, each owned by its first member, with three labels and
  PROJECTS projects of TASKS tasks; user i is a member of workspace i mod WORKSPACES, so the users
  of one workspace share cache entries the way colleagues do.
"""

from __future__ import annotations

from dataclasses import dataclass

USERNAME = "lt-user-{:04d}"
WORKSPACE = "loadtest-ws-{:03d}"
PROJECT = "loadtest-p-{:03d}-{:02d}"
LABELS = (("bug", "#dc2626"), ("feature", "#2563eb"), ("chore", "#6b7280"))
STATUSES = ("todo", "in_progress", "done")
PRIORITIES = ("low", "medium", "high", "urgent")


@dataclass(frozen=True)
class TaskPlan:
    """The n-th task of a project (0-based): a seeder creates the ones past those it finds."""

    title: str
    description: str
    status: str  # one of STATUSES
    priority: str  # one of PRIORITIES
    author: str  # usernames
    assignee: str
    label: str  # a name of LABELS


@dataclass(frozen=True)
class ProjectPlan:
    name: str
    tasks: tuple[TaskPlan, ...]


@dataclass(frozen=True)
class WorkspacePlan:
    name: str
    members: tuple[str, ...]  # the owner first
    labels: tuple[tuple[str, str], ...]  # (name, colour)
    projects: tuple[ProjectPlan, ...]

    @property
    def owner(self) -> str:
        return self.members[0]


@dataclass(frozen=True)
class SeedPlan:
    users: tuple[str, ...]
    workspaces: tuple[WorkspacePlan, ...]

    @classmethod
    def of_shape(cls, users: int, workspaces: int, projects: int, tasks: int) -> SeedPlan:
        names = tuple(USERNAME.format(i) for i in range(users))
        planned = []
        for w in range(workspaces):
            members = names[w::workspaces]
            if members:  # every workspace needs an owner
                planned.append(
                    WorkspacePlan(
                        name=WORKSPACE.format(w),
                        members=members,
                        labels=LABELS,
                        projects=tuple(_project(w, p, members, tasks) for p in range(projects)),
                    )
                )
        return cls(users=names, workspaces=tuple(planned))

    def workspace_of(self, user_index: int) -> int:
        """The index of the (one) workspace the user-th account is a member of."""
        return user_index % len(self.workspaces)


def _project(w: int, p: int, members: tuple[str, ...], tasks: int) -> ProjectPlan:
    name = PROJECT.format(w, p)
    return ProjectPlan(
        name=name,
        tasks=tuple(
            TaskPlan(
                title=f"Task {n + 1} of {name}",
                description=f"Seeded task {n + 1}: " + "lorem ipsum dolor sit amet " * 4,
                status=STATUSES[n % len(STATUSES)],
                priority=PRIORITIES[(n + p) % len(PRIORITIES)],
                author=members[n % len(members)],
                assignee=members[(n + 1) % len(members)],
                label=LABELS[n % len(LABELS)][0],
            )
            for n in range(tasks)
        ),
    )
