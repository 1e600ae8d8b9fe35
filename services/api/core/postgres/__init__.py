"""Django's PostgreSQL backend with a circuit breaker around getting a connection."""
