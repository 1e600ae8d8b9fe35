"""Regression tests for what the schema fuzzer found (tests/fuzz/test_schema_fuzz.py)."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import Profile
from core.schema import allow_empty_query_values
from tests.api.test_errors import assert_envelope
from tests.conftest import Team
from workspaces.models import Workspace


@pytest.mark.django_db
class TestTextFieldsRefuseOtherTypes:
    def test_a_number_for_a_text_field_is_a_validation_error(self, team: Team) -> None:
        response = team.client("owner").post(
            "/api/v1/workspaces/", {"name": "Ops", "description": 0}, format="json"
        )
        error = assert_envelope(response, 400, "validation_error")
        assert error["details"] == {"description": ["Not a valid string."]}
        assert not Workspace.objects.filter(name="Ops").exists()

    def test_a_boolean_in_a_nested_text_field_is_a_validation_error(self, team: Team) -> None:
        response = team.client("owner").patch(
            "/api/v1/auth/me/", {"profile": {"display_name": True}}, format="json"
        )
        error = assert_envelope(response, 400, "validation_error")
        assert error["details"] == {"profile": {"display_name": ["Not a valid string."]}}

    def test_null_stays_a_matter_for_the_field(self, team: Team) -> None:
        response = team.client("owner").patch(
            f"/api/v1/workspaces/{team.workspace.pk}/", {"description": None}, format="json"
        )
        assert_envelope(response, 400, "validation_error")

    def test_strings_are_still_accepted(self, team: Team) -> None:
        response = team.client("owner").post(
            "/api/v1/workspaces/", {"name": "Ops", "description": "0"}, format="json"
        )
        assert response.status_code == 201, response.content


@pytest.mark.django_db
class TestProfileTimeZone:
    def test_an_unknown_time_zone_is_refused(self, team: Team) -> None:
        client = team.client("owner")
        response = client.patch("/api/v1/auth/me/", {"profile": {"timezone": "0"}}, format="json")
        error = assert_envelope(response, 400, "validation_error")
        assert "timezone" in error["details"]["profile"]
        assert Profile.objects.get(user=team.owner).timezone == "UTC"

    def test_an_iana_time_zone_is_stored(self, team: Team) -> None:
        client = team.client("owner")
        response = client.patch(
            "/api/v1/auth/me/", {"profile": {"timezone": "Europe/Paris"}}, format="json"
        )
        assert response.status_code == 200, response.content
        assert response.json()["profile"]["timezone"] == "Europe/Paris"


@pytest.mark.django_db
class TestPaginationParameters:
    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("offset=false", "offset"),
            ("limit=0", "limit"),
            ("page_size=abc", "page_size"),
            ("page_size=-1", "page_size"),
            ("page=0", "page"),
            ("page=%D9%A3", "page"),  # an Arabic-Indic digit: int() would take it
            ("pagination=AAA", "pagination"),
            ("page=1&page=2", "page"),
        ],
    )
    def test_an_invalid_value_is_a_400_not_the_default(
        self, team: Team, query: str, field: str
    ) -> None:
        response = team.client("viewer").get(f"/api/v1/tasks/?{query}")
        error = assert_envelope(response, 400, "validation_error")
        assert list(error["details"]) == [field]

    @pytest.mark.parametrize("path", ["/api/v1/workspaces/", "/api/v1/labels/"])
    def test_every_list_validates_them(self, team: Team, path: str) -> None:
        assert_envelope(team.client("viewer").get(f"{path}?limit=x"), 400, "validation_error")

    @pytest.mark.parametrize(
        "query", ["page_size=", "page=", "pagination=", "page=last", "limit=5&offset=0"]
    )
    def test_empty_and_valid_values_are_accepted(self, team: Team, query: str) -> None:
        assert team.client("viewer").get(f"/api/v1/tasks/?{query}").status_code == 200

    def test_history_validates_them_too(self, team: Team) -> None:
        task_id = (
            team.client("owner")
            .post("/api/v1/tasks/", {"project": team.project.pk, "title": "T"}, format="json")
            .json()["id"]
        )
        response = team.client("viewer").get(f"/api/v1/tasks/{task_id}/history/?offset=false")
        assert_envelope(response, 400, "validation_error")


@pytest.mark.django_db
class TestSchema:
    @pytest.fixture
    def schema(self, api_client: APIClient) -> Any:
        return api_client.get("/api/schema/?format=json").json()

    @pytest.mark.parametrize(
        "path",
        ["/api/v1/tasks/", "/api/v1/tasks/{id}/", "/api/v1/workspaces/{workspace_id}/audit/"],
    )
    def test_reads_with_query_parameters_document_400(self, schema: Any, path: str) -> None:
        assert "400" in schema["paths"][path]["get"]["responses"]

    def test_reads_without_query_parameters_do_not(self, schema: Any) -> None:
        assert "400" not in schema["paths"]["/api/v1/auth/me/"]["get"]["responses"]

    def test_empty_values_are_declared_where_they_mean_absent(self, schema: Any) -> None:
        tasks = {p["name"]: p for p in schema["paths"]["/api/v1/tasks/"]["get"]["parameters"]}
        assert tasks["due_before"]["allowEmptyValue"] is True
        assert tasks["page_size"]["allowEmptyValue"] is True
        assert "allowEmptyValue" not in tasks["cursor"]
        detail = schema["paths"]["/api/v1/tasks/{id}/"]["get"]["parameters"]
        assert all("allowEmptyValue" not in p for p in detail if p["name"] == "as_of")

    def test_the_hook_leaves_path_parameters_alone(self) -> None:
        result = {
            "paths": {
                "/x/{id}/": {"get": {"parameters": [{"in": "path", "name": "id"}]}},
            }
        }
        allow_empty_query_values(result, generator=None)
        assert result["paths"]["/x/{id}/"]["get"]["parameters"] == [{"in": "path", "name": "id"}]


@pytest.mark.django_db
class TestHostileJson:
    """Bodies that used to reach the views as 500s now stop at the parser with 400 parse_error."""

    @pytest.mark.parametrize(
        "body",
        [
            "[" * 200_000,  # the standard library recursed until RecursionError
            '{"a":' * 100_000 + "1" + "}" * 100_000,
            '{"project": 1e400, "title": "x"}',  # inf reached int() in the primary key lookup
            '{"project": NaN, "title": "x"}',
        ],
        ids=["deep-array", "deep-object", "infinity", "nan"],
    )
    def test_is_a_parse_error(self, team: Team, body: str) -> None:
        response = team.client("owner").generic(
            "POST", "/api/v1/tasks/", body, content_type="application/json"
        )
        assert_envelope(response, 400, "parse_error")

    def test_invalid_utf8_is_a_parse_error(self, team: Team) -> None:
        response = team.client("owner").generic(
            "POST", "/api/v1/workspaces/", b'{"name": "\xff"}', content_type="application/json"
        )
        assert_envelope(response, 400, "parse_error")


@pytest.mark.django_db
def test_a_nul_byte_in_the_audit_type_filter_is_a_400(team: Team) -> None:
    # PostgreSQL cannot hold NUL in text: the filter used to pass it through to a 500.
    response = team.client("owner").get(
        f"/api/v1/workspaces/{team.workspace.pk}/audit/?type=TaskCreated,a%00b"
    )
    error = assert_envelope(response, 400, "validation_error")
    assert list(error["details"]) == ["type"]


@pytest.mark.django_db
def test_max_length_holds_for_the_value_as_sent(team: Team) -> None:
    # DRF trimmed the whitespace (here U+0085) before measuring: 121 characters passed as 120.
    name = "\u0085" + "*" * 120
    response = team.client("owner").patch(
        f"/api/v1/workspaces/{team.workspace.pk}/", {"name": name}, format="json"
    )
    error = assert_envelope(response, 400, "validation_error")
    assert error["details"] == {"name": ["Ensure this field has no more than 120 characters."]}


@pytest.mark.django_db
@pytest.mark.parametrize("instant", ["0354-10-27T09:48:12-18:09", "0001-01-01T00:30:00+01:00"])
@pytest.mark.parametrize("parameter", ["since", "until"])
def test_an_instant_postgresql_cannot_compare_is_a_400_in_the_audit(
    team: Team, parameter: str, instant: str
) -> None:
    # An offset of -18:09 is valid ISO-8601 that PostgreSQL refuses to compare (a 500); an
    # offset that moves year 1 into year 0 cannot even be converted.
    response = team.client("owner").get(
        f"/api/v1/workspaces/{team.workspace.pk}/audit/", {parameter: instant}
    )
    if instant.startswith("0354"):
        assert response.status_code == 200, response.content
        assert response.json()["results"] == []
    else:
        error = assert_envelope(response, 400, "validation_error")
        assert list(error["details"]) == [parameter]


@pytest.mark.django_db
def test_as_of_with_an_offset_postgresql_cannot_compare(team: Team) -> None:
    task = team.client("member").post(
        "/api/v1/tasks/", {"project": team.project.pk, "title": "t"}, format="json"
    )
    url = f"/api/v1/tasks/{task.json()['id']}/"
    member = team.client("member")
    # Long before the task existed: 404, as for any earlier instant
    assert member.get(url, {"as_of": "0354-10-27T09:48:12-18:09"}).status_code == 404
    error = assert_envelope(
        member.get(url, {"as_of": "0001-01-01T00:30:00+01:00"}), 400, "validation_error"
    )
    assert list(error["details"]) == ["as_of"]


@pytest.mark.django_db
def test_the_audit_type_filter_takes_only_known_event_types(team: Team) -> None:
    # The schema lists the event types; "false" is none of them (the fuzzer's negative case).
    url = f"/api/v1/workspaces/{team.workspace.pk}/audit/"
    owner = team.client("owner")
    assert owner.get(url, {"type": "TaskCreated,ProjectCreated"}).status_code == 200
    error = assert_envelope(owner.get(url, {"type": "false"}), 400, "validation_error")
    assert list(error["details"]) == ["type"]
