"""Where the benchmark runs and the environment of the processes under test."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
API_DIR = ROOT / "services" / "api"
REALTIME_DIR = ROOT / "services" / "realtime"
BIN = Path(sys.executable).parent
LAYERS = {
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
P95_TARGET = 0.100
TASKS = 20


def bench_environment(args: argparse.Namespace) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": args.secret_key,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CHANNEL_LAYER_BACKEND": LAYERS[args.layer],
        "PYTHONPATH": os.pathsep.join([str(API_DIR), str(REALTIME_DIR)]),
        "LOG_LEVEL": "WARNING",
        "JWT_ACCESS_MINUTES": "120",
        # One writer account drives every change: the write throttles would stop it.
        "THROTTLE_RATE_USER": "1000000/hour",
        "THROTTLE_RATE_BURST": "1000000/minute",
        "THROTTLE_RATE_SUSTAINED": "1000000/hour",
        "DB_POOL_MAX_SIZE": "8",
    }
