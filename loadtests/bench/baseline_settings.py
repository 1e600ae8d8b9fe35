"""Settings of the benchmark's baseline: the platform's production settings with one change, a
URL map whose task list is a plain DRF ListAPIView (baseline_urls.py). Loaded only by
loadtests/bench/bench.py's own Gunicorn; nothing in the application refers to it."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "baseline_urls"
