# The realtime service (docs/websocket.md): Daphne serving config.asgi (/ws/v1/ plus the same
# HTTP application as the api), its WebSocket benchmark, and the live board's browser test.

REALTIME_HOST ?= 127.0.0.1
REALTIME_PORT ?= 8001
REALTIME_PYTHONPATH := $(API_DIR):$(ROOT)/services/realtime
# apt-get needs root; CI runs as root, a developer's machine may need sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: realtime
realtime: install ## Serve the realtime service (Daphne: /ws/v1/, /live/, /healthz, /metrics) on 127.0.0.1:8001
	@[ -n "$$REDIS_URL" ] || echo "REDIS_URL is not set: the in-memory channel layer only reaches this process, so events the relay publishes will not arrive (docs/websocket.md)"
	cd $(API_DIR) && PYTHONPATH=$(REALTIME_PYTHONPATH) SERVICE_NAME=realtime \
		DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.development} \
		$(VENV)/bin/daphne --bind $(REALTIME_HOST) --port $(REALTIME_PORT) \
		--ping-interval 20 --ping-timeout 30 config.asgi:application

.PHONY: bench-ws
bench-ws: install ## WebSocket benchmark: 1,000+ sockets, delivery p50/p95/p99, losses, memory, CPU (BENCH_WS_ARGS=...)
	PYTHONPATH=$(REALTIME_PYTHONPATH) $(PYTHON) scripts/bench_ws.py $(BENCH_WS_ARGS)

.PHONY: chromium
chromium: ## Install Debian's chromium (headless browser of the end-to-end test) when missing
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

.PHONY: test-e2e-browser
test-e2e-browser: install chromium ## The live board end to end in headless Chromium while the API changes a task
	$(RECORD) test-e2e-browser -- $(PYTHON) -m pytest -p no:cacheprovider \
		services/api/tests/realtime/test_live_board_browser.py \
		--junitxml=$(EVIDENCE_DIR)/test-e2e-browser/junit.xml $(PYTEST_ARGS)

CI_TARGETS += test-e2e-browser
