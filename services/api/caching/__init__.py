"""Caching on Redis, as a toolkit that knows no model: cache-aside, generations, stampede
protection, stored responses, the one-round-trip read, the write-through and write-behind
mechanisms and the operators' commands. Each domain app owns its cached reads, keys,
representations, write-through and receivers (docs/caching.md, docs/architecture.md)."""
