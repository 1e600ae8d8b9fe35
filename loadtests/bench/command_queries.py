"""The SQL statements of one task PATCH and one comment POST, counted in-process with Django's
test client and CaptureQueriesContext against the stack's database (run by bench.py with the
stack's environment). Prints one JSON line: {"PATCH": {...}, "POST": {...}}; with --list, each
command's statements too, on stderr.

Today a PATCH is 7 statements (5 without BEGIN/COMMIT) and a comment POST 8 (6):
services/api/tests/commands/test_task_command_statements.py pins both and says what each is."""

from __future__ import annotations

import json
import sys
import time

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from tasks.models import Task  # noqa: E402
from workspaces.models import Membership, Role  # noqa: E402

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")


def main() -> None:
    task_path = sys.argv[1]
    listing = "--list" in sys.argv[2:]
    task = Task.objects.get(pk=int(task_path.rstrip("/").rsplit("/", 1)[1]))
    # A writer of the task's workspace (its creator, else its first member or above).
    writer_id = task.created_by_id or (
        Membership.objects.filter(workspace_id=task.workspace_id)
        .exclude(role=Role.VIEWER)
        .values_list("user_id", flat=True)
        .first()
    )
    user = get_user_model().objects.get(pk=writer_id)
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}",
        SERVER_NAME="127.0.0.1",
        HTTP_X_FORWARDED_FOR="127.0.0.1",
    )
    stamp = time.time_ns()
    requests = {
        "PATCH": lambda i: client.patch(
            task_path, {"title": f"Counted {stamp}-{i}"}, content_type="application/json"
        ),
        "POST": lambda i: client.post(
            f"{task_path}comments/",
            {"body": f"Counted {stamp}-{i}"},
            content_type="application/json",
        ),
    }
    counts = {}
    for method, send in requests.items():
        send(0)  # warm: the principal and the entries are cached as they are under load
        with CaptureQueriesContext(connection) as queries:
            response = send(1)
        assert response.status_code in (200, 201), response.content[:300]  # noqa: S101
        statements = [q["sql"] for q in queries.captured_queries]
        if listing:
            print(method, file=sys.stderr)
            for sql in statements:
                print(f"  {sql[:160]}", file=sys.stderr)
        counts[method] = {
            "statements": len(statements),
            "queries": sum(1 for sql in statements if not sql.startswith(TRANSACTION_CONTROL)),
        }
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
