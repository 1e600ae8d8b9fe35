"""Content negotiation: the shortcut for the usual Accept values answers exactly what DRF's own
negotiation answers, and every other request still goes through DRF's (406 included)."""

from typing import Any

import pytest
from django.test import RequestFactory
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request

from core.negotiation import FastContentNegotiation
from tests.api.test_errors import assert_envelope


def _request(path: str = "/api/v1/tasks/", **headers: str) -> Request:
    return Request(RequestFactory().get(path, **headers))


def _choice(negotiation: Any, request: Request, renderers: list[Any]) -> tuple[Any, str]:
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers)
    except NotAcceptable:
        return NotAcceptable, "refused"
    return type(renderer), media_type


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_ACCEPT": "*/*"},
        {"HTTP_ACCEPT": "application/json"},
        {"HTTP_ACCEPT": "text/html"},
        {"HTTP_ACCEPT": "application/json; indent=4"},
        {"HTTP_ACCEPT": "text/html, application/json;q=0.9"},
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/tasks/", "/api/v1/tasks/?format=api"])
def test_the_shortcut_answers_what_drf_answers(headers: dict[str, str], path: str) -> None:
    # Given the renderers of development (JSON first, then the browsable API)
    renderers = [JSONRenderer(), BrowsableAPIRenderer()]
    # When both negotiations choose for the same request
    fast = _choice(FastContentNegotiation(), _request(path, **headers), renderers)
    drf = _choice(DefaultContentNegotiation(), _request(path, **headers), renderers)
    # Then they choose the same renderer and media type, or both refuse
    assert fast == drf


def test_an_unacceptable_accept_is_still_refused_in_the_envelope(team: Any) -> None:
    # Given a member and a renderer list of JSON only (the API's)
    client = team.client("member")
    # When they ask for HTML
    response = client.get("/api/v1/tasks/", HTTP_ACCEPT="text/html")
    # Then DRF's negotiation refuses it, in the error envelope
    assert_envelope(response, 406, "not_acceptable")
