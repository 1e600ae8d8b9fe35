"""Django REST Framework, JWT, throttle rates, pagination, filtering and the OpenAPI schema."""

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from .core import SECRET_KEY
from .env import env

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.SessionJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["workspaces.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["drf_orjson_renderer.renderers.ORJSONRenderer"],
    # orjson refuses what would crash or mislead later: nesting deeper than 1024 levels (the
    # standard library recurses until RecursionError), numbers beyond a double (inf), NaN.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.BoundedJSONParser"],
    # DRF's negotiation, answering the usual Accept values (none, */*, JSON) without parsing.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.negotiation.FastContentNegotiation",
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonRateThrottle",
        "core.throttling.UserRateThrottle",
        "core.throttling.BurstWriteThrottle",
        "core.throttling.SustainedWriteThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_RATE_ANON", default="100/hour"),
        "user": env("THROTTLE_RATE_USER", default="1000/hour"),
        "strict": env("THROTTLE_RATE_STRICT", default="5/minute"),
        "burst": env("THROTTLE_RATE_BURST", default="20/minute"),
        "sustained": env("THROTTLE_RATE_SUSTAINED", default="500/hour"),
    },
    # Trusted reverse-proxy hops in X-Forwarded-For (1 behind nginx); None trusts REMOTE_ADDR only.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=None),
    "DEFAULT_PAGINATION_CLASS": "core.pagination.QuerySelectedPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "core.errors.envelope_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# Member additions per user (workspaces/throttles.py): direct additions and invitations alike.
THROTTLE_RATE_MEMBER_ADD = env("THROTTLE_RATE_MEMBER_ADD", default="60/hour")

# Days a workspace invitation stays open (workspaces/commands.py invitation_create), at least 1.
INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", default=7)
if INVITATION_TTL_DAYS < 1:
    raise ImproperlyConfigured("INVITATION_TTL_DAYS must be at least 1.")

# Throttle scopes that never fail open when Redis is down: they count per process instead
# (core/throttle_fallback.py).
THROTTLE_FAIL_CLOSED_SCOPES = frozenset(env.list("THROTTLE_FAIL_CLOSED_SCOPES", default=["strict"]))

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "LEEWAY": 0,
    # Tokens carry the user's session epoch (accounts/sessions.py). Class paths, not secrets:
    "TOKEN_OBTAIN_SERIALIZER": "accounts.tokens.SessionTokenObtainPairSerializer",  # nosec B105
    "TOKEN_REFRESH_SERIALIZER": "accounts.tokens.SessionTokenRefreshSerializer",  # nosec B105
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Taskboard API",
    "DESCRIPTION": (
        "The REST API of the reference platform: workspaces, projects, labels, tasks and comments, "
        "JWT authentication, one error envelope for every failure."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs pages load Swagger UI and ReDoc from this site's static files (the installed
    # drf-spectacular-sidecar package): pinned by uv.lock, and working offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.add_error_responses",
        "core.schema.allow_empty_query_values",
    ],
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "tasks.models.TaskStatus",
        "TaskPriorityEnum": "tasks.models.TaskPriority",
        "RoleEnum": "workspaces.models.Role",
    },
}
