"""Runs a request collection written for VS Code's REST Client / JetBrains' HTTP Client
(docs/requests.http), so that the collection is tested rather than trusted.

Supported, which is what the collection uses: `@name = value` file variables, `###` between
requests, `# @name` to keep a response, `{{name.response.body.$.a.b[0].c}}` to read one,
`# expect: <status>` for the status the test requires. Written here because the editors' own
runners are not Python packages; the format is small enough that this covers it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

VARIABLE = re.compile(r"^@(\w+)\s*=\s*(.*)$")
REFERENCE = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")
PATH_PART = re.compile(r"(\w+)|\[(\d+)\]")


@dataclass
class HttpRequest:
    title: str
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    name: str | None = None
    expect: int | None = None


def parse(text: str) -> tuple[dict[str, str], list[HttpRequest]]:
    variables: dict[str, str] = {}
    requests_: list[HttpRequest] = []
    for position, block in enumerate(re.split(r"^###", text, flags=re.MULTILINE)):
        lines = block.splitlines() or [""]
        # Text after "###" titles a request; the part before the first "###" has no title.
        title, lines = (lines[0].strip(), lines[1:]) if position else ("", lines)
        name = expect = None
        request: HttpRequest | None = None
        body: list[str] = []
        in_body = False
        for line in lines:
            stripped = line.strip()
            if request is None:
                if match := VARIABLE.match(stripped):
                    variables[match[1]] = match[2]
                elif stripped.startswith("# @name"):
                    name = stripped.split()[-1]
                elif stripped.startswith("# expect:"):
                    expect = int(stripped.split(":", 1)[1])
                elif stripped and not stripped.startswith("#"):
                    method, url = stripped.split(None, 1)
                    request = HttpRequest(title, method, url, name=name, expect=expect)
            elif in_body:
                body.append(line)
            elif not stripped:
                in_body = True
            else:
                key, value = stripped.split(":", 1)
                request.headers[key.strip()] = value.strip()
        if request is not None:
            request.body = "\n".join(body).strip()
            requests_.append(request)
    return variables, requests_


def _lookup(responses: dict[str, Any], reference: str) -> str:
    name, rest = reference.split(".response.body.$", 1)
    value: Any = responses[name]
    for key, index in PATH_PART.findall(rest):
        value = value[key] if key else value[int(index)]
    return str(value)


def run(path: Path, base_override: dict[str, str]) -> list[tuple[HttpRequest, requests.Response]]:
    """Sends every request of the file in order; returns each with its response."""
    variables, collection = parse(path.read_text())
    variables.update(base_override)
    responses: dict[str, Any] = {}
    done = []

    def fill(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            reference = match[1]
            if ".response.body.$" in reference:
                return _lookup(responses, reference)
            return fill(variables[reference])

        return REFERENCE.sub(one, text)

    session = requests.Session()
    for request in collection:
        response = session.request(
            request.method,
            fill(request.url),
            headers={key: fill(value) for key, value in request.headers.items()},
            data=fill(request.body).encode() if request.body else None,
            timeout=30,
        )
        if request.name:
            responses[request.name] = response.json() if response.content else None
        done.append((request, response))
    return done
