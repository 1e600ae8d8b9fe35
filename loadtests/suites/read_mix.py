"""The read-heavy mix: what a team's browsers ask all day, through nginx, with a JWT each.

Weights (of every 100 requests): 40 a project's first task page, 10 its second page, 10 a
workspace's open tasks, 20 one task (four in five of them among the project's ten newest), 10 a
workspace's projects, 5 the user's workspaces, 5 the user's profile. The cached endpoints are
the task, project and workspace reads; `me/` is not.
"""

from __future__ import annotations

import random
from typing import Any

from locust import FastHttpUser, constant, constant_throughput, task
from suites.common import dataset, env_float, next_account, pick, token_for


def _wait() -> Any:
    rate = env_float("LOADTEST_READ_RATE", 0.0)
    return constant_throughput(rate) if rate > 0 else constant(0)


class ReadUser(FastHttpUser):
    """One person browsing their workspace's boards."""

    wait_time = _wait()
    weight = 10

    def on_start(self) -> None:
        self.account = next_account()
        self.projects = dataset().projects_of(self.account)

    def _get(self, path: str, name: str) -> None:
        token = token_for(self.host, self.account)
        self.client.get(path, headers={"Authorization": f"Bearer {token}"}, name=name)

    @task(40)
    def project_tasks(self) -> None:
        self._get(f"/api/v1/tasks/?project={pick(self.projects)}", "read: tasks?project")

    @task(10)
    def project_tasks_page_2(self) -> None:
        self._get(
            f"/api/v1/tasks/?project={pick(self.projects)}&page=2", "read: tasks?project&page"
        )

    @task(10)
    def workspace_open_tasks(self) -> None:
        workspace = pick(self.account.workspaces)
        self._get(
            f"/api/v1/tasks/?workspace={workspace}&status=todo", "read: tasks?workspace&status"
        )

    @task(20)
    def one_task(self) -> None:
        tasks = dataset().projects[pick(self.projects)]["tasks"]
        # People open the tasks at the top of the board far more often than the rest: four in
        # five views go to a project's ten newest tasks.
        if random.random() < 0.8:  # noqa: S311 - load generation, not security
            tasks = tasks[-10:]
        self._get(f"/api/v1/tasks/{pick(tasks)}/", "read: task")

    @task(10)
    def workspace_projects(self) -> None:
        self._get(f"/api/v1/projects/?workspace={pick(self.account.workspaces)}", "read: projects")

    @task(5)
    def my_workspaces(self) -> None:
        self._get("/api/v1/workspaces/", "read: workspaces")

    @task(5)
    def me(self) -> None:
        self._get("/api/v1/auth/me/", "read: me")
