"""Serves the live board's three files. They are small and change only with a release, so they
are read once per process."""

from functools import cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

ASSETS = Path(__file__).resolve().parent / "assets"

# The page loads its script and style from this origin, talks to the API and the WebSocket on
# this origin (CSP 'self' covers ws:/wss: of the same host), and nothing else.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@cache
def _asset(name: str) -> bytes:
    return (ASSETS / name).read_bytes()


def _serve(name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(_asset(name), content_type=content_type)
    response["Cache-Control"] = "no-cache"
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@require_GET
def board_page(request: HttpRequest) -> HttpResponse:
    return _serve("board.html", "text/html; charset=utf-8")


@require_GET
def board_script(request: HttpRequest) -> HttpResponse:
    return _serve("board.js", "text/javascript; charset=utf-8")


@require_GET
def board_style(request: HttpRequest) -> HttpResponse:
    return _serve("board.css", "text/css; charset=utf-8")
