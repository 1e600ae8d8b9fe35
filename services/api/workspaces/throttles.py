"""Member additions are rate-limited on their own: anyone may create a workspace and add user
ids to it, and each addition shows the added user's name. The general write limits would let
one account learn 500 names an hour; this keeps it to THROTTLE_RATE_MEMBER_ADD (60/hour)."""

from typing import Any

from django.conf import settings

from core.throttling import SharedRateThrottle


class MemberAddThrottle(SharedRateThrottle):
    scope = "member_add"

    def get_rate(self) -> str | None:
        return str(settings.THROTTLE_RATE_MEMBER_ADD)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
