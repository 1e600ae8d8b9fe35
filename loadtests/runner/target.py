"""The machine the run is made on and the target it loads."""

from __future__ import annotations

import ipaddress
import os
import platform
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import stack_env


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
    return {
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "memory_gib": round(int(meminfo[1]) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def is_local(target: str) -> bool:
    host = urllib.parse.urlsplit(target).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def get(url: str, timeout: float = 10) -> str:
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(url, timeout=timeout, context=context) as response:  # noqa: S310
        return response.read().decode()


def throttle_settings() -> dict[str, str] | None:
    """The THROTTLE_RATE_* the local stack's api runs with (None: no local stack)."""
    pid = stack_env.program_pid("api")
    if pid is None:
        return None
    env = stack_env.process_env(pid)
    return {k: env.get(k, "(default)") for k in stack_env.LOADTEST_THROTTLE_RATES}
