"""Production settings refuse insecure defaults and pass `check --deploy` cleanly."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.backends.sqlite3 import base as sqlite3_backend

from core.sqlite.base import DatabaseWrapper as EmbeddedDatabase

API_DIR = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 20 + "Qx9#vL2@pR7!mN4$tZ8&wB3*yH6^cF1%"


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", *args],
        cwd=API_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.production", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_deploy_is_clean_with_secure_settings() -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="api.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"DJANGO_ALLOWED_HOSTS": "api.example.com"}, "DJANGO_SECRET_KEY"),
        (
            {
                "DJANGO_SECRET_KEY": "django-insecure-" + "x" * 50,
                "DJANGO_ALLOWED_HOSTS": "a.example.com",
            },
            "DJANGO_SECRET_KEY",
        ),
        (
            {"DJANGO_SECRET_KEY": "short", "DJANGO_ALLOWED_HOSTS": "a.example.com"},
            "DJANGO_SECRET_KEY",
        ),
        (
            {
                "DJANGO_SECRET_KEY": GOOD_KEY,
                "DJANGO_ALLOWED_HOSTS": "a.example.com",
                "DJANGO_DEBUG": "true",
            },
            "DJANGO_DEBUG",
        ),
        ({"DJANGO_SECRET_KEY": GOOD_KEY}, "DJANGO_ALLOWED_HOSTS"),
        ({"DJANGO_SECRET_KEY": GOOD_KEY, "DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_refuses_to_start_with_insecure_defaults(env: dict[str, str], complaint: str) -> None:
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "Refusing to start" in result.stderr
    assert complaint in result.stderr


def settings_value(expression: str, **env: str) -> str:
    """Evaluates `expression` against the development settings in a fresh process."""
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    script = (
        f"import django; django.setup(); from django.conf import settings as s; print({expression})"
    )
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", script],
        cwd=API_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.development", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_embedded_defaults_without_database_or_redis_url() -> None:
    value = settings_value("s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND']")
    # core.sqlite is Django's SQLite backend with one change (out-of-range integers, core/sqlite)
    assert value == "core.sqlite django.core.cache.backends.locmem.LocMemCache"
    assert issubclass(EmbeddedDatabase, sqlite3_backend.DatabaseWrapper)


def test_database_and_redis_urls_select_postgres_with_pool_and_redis() -> None:
    value = settings_value(
        "s.DATABASES['default']['ENGINE'], sorted(s.DATABASES['default']['OPTIONS']['pool']), "
        "s.DATABASES['default']['CONN_MAX_AGE'], s.CACHES['default']['BACKEND']",
        DATABASE_URL="postgres://u:p@db.example:5432/app",
        REDIS_URL="redis://cache.example:6379/0",
    )
    assert value == (
        "core.postgres ['max_size', 'min_size', 'timeout'] 0 django_redis.cache.RedisCache"
    )


def test_cors_origins_come_from_the_environment() -> None:
    value = settings_value(
        "s.CORS_ALLOWED_ORIGINS", CORS_ALLOWED_ORIGINS="https://a.example,https://b.example"
    )
    assert value == "['https://a.example', 'https://b.example']"


@pytest.mark.parametrize(
    "jwt_key", ["short", "change-me-" + "x" * 60, "django-insecure-" + "y" * 60]
)
def test_refuses_a_weak_jwt_signing_key_set_on_its_own(jwt_key: str) -> None:
    result = run_manage(
        "check",
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="a.example.com",
        JWT_SIGNING_KEY=jwt_key,
    )
    assert result.returncode != 0
    assert "Refusing to start" in result.stderr
    assert "JWT_SIGNING_KEY" in result.stderr


def test_a_strong_jwt_signing_key_is_accepted() -> None:
    result = run_manage(
        "check",
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="a.example.com",
        JWT_SIGNING_KEY="j" * 30 + "Zq8#kM3@xV6!pL1$rT5&nC9*",
    )
    assert result.returncode == 0, result.stderr


def test_seed_demo_refuses_under_production_settings() -> None:
    # Refused before it touches the database (none is configured here).
    result = run_manage(
        "seed_demo", DJANGO_SECRET_KEY=GOOD_KEY, DJANGO_ALLOWED_HOSTS="a.example.com"
    )
    assert result.returncode != 0
    assert "Refusing to create the demo login" in result.stderr
