"""Caching on Redis: cache-aside reads, write-through on commands, write-behind of task views,
invalidation by generations, stampede protection and the operators' commands (docs/caching.md)."""
