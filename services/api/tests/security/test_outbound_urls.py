"""No client input becomes a URL the platform fetches (OWASP API7). The one URL an operator
gives, `manage.py cache_stats --url`, must be an http(s) one."""

import pytest
from django.core.management import CommandError, call_command


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/metrics", "gopher://127.0.0.1:6379/_INFO"]
)
def test_cache_stats_reads_only_http_urls(url: str) -> None:
    with pytest.raises(CommandError, match="http"):
        call_command("cache_stats", url=url)
