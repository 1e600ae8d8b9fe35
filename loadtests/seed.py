#!/usr/bin/env python
"""Creates the load test's data before the clock starts, and describes it in a dataset file.

    python loadtests/seed.py --mode orm   # the local stack: Django ORM and the domain commands
    python loadtests/seed.py --mode api --target https://host  # anywhere: through the REST API

Both modes make the same data, one plan (loadtests/seed_plan.py), and are idempotent: a second
run creates only what is missing.

- USERS accounts `lt-user-NNNN`, all with one password (LOADTEST_PASSWORD, else a random one kept
  in loadtests/reports/seed-password);
- WORKSPACES workspaces `loadtest-ws-NNN`, each owned by its first member, with three labels and
  PROJECTS projects of TASKS tasks; user i is a member of workspace i mod WORKSPACES, so the users
  of one workspace share cache entries the way colleagues do.

Tasks are created by the commands (`task_create`) in ORM mode and by POST /api/v1/tasks/ in API
mode, so every task has its events, its outbox rows and its projection, exactly as in production.

The dataset file (JSON) lists users, workspaces, projects and task ids. In ORM mode it also holds
an access token per user, minted with the stack's signing key, so that Locust needs no login for
the first minutes; the suites log in again (loadtests/suites/common.py) when tokens age.

API mode needs the target's throttles raised (registration and login fall under the strict rate,
task creation under the write burst rate) and paces credential requests under nginx's 5/s limit.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import stack_env  # noqa: E402
from seed_plan import SeedPlan, WorkspacePlan  # noqa: E402

REPORTS = HERE / "reports"
DEFAULT_DATASET = REPORTS / "dataset.json"


def password() -> str:
    if os.environ.get("LOADTEST_PASSWORD"):
        return os.environ["LOADTEST_PASSWORD"]
    path = REPORTS / "seed-password"
    if not path.is_file():
        REPORTS.mkdir(parents=True, exist_ok=True)
        path.write_text("Lt-" + secrets.token_urlsafe(18) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def say(message: str) -> None:
    print(f"seed: {message}", flush=True)


# --- ORM mode ----------------------------------------------------------------------------------


def seed_orm(args: argparse.Namespace, plan: SeedPlan) -> dict[str, Any]:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import Profile
    from eventstore.models import OutboxMessage
    from tasks.commands import task_create
    from tasks.models import Task, TaskPriority, TaskStatus
    from workspaces.commands import label_create, member_add, project_create, workspace_create
    from workspaces.models import Label, Membership, Project, Role, Workspace

    User = get_user_model()
    started = time.monotonic()
    secret = password()
    hashed = make_password(secret)  # one hash (the costly part) for every account

    names = list(plan.users)
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    missing = [n for n in names if n not in existing]
    if missing:
        User.objects.bulk_create(
            [User(username=n, email=f"{n}@loadtest.invalid", password=hashed) for n in missing]
        )
        say(f"created {len(missing)} users")
    User.objects.filter(username__in=names).update(password=hashed)
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    without_profile = [u for u in users.values() if not Profile.objects.filter(user=u).exists()]
    Profile.objects.bulk_create([Profile(user=u) for u in without_profile])

    workspaces_out, projects_out = [], []
    created_tasks = 0
    for w, planned in enumerate(plan.workspaces):
        owner = users[planned.owner]
        with transaction.atomic():
            workspace = Workspace.objects.filter(name=planned.name).order_by("id").first()
            if workspace is None:
                workspace = workspace_create(actor=owner, name=planned.name)
            present = set(
                Membership.objects.filter(workspace=workspace).values_list("user_id", flat=True)
            )
            for name in planned.members:
                if users[name].pk not in present:
                    member_add(actor=owner, workspace=workspace, user=users[name], role=Role.MEMBER)
            labels = list(Label.objects.filter(workspace=workspace).order_by("id"))
            for label_name, color in planned.labels[len(labels) :]:
                labels.append(
                    label_create(actor=owner, workspace=workspace, name=label_name, color=color)
                )
        label_named = {label.name: label for label in labels}
        project_ids = []
        for project_plan in planned.projects:
            with transaction.atomic():
                project = (
                    Project.objects.filter(workspace=workspace, name=project_plan.name)
                    .order_by("id")
                    .first()
                )
                if project is None:
                    project = project_create(
                        actor=owner, workspace=workspace, name=project_plan.name
                    )
                have = Task.objects.filter(project=project).count()
                for task in project_plan.tasks[have:]:
                    task_create(
                        actor=users[task.author],
                        project=project,
                        title=task.title,
                        description=task.description,
                        status=TaskStatus(task.status),
                        priority=TaskPriority[task.priority.upper()],
                        assignee=users[task.assignee],
                        labels=[label_named[task.label]],
                    )
                    created_tasks += 1
            project_ids.append(project.pk)
            tasks = list(
                Task.objects.filter(project=project).order_by("id").values_list("id", flat=True)
            )
            projects_out.append({"id": project.pk, "workspace": workspace.pk, "tasks": tasks})
        workspaces_out.append(
            {
                "id": workspace.pk,
                "owner": owner.pk,
                "projects": project_ids,
                "labels": [label.pk for label in labels],
            }
        )
        if created_tasks and w % 5 == 4:
            say(f"{w + 1}/{args.workspaces} workspaces, {created_tasks} tasks created so far")
    if created_tasks:
        say(f"created {created_tasks} tasks")

    minted_at = time.time()
    memberships: dict[int, list[int]] = {}
    for user_id, workspace_id in Membership.objects.filter(
        user__in=users.values(), workspace_id__in=[w["id"] for w in workspaces_out]
    ).values_list("user_id", "workspace_id"):
        memberships.setdefault(user_id, []).append(workspace_id)
    users_out = [
        {
            "id": users[name].pk,
            "username": name,
            "workspaces": sorted(memberships.get(users[name].pk, [])),
            "access": str(AccessToken.for_user(users[name])),
        }
        for name in names
    ]

    # The relay publishes every seeded event; measuring starts only once it has caught up.
    deadline = time.monotonic() + args.settle_timeout
    backlog = OutboxMessage.objects.filter(published_at__isnull=True).count()
    while backlog and time.monotonic() < deadline:
        time.sleep(1)
        backlog = OutboxMessage.objects.filter(published_at__isnull=True).count()
    if backlog:
        say(f"warning: {backlog} outbox rows still unpublished (is the relay running?)")
    say(f"ready in {time.monotonic() - started:.1f} s")
    return {
        "mode": "orm",
        "password": secret,
        "minted_at": minted_at,
        "users": users_out,
        "workspaces": workspaces_out,
        "projects": projects_out,
    }


# --- API mode ----------------------------------------------------------------------------------


class Api:
    """A small REST client that paces credential requests and retries on 429."""

    def __init__(self, target: str, verify: str | bool) -> None:
        import requests

        self.target = target.rstrip("/")
        self.session = requests.Session()
        self.verify = verify
        self.last_credential = 0.0

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        credential = path.startswith("/api/v1/auth/") and not path.endswith("/me/")
        for _ in range(20):
            if credential:  # nginx allows 5/s per address on the credential endpoints
                wait = self.last_credential + 0.25 - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                self.last_credential = time.monotonic()
            # verify per request: REQUESTS_CA_BUNDLE would override a session's own.
            response = self.session.request(
                method,
                self.target + path,
                headers=headers,
                timeout=30,
                verify=self.verify,
                **kwargs,
            )
            if response.status_code != 429:
                return response
            time.sleep(min(float(response.headers.get("Retry-After") or 1), 10))
        raise SystemExit(f"seed: {method} {path} still throttled after 20 tries: raise the rates")


def seed_api(args: argparse.Namespace, plan: SeedPlan) -> dict[str, Any]:
    # --insecure wins over the default CA: that CA (the native stack's) may exist beside a target
    # that another certificate serves, such as the Compose stack's self-signed one.
    if args.insecure:
        verify: str | bool = False
    else:
        verify = args.ca if args.ca and Path(args.ca).is_file() else True
    api = Api(args.target, verify)
    secret = password()
    started = time.monotonic()
    names = list(plan.users)
    tokens: dict[str, str] = {}
    ids: dict[str, int] = {}
    for n, name in enumerate(names):
        api.call(
            "POST",
            "/api/v1/auth/register/",
            json={"username": name, "email": f"{name}@loadtest.invalid", "password": secret},
        )
        response = api.call(
            "POST", "/api/v1/auth/token/", json={"username": name, "password": secret}
        )
        if response.status_code != 200:
            raise SystemExit(
                f"seed: cannot log in as {name}: {response.status_code} {response.text}"
            )
        tokens[name] = response.json()["access"]
        ids[name] = api.call("GET", "/api/v1/auth/me/", tokens[name]).json()["id"]
        if n % 50 == 49:
            say(f"{n + 1}/{len(names)} users ready")

    def paged(path: str, token: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        url: str | None = path + ("&" if "?" in path else "?") + "page_size=100"
        while url:
            body = api.call("GET", url, token).json()
            out += body["results"]
            url = body.get("next")
            if url:
                url = url[url.index("/api/") :]
        return out

    def ensure_workspace(planned: WorkspacePlan) -> dict[str, Any]:
        owner = tokens[planned.owner]
        found = [x for x in paged("/api/v1/workspaces/", owner) if x["name"] == planned.name]
        if found:
            workspace_id = found[0]["id"]
        else:
            workspace_id = api.call(
                "POST", "/api/v1/workspaces/", owner, json={"name": planned.name}
            ).json()["id"]
        present = {m["user"] for m in paged(f"/api/v1/workspaces/{workspace_id}/members/", owner)}
        for name in planned.members[1:]:
            if ids[name] not in present:
                added = api.call(
                    "POST",
                    f"/api/v1/workspaces/{workspace_id}/members/",
                    owner,
                    json={"user": ids[name], "role": "member"},
                )
                # 202: they share no workspace with the owner yet, so the addition is an
                # invitation, which they accept with their own token.
                if added.status_code == 202:
                    invitation = added.json()["id"]
                    api.call("POST", f"/api/v1/invitations/{invitation}/accept/", tokens[name])
        labels = paged(f"/api/v1/labels/?workspace={workspace_id}", owner)
        for label_name, color in planned.labels[len(labels) :]:
            labels.append(
                api.call(
                    "POST",
                    "/api/v1/labels/",
                    owner,
                    json={"workspace": workspace_id, "name": label_name, "color": color},
                ).json()
            )
        label_named = {label["name"]: label for label in labels}
        projects = {
            p["name"]: p for p in paged(f"/api/v1/projects/?workspace={workspace_id}", owner)
        }
        project_out = []
        for project_plan in planned.projects:
            project = (
                projects.get(project_plan.name)
                or api.call(
                    "POST",
                    "/api/v1/projects/",
                    owner,
                    json={"workspace": workspace_id, "name": project_plan.name},
                ).json()
            )
            have = paged(f"/api/v1/tasks/?project={project['id']}", owner)
            for task in project_plan.tasks[len(have) :]:
                api.call(
                    "POST",
                    "/api/v1/tasks/",
                    tokens[task.author],
                    json={
                        "project": project["id"],
                        "title": task.title,
                        "description": task.description,
                        "status": task.status,
                        "priority": task.priority,
                        "assignee": ids[task.assignee],
                        "labels": [label_named[task.label]["id"]],
                    },
                )
            tasks = sorted(t["id"] for t in paged(f"/api/v1/tasks/?project={project['id']}", owner))
            project_out.append({"id": project["id"], "workspace": workspace_id, "tasks": tasks})
        return {
            "id": workspace_id,
            "owner": ids[planned.owner],
            "projects": [p["id"] for p in project_out],
            "labels": [label["id"] for label in labels],
            "_projects": project_out,
        }

    with ThreadPoolExecutor(max_workers=4) as pool:
        workspaces = list(pool.map(ensure_workspace, plan.workspaces))
    projects = [p for w in workspaces for p in w.pop("_projects")]
    users_out = [
        {"id": ids[name], "username": name, "workspaces": [workspaces[plan.workspace_of(i)]["id"]]}
        for i, name in enumerate(names)
    ]
    say(f"ready in {time.monotonic() - started:.1f} s")
    return {
        "mode": "api",
        "password": secret,
        "minted_at": None,
        "users": users_out,
        "workspaces": workspaces,
        "projects": projects,
    }


# --- entry point ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("orm", "api"), default="orm")
    parser.add_argument("--target", default="https://127.0.0.1:8443")
    parser.add_argument("--ca", default=str(stack_env.STACK_DIR / "certs" / "ca.crt"))
    parser.add_argument("--insecure", action="store_true", help="API mode: skip TLS verification")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--workspaces", type=int, default=20)
    parser.add_argument("--projects", type=int, default=5, help="projects per workspace")
    parser.add_argument("--tasks", type=int, default=40, help="tasks per project")
    parser.add_argument("--settle-timeout", type=float, default=180)
    parser.add_argument("--out", default=str(DEFAULT_DATASET))
    args = parser.parse_args()
    if args.users < args.workspaces:
        parser.error("--users must be at least --workspaces (every workspace needs an owner)")

    if args.mode == "orm" and os.environ.get("LOADTEST_SEED_CHILD") != "1":
        # Django runs with exactly the stack's settings (its secret key signs the tokens).
        env = stack_env.app_env(LOADTEST_SEED_CHILD="1")
        if os.environ.get("LOADTEST_PASSWORD"):
            env["LOADTEST_PASSWORD"] = os.environ["LOADTEST_PASSWORD"]
        return subprocess.run(
            [sys.executable, __file__, *sys.argv[1:]], env=env, cwd=stack_env.API_DIR, check=False
        ).returncode

    plan = SeedPlan.of_shape(args.users, args.workspaces, args.projects, args.tasks)
    dataset = seed_orm(args, plan) if args.mode == "orm" else seed_api(args, plan)
    dataset["target"] = args.target
    dataset["shape"] = {
        "users": args.users,
        "workspaces": args.workspaces,
        "projects_per_workspace": args.projects,
        "tasks_per_project": args.tasks,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(dataset))
    tmp.chmod(0o600)
    tmp.replace(out)
    total_tasks = sum(len(p["tasks"]) for p in dataset["projects"])
    say(
        f"{len(dataset['users'])} users, {len(dataset['workspaces'])} workspaces, "
        f"{len(dataset['projects'])} projects, {total_tasks} tasks -> {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
