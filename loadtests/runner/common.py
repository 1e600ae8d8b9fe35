"""What every part of the runner uses: where it runs, Locust, how it speaks."""

from __future__ import annotations

from pathlib import Path

import stack_env

HERE = Path(__file__).resolve().parents[1]  # loadtests/
LOCUST = stack_env.VENV_BIN / "locust"
DEFAULT_TARGET = "https://127.0.0.1:8443"


def say(message: str) -> None:
    print(f"loadtest: {message}", flush=True)
