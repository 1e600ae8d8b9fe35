# The production-readiness report (docs/readiness.md, docs/readiness.json): every concern of
# scripts/readiness/concerns.toml judged from the evidence the other targets keep under
# $(EVIDENCE_DIR) and the full runs on record in docs/evidence/.
#
#   make report                       write both files; print the count per status and the
#                                     inputs that are missing, with the command that makes each
#   make report REPORT_ARGS=--fail-on-regression
#                                     also exit 1 when a concern that passed in the committed
#                                     docs/readiness.json fails now (CI)

REPORT_ARGS ?=

.PHONY: report
report: install ## Write docs/readiness.md and .json from the latest runs' evidence (var/evidence, docs/evidence)
	PYTHONPATH=$(ROOT)/scripts $(PYTHON) -m readiness --evidence $(EVIDENCE_DIR) $(REPORT_ARGS)

.PHONY: test-readiness
test-readiness: install ## Tests of the readiness report's judging and rendering (tests/readiness)
	$(PYTHON) -m pytest -p no:django -p no:cacheprovider -W ignore::pytest.PytestConfigWarning -q $(ROOT)/tests/readiness

CI_TARGETS += test-readiness
