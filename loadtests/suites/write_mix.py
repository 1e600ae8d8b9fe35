"""The write mix: commands through the API, so the event store, projections, cache invalidation,
outbox and relay all work as they do in production.

Weights: 40 change a task's status or priority, 20 create a task, 15 comment, 15 a conditional
update (GET for the ETag, PATCH with If-Match; 412 is a correct answer under contention), 10
delete a task this user created. Every write carries a unique X-Request-ID.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from locust import FastHttpUser, constant_throughput, task
from suites.common import dataset, env_float, env_int, next_account, pick, token_for

STATUSES = ("todo", "in_progress", "done")
PRIORITIES = ("low", "medium", "high", "urgent")


class WriteUser(FastHttpUser):
    """A team member moving tasks along."""

    wait_time = constant_throughput(env_float("LOADTEST_WRITE_RATE", 0.5))
    weight = 1
    fixed_count = env_int("LOADTEST_WRITERS", 0)

    def on_start(self) -> None:
        self.account = next_account()
        self.projects = dataset().projects_of(self.account)
        self.created: list[int] = []

    def _headers(self, **extra: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token_for(self.host, self.account)}",
            "X-Request-ID": f"lt-{uuid.uuid4().hex}",
            **extra,
        }

    def _task_id(self) -> int:
        return pick(dataset().projects[pick(self.projects)]["tasks"])

    @task(40)
    def change_status(self) -> None:
        change: dict[str, Any] = (
            {"status": pick(STATUSES)} if random.random() < 0.6 else {"priority": pick(PRIORITIES)}  # noqa: S311
        )
        with self.client.patch(
            f"/api/v1/tasks/{self._task_id()}/",
            json=change,
            headers=self._headers(),
            name="write: task patch",
            catch_response=True,
        ) as response:
            if response.status_code == 404:  # deleted by a concurrent run's cleanup: not a failure
                response.success()

    @task(20)
    def create(self) -> None:
        body = {
            "project": pick(self.projects),
            "title": f"Load test task {uuid.uuid4().hex[:8]}",
            "description": "Created under load.",
            "priority": pick(PRIORITIES),
        }
        with self.client.post(
            "/api/v1/tasks/",
            json=body,
            headers=self._headers(),
            name="write: task create",
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                self.created.append(response.json()["id"])

    @task(15)
    def comment(self) -> None:
        self.client.post(
            f"/api/v1/tasks/{self._task_id()}/comments/",
            json={"body": "A comment written under load."},
            headers=self._headers(),
            name="write: comment",
        )

    @task(15)
    def conditional_update(self) -> None:
        task_id = self._task_id()
        response = self.client.get(
            f"/api/v1/tasks/{task_id}/", headers=self._headers(), name="write: task get (etag)"
        )
        etag = response.headers.get("ETag") if response.status_code == 200 else None
        if not etag:
            return
        with self.client.patch(
            f"/api/v1/tasks/{task_id}/",
            json={"title": f"Renamed under load {uuid.uuid4().hex[:6]}"},
            headers=self._headers(**{"If-Match": etag}),
            name="write: task patch if-match",
            catch_response=True,
        ) as answer:
            if answer.status_code == 412:  # someone else wrote first: the contract's answer
                answer.success()

    @task(10)
    def delete_own(self) -> None:
        if not self.created:
            return
        self.client.delete(
            f"/api/v1/tasks/{self.created.pop()}/",
            headers=self._headers(),
            name="write: task delete",
        )
