"""Schema-driven fuzzing of every operation of the OpenAPI schema, in process (WSGI), on the
test database: anonymous and as a user who owns a workspace with a project, tasks, labels and a
comment. Every answer must be below 500, conform to the schema (status, content type, headers,
body), and every 4xx/5xx must be the error envelope.

The seed is fixed (derandomize) and the number of examples bounded by FUZZ_EXAMPLES (8 here,
more through `make fuzz`). Each example runs in a savepoint that is rolled back, so an example
that deletes the workspace does not starve the ones after it.
"""

import json
from typing import Any

import hypothesis
import schemathesis
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.fuzz.conftest import FUZZ_EXAMPLES, FuzzWorld


def _load_schema(*, with_security_parameters: bool) -> Any:
    """The schema /api/schema/ serves, generated without a request (collection must not touch
    the database or Redis), bound to the WSGI application the cases are sent to."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(generated)))
    loaded.app = application
    loaded.config.generation.update(with_security_parameters=with_security_parameters)
    return loaded


# Anonymous cases also carry generated (so invalid) Authorization headers; authenticated ones
# carry the world's token instead, which generation must then leave alone.
schema = _load_schema(with_security_parameters=True)
authenticated_schema = _load_schema(with_security_parameters=False)

FUZZ_SETTINGS = hypothesis.settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)


def error_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every error is `{"error": {"code", "message", "details", "request_id"}}`, and its
    request id is the one the X-Request-ID header carries."""
    if response.status_code < 400:
        return None
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, f"not an envelope: {body!r}"
    error = body["error"]
    assert set(error) == {"code", "message", "details", "request_id"}, error
    assert isinstance(error["code"], str) and error["code"].replace("_", "").isalpha(), error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["details"], dict), error
    headers = {name.lower(): values for name, values in response.headers.items()}
    assert error["request_id"] == headers["x-request-id"][0], error
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    error_envelope,
]

# Path parameter name (or, for `id`, the collection before it) -> the world's ids to aim at.
_ID_SOURCES = ("workspaces", "projects", "labels", "tasks")


def _aim_at_world(case: Any, world: FuzzWorld) -> None:
    """Points even integer ids at the world's objects, so that the fuzzer reaches the code
    behind the 404 as well as the 404; odd ones stay as generated (mostly nonexistent)."""
    path = case.operation.path
    for name, value in list((case.path_parameters or {}).items()):
        if not isinstance(value, int) or value % 2:
            continue
        if name == "id":
            collection = next((c for c in _ID_SOURCES if path.startswith(f"/api/v1/{c}/")), None)
            choices = world.ids.get(collection or "", [])
        elif name == "workspace_id":
            choices = world.ids["workspaces"]
        elif name == "task_id":
            choices = world.ids["tasks"]
        else:
            choices = world.ids.get(name, [])
        if choices:
            case.path_parameters[name] = choices[(value // 2) % len(choices)]


def _call_in_savepoint(case: Any, headers: dict[str, str] | None = None) -> None:
    with transaction.atomic():
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        finally:
            transaction.set_rollback(True)


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_anonymous(case: Any, fuzz_world: FuzzWorld) -> None:
    _call_in_savepoint(case)


@authenticated_schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_authenticated(case: Any, fuzz_world: FuzzWorld) -> None:
    _aim_at_world(case, fuzz_world)
    _call_in_savepoint(case, headers={"Authorization": f"Bearer {fuzz_world.token}"})


def test_fuzz_stateful_workflows(fuzz_world: FuzzWorld) -> None:
    """Chains of calls linked by the ids one answer gives the next (links inferred from the
    schema): create a workspace, a project in it, a task, comment on it, change it, read its
    history, delete it... Each scenario runs in a savepoint rolled back at its end."""

    class Workflow(authenticated_schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self._savepoint = transaction.atomic()
            self._savepoint.__enter__()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self._savepoint.__exit__(None, None, None)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {fuzz_world.token}"}}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Workflow.run(
        settings=hypothesis.settings(
            FUZZ_SETTINGS,
            max_examples=max(2, FUZZ_EXAMPLES // 2),
            stateful_step_count=8,
        )
    )
