"""The request type of views that only authenticated users reach."""

from django.contrib.auth.models import User
from rest_framework.request import Request


class AuthenticatedRequest(Request):
    """A DRF request behind IsAuthenticated (or stricter): `user` is never anonymous."""

    user: User
