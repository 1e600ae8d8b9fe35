# Caching: the write-behind flusher, the operators' commands and the cache benchmark
# (docs/caching.md).

BENCH_CACHE_ARGS ?=

.PHONY: bench-cache
bench-cache: install ## Replay the read-heavy mix against Gunicorn with the cache on and off; print hit rate, p50/p95, req/s
	$(PYTHON) scripts/bench_cache.py $(BENCH_CACHE_ARGS)

.PHONY: flusher
flusher: install ## Run the write-behind flusher in the foreground (DATABASE_URL/REDIS_URL from the environment)
	$(MANAGE) flush_writebehind

.PHONY: cache-stats
cache-stats: install ## Print the hit rate per cache (CACHE_STATS_URL=http://127.0.0.1:8010/metrics by default)
	$(MANAGE) cache_stats --url $(or $(CACHE_STATS_URL),http://127.0.0.1:8010/metrics)

.PHONY: cache-clear
cache-clear: install ## Invalidate every cached read at once (moves the cache epoch)
	$(MANAGE) cache_clear
