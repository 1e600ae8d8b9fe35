import zoneinfo
from functools import cache

from django.contrib.auth import get_user_model
from rest_framework import serializers

from accounts.models import Profile
from core.serializers import StrictModelSerializer, StrictSerializer


class RegisterSerializer(StrictSerializer):
    username = serializers.RegexField(r"^[\w.@+-]{3,150}$", max_length=150)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True, max_length=128, style={"input_type": "password"}
    )


class UserCreatedSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email"]


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class ProfileSerializer(StrictModelSerializer):
    class Meta:
        model = Profile
        fields = ["display_name", "bio", "timezone"]
        extra_kwargs = {"timezone": {"help_text": "An IANA time zone name, e.g. Europe/Paris."}}

    def validate_timezone(self, value: str) -> str:
        # Without a time zone database on the host there is nothing to check against.
        if _time_zones() and value not in _time_zones():
            raise serializers.ValidationError("Not a known IANA time zone, e.g. Europe/Paris.")
        return value


class MeSerializer(StrictModelSerializer):
    profile = ProfileSerializer(required=False)

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "first_name", "last_name", "profile", "date_joined"]
        read_only_fields = ["id", "username", "date_joined"]


class LogoutSerializer(StrictSerializer):
    refresh = serializers.CharField()


class PasswordChangeSerializer(StrictSerializer):
    old_password = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128)
