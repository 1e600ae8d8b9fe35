"""The project and workspace details' answers to a cache hit before DRF's dispatch
(caching/fast_path.py): the stored bytes, once this module has checked what the ordinary path
(workspaces/reads.py) would, from the principal the round trip read. Anything it cannot vouch
for is None: the ordinary path answers it (its 404, its refill)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from caching.aside import count_hit
from caching.fast_path import PlainRequest, principal_sees
from caching.stored import StoredResponse
from workspaces import representations
from workspaces.cache_keys import PRINCIPAL_ROLE_MAP_FIELD


def project_detail_hit(request: PlainRequest, stored: StoredResponse) -> HttpResponse | None:
    """The stored project when the reader's principal lists its workspace. No query: the entry
    was read under the project's current generation, the principal under the user's, which every
    membership change moves."""
    if not principal_sees(request, stored):
        return None
    count_hit("project_detail")
    return stored.response()


def workspace_detail_hit(
    request: PlainRequest, stored: StoredResponse, workspace_id: Any
) -> HttpResponse | None:
    """The stored workspace with the reader's role, taken from the principal, when the reader
    has one there."""
    roles = request.principal.get(PRINCIPAL_ROLE_MAP_FIELD)
    role = roles.get(str(workspace_id)) if isinstance(roles, dict) else None
    answered = representations.with_role(stored, role) if isinstance(role, str) else None
    if answered is None:
        return None
    count_hit("workspace_detail")
    return answered.response()
