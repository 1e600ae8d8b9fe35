# The write side's operator and benchmark targets.

.PHONY: bench-eventstore
bench-eventstore: install ## Time loading a task with 10 vs 10,000 events (snapshots on and off)
	$(PYTHON) scripts/bench_rehydration.py

.PHONY: relay
relay: install ## Run the outbox relay worker in the foreground (DATABASE_URL/REDIS_URL from the environment)
	$(MANAGE) relay_outbox

.PHONY: rebuild-projections
rebuild-projections: install ## Rebuild the task read models from the event log
	$(MANAGE) rebuild_projections
