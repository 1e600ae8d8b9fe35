"""The first ten minutes: the API root, the redirect to it, and docs served without a CDN."""

import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

ORIGIN = "http://testserver"


def test_root_redirects_to_the_api_root(api_client: APIClient) -> None:
    response = api_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/api/v1/"


def test_the_api_root_lists_resources_docs_and_the_live_board(api_client: APIClient) -> None:
    # When: someone without a token opens /api/v1/
    response = api_client.get("/api/v1/")

    # Then: absolute links to every resource, the docs, the schema, the board and the socket
    assert response.status_code == 200
    body = response.json()
    assert body["resources"]["tasks"] == f"{ORIGIN}/api/v1/tasks/"
    assert body["resources"]["token"] == f"{ORIGIN}/api/v1/auth/token/"
    assert set(body["resources"]) >= {"workspaces", "projects", "labels", "tasks", "me"}
    assert body["docs"] == {
        "swagger_ui": f"{ORIGIN}/api/docs/",
        "redoc": f"{ORIGIN}/api/redoc/",
        "schema": f"{ORIGIN}/api/schema/",
    }
    assert body["live_board"] == f"{ORIGIN}/live/"
    assert body["websocket"] == "ws://testserver/ws/v1/"


def test_every_link_of_the_api_root_answers(api_client: APIClient, team: Any) -> None:
    # Given: a signed-in member following each link of the root
    client = team.client("member")
    body = api_client.get("/api/v1/").json()
    links = [*body["resources"].values(), *body["docs"].values(), body["live_board"]]
    for link in links:
        path = link.removeprefix(ORIGIN)
        response = client.get(path)
        # Then: each exists (the auth endpoints answer GET with 405, never 404)
        assert response.status_code in (200, 405), (path, response.status_code)


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_docs_load_every_asset_from_this_site(api_client: APIClient, page: str) -> None:
    # When: a docs page is served
    response = api_client.get(page)
    assert response.status_code == 200
    html = response.content.decode()

    # Then: no asset comes from another host, and each one it names is an installed static file
    assert not re.search(r"""(src|href)=["']https?://""", html), html
    assets = re.findall(r"""(?:src|href)=["']/static/([^"'?]+)""", html)
    assert assets, html
    for asset in assets:
        assert finders.find(asset), asset


def test_swagger_ui_needs_no_inline_script(api_client: APIClient) -> None:
    html = api_client.get("/api/docs/").content.decode()
    assert "<script>" not in html
    script = api_client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert b"SwaggerUIBundle" in script.content
