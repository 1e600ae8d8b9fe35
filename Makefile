# Every entry point of the platform. `make help` lists them.
# Targets that belong to one part of the stack live in make/*.mk, included below.

SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT      := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV      := $(ROOT)/.venv
PYTHON    := $(VENV)/bin/python
API_DIR   := $(ROOT)/services/api
MANAGE    := cd $(API_DIR) && $(PYTHON) manage.py
HOST      ?= 127.0.0.1
PORT      ?= 8000

export PYTHONPATH := $(API_DIR)

# What `make report` (docs/readiness.md) judges: the targets that prove something run their
# command under $(RECORD), which keeps its exit status, output, machine and code (git commit and
# tree) in $(EVIDENCE_DIR)/<name>/ beside the JUnit XML, coverage or results the command writes.
EVIDENCE_DIR ?= $(ROOT)/var/evidence
RECORD       := $(PYTHON) $(ROOT)/scripts/readiness/record.py --evidence $(EVIDENCE_DIR)

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_.-]+:.*?## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN{FS=":.*?## "}{printf "  %-16s %s\n", $$1, $$2}'

$(VENV)/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null || python3 -m pip install --quiet uv
	uv sync --frozen
	@touch $@

# The repository's root on the environment's sys.path, so that every tool run with it (a script,
# a test, a child process) imports the shared harness/ package; harness/__init__.py says why.
$(VENV)/.root-on-path: $(VENV)/.synced
	$(PYTHON) -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_path("purelib"), "taskboard-root.pth").write_text("$(ROOT)\n")'
	@touch $@

.PHONY: install
install: $(VENV)/.synced $(VENV)/.root-on-path ## Create or update the Python environment from uv.lock

.PHONY: dev
dev: install ## Serve the whole platform on one port: API, /ws/v1/, /live/, outbox relay (embedded defaults, or DATABASE_URL/REDIS_URL; PORT=8000)
	$(MANAGE) migrate --no-input
	$(MANAGE) seed_demo
	@echo "API on http://$(HOST):$(PORT)/api/v1/  docs on http://$(HOST):$(PORT)/api/docs/  live board on http://$(HOST):$(PORT)/live/  WebSocket ws://$(HOST):$(PORT)/ws/v1/  demo login: demo / demo-password-123"
	@# Daphne's runserver (daphne in INSTALLED_APPS): HTTP and WebSocket on one port, reloading on
	@# code changes; the outbox relay runs inside it (OUTBOX_RELAY_IN_PROCESS, docs/development.md).
	$(MANAGE) runserver $(HOST):$(PORT)

.PHONY: test
test: install ## Run the test suite with coverage (real PostgreSQL and Redis when reachable)
	$(RECORD) test -- $(PYTHON) -m pytest --cov --cov-report=term \
		--cov-report=json:$(EVIDENCE_DIR)/test/coverage.json \
		--junitxml=$(EVIDENCE_DIR)/test/junit.xml $(PYTEST_ARGS)

.PHONY: test-embedded
test-embedded: install ## Run the suite on the embedded defaults (SQLite, locmem, in-memory layer) even when the servers answer
	@# Only tests marked as needing PostgreSQL or Redis skip here; -rs lists each with its reason.
	TEST_EMBEDDED=1 REQUIRE_REAL_SERVICES=0 $(PYTHON) -m pytest -p no:cacheprovider -rs $(PYTEST_ARGS)

.PHONY: test-dev
test-dev: install chromium ## End to end: `make dev` on a free port and its own SQLite file: the API, a socket, /live/ in headless Chromium, docs/requests.http
	$(PYTHON) -m pytest -p no:cacheprovider -s tests/dev $(PYTEST_ARGS)

.PHONY: lint
lint: install ## ruff, mypy, the import contract, makemigrations --check, migrations reverse cleanly
	$(RECORD) lint -- $(MAKE) --no-print-directory lint-steps

# Each step announces itself ("== ...") so that the report can tell which one failed.
.PHONY: lint-steps
lint-steps:
	@echo "== ruff check"
	$(VENV)/bin/ruff check .
	@echo "== ruff format --check"
	$(VENV)/bin/ruff format --check .
	@echo "== mypy"
	$(VENV)/bin/mypy services/api
	@echo "== import contract"
	PYTHONPATH=$(API_DIR):$(ROOT)/services/realtime $(VENV)/bin/lint-imports --no-cache
	@echo "== makemigrations --check"
	$(MANAGE) makemigrations --check --dry-run
	@echo "== migrations reverse"
	$(PYTHON) scripts/check_migrations_reverse.py

.PHONY: format
format: install ## Apply ruff's fixes and formatting (formats even when a lint error remains; fails then)
	@# Formatting must not depend on the lint result: run both, then report the lint status.
	@status=0; $(VENV)/bin/ruff check --fix . || status=$$?; \
		$(VENV)/bin/ruff format . && exit $$status

# Each make/*.mk may append to CI_TARGETS the checks CI must run besides `test` and `lint`.
CI_TARGETS :=
-include make/*.mk

.PHONY: checks
checks: lint $(CI_TARGETS) ## The linters and every part's static checks (CI runs `make test` then this)
