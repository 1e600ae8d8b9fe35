"""Headless Chromium (Debian's package) driven over the Chrome DevTools Protocol, with nothing
but a WebSocket client: no browser download, no driver, no Node."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from websockets.sync.client import ClientConnection, connect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]


class Browser:
    def __init__(self) -> None:
        if CHROMIUM is None:
            raise RuntimeError("chromium is not installed")
        self.profile = tempfile.TemporaryDirectory(
            prefix="chromium-profile-", ignore_cleanup_errors=True
        )
        self.process = subprocess.Popen(  # noqa: S603 - Debian's chromium, fixed flags
            [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile.name}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port = self._devtools_port(timeout=30)
        targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
        page = next(t for t in targets if t["type"] == "page")
        self.connection: ClientConnection = connect(
            page["webSocketDebuggerUrl"], max_size=None, open_timeout=10, legacy=True
        )
        self.next_id = 0
        self.console: list[str] = []
        self.command("Runtime.enable")

    def _devtools_port(self, timeout: float) -> int:
        marker = Path(self.profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("chromium exited at start")
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text().splitlines()[0])
            time.sleep(0.1)
        raise RuntimeError("chromium did not open its DevTools port")

    def command(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.connection.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        for _ in range(10_000):
            message = json.loads(self.connection.recv(timeout=30))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            if message.get("method") == "Runtime.exceptionThrown":
                self.console.append(json.dumps(message["params"]["exceptionDetails"]))
        raise RuntimeError(f"no answer to {method}")

    def evaluate(self, expression: str) -> Any:
        result = self.command(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 15) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        status = self.evaluate("document.getElementById('status')?.textContent")
        raise TimeoutError(f"{expression} stayed false for {timeout} s (status: {status})")

    def open(self, url: str) -> None:
        self.command("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'")

    def follow_on_the_live_board(
        self,
        origin: str,
        username: str,
        password: str,
        project_id: int,
        task_id: int | None = None,
    ) -> None:
        """Opens /live/, signs in, follows the project and waits until the socket is live and,
        given a task, its card is shown."""
        self.open(f"{origin}/live/")
        self.evaluate(
            f"""
            document.getElementById("username").value = {json.dumps(username)};
            document.getElementById("password").value = {json.dumps(password)};
            document.getElementById("login").requestSubmit();
            """
        )
        self.wait_for("document.querySelectorAll('#project option').length > 0")
        self.evaluate(
            f"""
            document.getElementById("project").value = "{project_id}";
            document.getElementById("follow").click();
            """
        )
        self.wait_for("document.getElementById('status').dataset.state === 'live'")
        if task_id is not None:
            self.wait_for(f"document.querySelector('[data-task-id=\"{task_id}\"]') !== null")

    def screenshot(self, path: Path) -> None:
        import base64

        data = self.command("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.connection.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
            self.profile.cleanup()
