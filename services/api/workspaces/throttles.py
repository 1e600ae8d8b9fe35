"""Member additions are rate-limited on their own: anyone may create a workspace and add user
ids to it. An id that shares no workspace with the caller only gets an invitation, which shows
nothing about the account (commands.member_add_or_invite), but each one is a row and a notice
to whoever has the id; THROTTLE_RATE_MEMBER_ADD (60/hour) keeps that from becoming spam."""

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
