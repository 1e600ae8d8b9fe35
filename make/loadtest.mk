# Capacity verification (docs/load-testing.md): Locust load tests that pass or fail on the targets
# of loadtests/targets.toml, the limiter check, and the benchmark report docs/benchmarks.md.
#
#   make loadtest                     the full run against the native stack (started if needed,
#                                     with the throttle rates raised; stopped again if it started it)
#   make loadtest TARGET=https://host another deployment (its throttle rates raised beforehand)
#   make loadtest WORKERS=2           Locust master plus 2 workers on this machine
#   make loadtest RESTART=1           restart a running stack that has its normal rates for the run
#   make loadtest-sustained           the full run's shape at 100 req/s of reads: the latency,
#                                     delivery and error targets at a rate 2 cores can serve
#   make loadtest-smoke               ~40 s end-to-end run at a low rate (CI)
#   make loadtest-throttle            the limiter engages at its configured rates (CI)
#   make bench                        regenerate docs/benchmarks.md (wrk and Locust, pinned)
#
# The full, sustained and bench runs keep their results in docs/evidence/*.json (commit them with
# the report they regenerate): `make report` judges capacity from the last runs on record.

LOADTEST_DIR  := $(ROOT)/loadtests
WITH_STACK    := $(LOADTEST_DIR)/with-stack.sh
TARGET        ?=
WORKERS       ?= 0
RESTART       ?= 0
LOADTEST_ARGS ?=

export TARGET WORKERS RESTART

.PHONY: loadtest-install
loadtest-install: install ## Install what the load tests need: Locust (uv group loadtest), wrk and the stack's tools
	@# --inexact: add the groups without removing other groups' packages from the venv.
	uv sync --frozen --inexact --group loadtest --group stack --quiet
	@command -v wrk >/dev/null 2>&1 || { \
		echo "loadtest: installing wrk (Debian package)"; \
		timeout 300 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
	@command -v taskset >/dev/null 2>&1 || echo "loadtest: taskset missing (util-linux): the load generator will not be pinned"

.PHONY: loadtest
loadtest: loadtest-install stack-install ## Load test against the targets (TARGET=url, WORKERS=n, RESTART=1); exits 1 on a miss
	$(RECORD) loadtest --result $(LOADTEST_DIR)/reports/latest/summary.json \
		--keep $(ROOT)/docs/evidence/loadtest-full.json -- \
		bash $(WITH_STACK) raised -- $(PYTHON) $(LOADTEST_DIR)/run.py --profile full \
		$(if $(TARGET),--target $(TARGET)) --workers $(WORKERS) $(LOADTEST_ARGS)

.PHONY: loadtest-sustained
loadtest-sustained: loadtest-install stack-install ## The full run's shape at a rate 2 cores can serve (100 req/s): latency and delivery targets
	$(RECORD) loadtest-sustained --result $(LOADTEST_DIR)/reports/latest/summary.json \
		--keep $(ROOT)/docs/evidence/loadtest-sustained.json -- \
		bash $(WITH_STACK) raised -- $(PYTHON) $(LOADTEST_DIR)/run.py --profile sustained \
		$(if $(TARGET),--target $(TARGET)) --workers $(WORKERS) $(LOADTEST_ARGS)

.PHONY: loadtest-smoke
loadtest-smoke: loadtest-install stack-install ## A short load test at a low rate (~40 s of load, CI)
	$(RECORD) loadtest-smoke --result $(LOADTEST_DIR)/reports/latest/summary.json -- \
		bash $(WITH_STACK) raised -- $(PYTHON) $(LOADTEST_DIR)/run.py --profile smoke \
		$(if $(TARGET),--target $(TARGET)) --workers $(WORKERS) $(LOADTEST_ARGS)

.PHONY: loadtest-throttle
loadtest-throttle: loadtest-install stack-install ## Check that the limiter answers 429 + Retry-After at the configured rates
	$(RECORD) loadtest-throttle -- \
		bash $(WITH_STACK) configured -- $(PYTHON) $(LOADTEST_DIR)/throttle_check.py \
		$(if $(TARGET),--target $(TARGET))

.PHONY: loadtest-seed
loadtest-seed: loadtest-install ## Create the load test's data (SEED_MODE=api TARGET=url for a remote deployment)
	$(PYTHON) $(LOADTEST_DIR)/seed.py --mode $(or $(SEED_MODE),orm) $(if $(TARGET),--target $(TARGET))

.PHONY: bench
bench: loadtest-install stack-install ## Regenerate docs/benchmarks.md: static ceiling, cached list, cache off, plain DRF (wrk, pinned)
	$(RECORD) bench --result $(LOADTEST_DIR)/reports/bench.json --keep $(ROOT)/docs/evidence/bench.json -- \
		bash $(WITH_STACK) raised -- $(PYTHON) $(LOADTEST_DIR)/bench/bench.py $(BENCH_ARGS)

# The runner's own logic (verdicts, percentiles, which caches count) and the harness the tools
# share (harness/: ports, processes, the percentile): no stack needed.
.PHONY: test-loadtest-tools
test-loadtest-tools: install ## Unit tests of the load-test runner and the tools' shared harness (tests/loadtest, tests/harness)
	$(PYTHON) -m pytest -p no:django -p no:cacheprovider -W ignore::pytest.PytestConfigWarning -q $(ROOT)/tests/loadtest $(ROOT)/tests/harness

CI_TARGETS += test-loadtest-tools loadtest-smoke loadtest-throttle

.PHONY: loadtest-k8s-config
loadtest-k8s-config: loadtest-install ## Seed a cluster through its API (TARGET=url) and load the suites and dataset for k8s/loadtest
	@test -n "$(TARGET)" || { echo "loadtest: set TARGET to the deployment's public https address"; exit 2; }
	$(PYTHON) $(LOADTEST_DIR)/seed.py --mode api --target $(TARGET) --out $(LOADTEST_DIR)/reports/dataset-k8s.json
	$(KUBECTL) -n taskboard create configmap locust-suites --dry-run=client -o yaml \
		--from-file=$(LOADTEST_DIR)/locustfile.py $(addprefix --from-file=,$(wildcard $(LOADTEST_DIR)/suites/*.py)) \
		| $(KUBECTL) apply -f -
	$(KUBECTL) -n taskboard create secret generic locust-dataset --dry-run=client -o yaml \
		--from-file=dataset.json=$(LOADTEST_DIR)/reports/dataset-k8s.json | $(KUBECTL) apply -f -
