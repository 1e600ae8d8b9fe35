# The native stack (docs/local-stack.md): the full platform without Docker, behind nginx, observed
# by Prometheus and Alertmanager, against the local PostgreSQL and Redis. State lives in .stack/.

STACK := $(ROOT)/scripts/stack/stack.sh

.PHONY: stack-install
stack-install: install ## Install what the native stack runs: Debian packages (nginx, Prometheus, exporters...) and the stack's Python tools
	bash $(ROOT)/scripts/stack/install.sh
	@# --inexact: add the stack group without removing other groups' packages from the venv.
	uv sync --frozen --inexact --group stack --quiet

.PHONY: stack-up
stack-up: stack-install ## Start the whole stack natively (a no-op when it already runs): https://localhost:8443
	$(STACK) up

.PHONY: stack-down
stack-down: ## Stop the native stack; nothing of it keeps running
	$(STACK) down

.PHONY: stack-status
stack-status: ## Show every process of the native stack and whether its endpoint answers
	$(STACK) status

.PHONY: stack-logs
stack-logs: ## Last lines of the stack's logs (SERVICE=api for one, FOLLOW=1 to follow, TAIL=200 for more)
	SERVICE="$(SERVICE)" FOLLOW="$(FOLLOW)" LINES="$(or $(TAIL),50)" $(STACK) logs

.PHONY: stack-reload
stack-reload: ## Re-render the stack's configuration and reload nginx, Prometheus, Alertmanager and Gunicorn gracefully
	$(STACK) reload

.PHONY: certs
certs: ## Make the development CA and the TLS certificate for localhost (.stack/certs/)
	$(STACK) certs

.PHONY: validate-stack-config
validate-stack-config: stack-install ## nginx -t, promtool (config, rules, rule tests), amtool, shellcheck and the dashboards lint
	$(RECORD) validate-stack-config -- bash $(ROOT)/scripts/stack/validate.sh

.PHONY: test-stack
test-stack: stack-install ## End-to-end tests against the native stack (starts it if needed; PYTEST_ARGS passes options)
	$(RECORD) test-stack -- $(PYTHON) -m pytest -p no:cacheprovider tests/stack \
		--junitxml=$(EVIDENCE_DIR)/test-stack/junit.xml $(PYTEST_ARGS)

CI_TARGETS += validate-stack-config
