"""The environment of the native stack's application processes, for the load-test tooling that
runs Django itself on this machine: the ORM seed (loadtests/seed.py), the benchmark's own Gunicorn
(loadtests/bench/bench.py) and the memory probes.

It mirrors scripts/stack/stack.sh's app_env: production settings, the stack's secret key (so that
tokens minted here are valid on the running stack), its PostgreSQL database and Redis.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STACK_DIR = Path(os.environ.get("STACK_DIR", ROOT / ".stack"))
API_DIR = ROOT / "services" / "api"
VENV_BIN = ROOT / ".venv" / "bin"

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/taskboard"
REDIS_URL = "redis://127.0.0.1:6379/0"

# Rates far above anything a load test reaches on one machine: the load test measures capacity,
# not the rate limiter (loadtests/throttle_check.py checks the limiter at its configured rates).
LOADTEST_THROTTLE_RATES = {
    "THROTTLE_RATE_ANON": "10000000/hour",
    "THROTTLE_RATE_USER": "10000000/hour",
    "THROTTLE_RATE_STRICT": "10000000/hour",
    "THROTTLE_RATE_BURST": "10000000/hour",
    "THROTTLE_RATE_SUSTAINED": "10000000/hour",
}


def secret_key() -> str:
    path = STACK_DIR / "secret-key"
    if not path.is_file():
        raise SystemExit(
            f"{path} is missing: start the native stack once (`make stack-up`) so that it exists"
        )
    return path.read_text().strip()


def app_env(**overrides: str) -> dict[str, str]:
    env = {
        "PATH": f"{VENV_BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(API_DIR),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secret_key(),
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "NUM_PROXIES": "1",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "STATIC_ROOT": str(STACK_DIR / "static"),
    }
    env.update(overrides)
    return env


def program_pid(program: str) -> int | None:
    """The pid supervisord reports for one program of the running stack, if it runs."""
    import subprocess

    conf = STACK_DIR / "supervisor" / "supervisord.conf"
    if not conf.is_file():
        return None
    try:
        out = subprocess.run(
            [str(VENV_BIN / "supervisorctl"), "-c", str(conf), "pid", program],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return int(out) if out.isdigit() and int(out) > 0 else None


def process_env(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(): v.decode(errors="replace") for k, v in pairs}


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
