# Proof of reliability and security (docs/security.md, docs/operations.md, docs/reliability.md):
# schema fuzzing, static security analysis, and fault injection with reconciliation.
#
#   make fuzz                  every operation of the OpenAPI schema, FUZZ_EXAMPLES (100) examples
#                              each, anonymous and authenticated, plus stateful chains (the test
#                              suite runs the same tests with 8)
#   make bandit                bandit on the application, then on the scripts (CI)
#   make reliability           the fault scenarios in full (about 10 minutes); writes
#                              docs/reliability.md and the record docs/evidence/reliability.json
#   make reliability-smoke     the same scenarios, shorter (a few minutes, CI); writes
#                              var/reliability/smoke.md
#
# The fault scenarios run against a private copy of the platform on ports of their own
# (PostgreSQL 5440, Redis 6390, api 8110, realtime 8111, metrics 9211/9212; FAULT_*_PORT moves
# them), never against the shared PostgreSQL and Redis or the native stack.

FUZZ_EXAMPLES ?= 100

.PHONY: fuzz
fuzz: install ## Fuzz every API operation from the OpenAPI schema (FUZZ_EXAMPLES=100 per operation)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(RECORD) fuzz --note examples=$(FUZZ_EXAMPLES) -- \
		$(PYTHON) -m pytest -p no:cacheprovider services/api/tests/fuzz \
		--junitxml=$(EVIDENCE_DIR)/fuzz/junit.xml $(PYTEST_ARGS)

# The application is clean, each accepted finding justified inline (# nosec B... with its
# reason). The scripts (and harness/, which they share) are operator tools that start fixed
# programs with argument lists, never a shell: the subprocess checks (B404, B603, B607) are
# skipped for them, nothing else.
.PHONY: bandit
bandit: install ## Static security analysis (bandit) of the application and the scripts
	$(RECORD) bandit -- bash -c '$(VENV)/bin/bandit -q -r services/api services/realtime -x services/api/tests \
		&& $(VENV)/bin/bandit -q -r scripts harness -s B404,B603,B607'

.PHONY: reliability-tools
reliability-tools: install
	@command -v redis-server >/dev/null || { echo "reliability: redis-server is missing (apt-get install redis-server)"; exit 2; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "reliability: the PostgreSQL server binaries are missing (apt-get install postgresql)"; exit 2; }

.PHONY: reliability
reliability: reliability-tools ## Fault injection under load (Redis down, PostgreSQL restart, SIGKILLs, relay kills); writes docs/reliability.md
	$(RECORD) reliability --result $(EVIDENCE_DIR)/reliability/run.json \
		--keep $(ROOT)/docs/evidence/reliability.json -- \
		$(PYTHON) scripts/faults/run_all.py --report $(ROOT)/docs/reliability.md \
		--json $(EVIDENCE_DIR)/reliability/run.json

.PHONY: reliability-smoke
reliability-smoke: reliability-tools ## The fault scenarios, shorter (CI); writes var/reliability/smoke.md
	$(RECORD) reliability-smoke --result $(EVIDENCE_DIR)/reliability-smoke/run.json -- \
		timeout 900 $(PYTHON) scripts/faults/run_all.py --smoke \
		--report $(ROOT)/var/reliability/smoke.md --json $(EVIDENCE_DIR)/reliability-smoke/run.json

CI_TARGETS += bandit reliability-smoke
