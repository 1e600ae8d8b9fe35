"""`make report`: the production-readiness report (docs/readiness.md, docs/readiness.json) from
the evidence of the latest runs and the full runs on record. See concerns.toml and
docs/readiness.md."""
