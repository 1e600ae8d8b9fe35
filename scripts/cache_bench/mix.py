"""The request mix the clients replay, and the client threads replaying it."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

READS = {
    "task_detail": 35,
    "task_list": 30,
    "project_list": 8,
    "project_detail": 7,
    "workspace_list": 5,
    "workspace_detail": 5,
}
WRITES = {"task_update": 8, "task_create": 2}
# A project's task list is mostly read as the board shows it; filtered, sorted, smaller and
# cursor pages are the other views.
LIST_VARIANTS = ["", "&status=todo", "&ordering=-priority", "&page_size=5", "&pagination=cursor"]
LIST_VARIANT_WEIGHTS = [60, 10, 10, 10, 10]


@dataclass
class Sample:
    operation: str
    status: int
    seconds: float


class Client(threading.Thread):
    """One user on one keep-alive connection, replaying the mix until told to stop."""

    def __init__(self, port: int, user: dict[str, Any], seed: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.user = user
        self.rng = random.Random(seed)  # noqa: S311 - a reproducible load, not a secret  # nosec B311
        self.stop = stop
        self.samples: list[Sample] = []
        self.recording = False
        mix = dict(READS)
        if user["writes"]:
            mix.update(WRITES)
        else:  # viewers read: their share of writes becomes task detail reads
            mix["task_detail"] += sum(WRITES.values())
        self.operations = list(mix)
        self.weights = list(mix.values())
        tasks = user["tasks"]
        self.hot = tasks[: max(1, len(tasks) // 5)]

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.user['token']}"}
        while not self.stop.is_set():
            operation = self.rng.choices(self.operations, self.weights)[0]
            method, path, body = self.request(operation)
            started = time.perf_counter()
            try:
                request_headers = dict(headers)
                if body is not None:
                    request_headers["Content-Type"] = "application/json"
                connection.request(method, path, body=body, headers=request_headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                status = 0
            if self.recording:
                self.samples.append(Sample(operation, status, time.perf_counter() - started))
        connection.close()

    def request(self, operation: str) -> tuple[str, str, str | None]:
        rng, user = self.rng, self.user
        if operation == "task_detail":
            pool = self.hot if rng.random() < 0.8 else user["tasks"]
            return "GET", f"/api/v1/tasks/{rng.choice(pool)[0]}/", None
        if operation == "task_list":
            project = rng.choice(user["projects"])
            suffix = rng.choices(LIST_VARIANTS, LIST_VARIANT_WEIGHTS)[0]
            return "GET", f"/api/v1/tasks/?project={project}{suffix}", None
        if operation == "project_list":
            return "GET", f"/api/v1/projects/?workspace={user['workspace']}", None
        if operation == "project_detail":
            return "GET", f"/api/v1/projects/{rng.choice(user['projects'])}/", None
        if operation == "workspace_list":
            return "GET", "/api/v1/workspaces/", None
        if operation == "workspace_detail":
            return "GET", f"/api/v1/workspaces/{user['workspace']}/", None
        if operation == "task_update":
            task_id = rng.choice(user["tasks"])[0]
            change = rng.choice(
                [
                    {"status": rng.choice(["todo", "in_progress", "done"])},
                    {"priority": rng.choice(["low", "medium", "high", "urgent"])},
                ]
            )
            return "PATCH", f"/api/v1/tasks/{task_id}/", json.dumps(change)
        project = rng.choice(user["projects"])
        payload = {"project": project, "title": f"Created under load {rng.random():.6f}"}
        return "POST", "/api/v1/tasks/", json.dumps(payload)
