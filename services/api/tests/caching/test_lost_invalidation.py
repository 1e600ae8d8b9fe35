"""A lost invalidation has a bound: the worker that removed a member lost Redis, remembered the
invalidation in memory only, and died (SIGKILL) before it could deliver it. The other workers
keep serving the removed member's cached principal, but only until it expires:
CACHE_TIMEOUT_PRINCIPAL seconds after it was cached (docs/caching.md, docs/security.md)."""

import subprocess
import sys
import time
from typing import Any

import pytest
from django.conf import settings

from tests.conftest import requires_postgres, requires_redis
from tests.realtime.processes import API_DIR, child_environment

pytestmark = [requires_redis, requires_postgres, pytest.mark.django_db(transaction=True)]

# Short for the test; the default is in config/settings/caching.py.
PRINCIPAL_SECONDS = 6

# The removing worker: it waits for "go", removes the member while every Redis call of its own
# fails (its link to Redis is down; the others' is not), checks that the invalidation is now
# pending in its memory only, and is killed before it can deliver it.
WORKER = """
import os, signal, sys
import django
django.setup()
from caching import generations, store
from django.contrib.auth import get_user_model
from workspaces import commands
from workspaces.models import Membership

def unreachable(operation, command):
    raise store.CacheUnavailable("the link to Redis is down")

store.run = unreachable
generations.store.run = unreachable
print("ready", flush=True)
sys.stdin.readline()
owner = get_user_model().objects.get(pk=int(sys.argv[1]))
commands.member_remove(actor=owner, membership=Membership.objects.get(pk=int(sys.argv[2])))
print("pending" if generations.PENDING_EPOCH.is_set() else "delivered", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_removed_members_reads_end_within_the_principal_lifetime(
    team: Any, settings: Any
) -> None:
    settings.CACHE_TIMEOUTS = {**settings.CACHE_TIMEOUTS, "principal": PRINCIPAL_SECONDS}
    membership = team.workspace.memberships.get(user=team.member)
    worker = subprocess.Popen(  # noqa: S603 - the project's own code
        [sys.executable, "-c", WORKER, str(team.owner.pk), str(membership.pk)],
        cwd=API_DIR,
        env=child_environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None and worker.stdin is not None
        assert worker.stdout.readline().strip() == "ready"

        # Given the member's principal is cached by this worker (a read just now)
        client = team.client("member")
        path = f"/api/v1/projects/{team.project.pk}/"
        assert client.get(path).status_code == 200
        cached_at = time.monotonic()

        # When the other worker removes the member without reaching Redis, and dies
        worker.stdin.write("go\n")
        worker.stdin.flush()
        assert worker.stdout.readline().strip() == "pending"
        assert worker.wait(timeout=30) == -9

        # Then the stale principal is served for a while (the invalidation is lost) ...
        assert client.get(path).status_code == 200
        # ... and refused at the latest when it expires
        status = 200
        deadline = cached_at + PRINCIPAL_SECONDS + 2
        while status == 200 and time.monotonic() < deadline:
            time.sleep(0.2)
            status = client.get(path).status_code
        assert status == 404
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)


def test_the_principal_lifetime_is_the_documented_bound() -> None:
    assert settings.CACHE_TIMEOUTS["principal"] <= 30
