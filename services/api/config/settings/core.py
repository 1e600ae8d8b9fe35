"""Applications, middleware, templates, static files and internationalisation."""

from .env import BASE_DIR, env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-development-only-key")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Whether `manage.py seed_demo` may create its publicly known login (production.py says no).
DEMO_DATA_ALLOWED = env.bool("DEMO_DATA_ALLOWED", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
SERVICE_NAME = env("SERVICE_NAME", default="api")

INSTALLED_APPS = [
    "accounts.admin_site.ThrottledAdminConfig",  # django.contrib.admin, login throttled
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "core",
    "eventstore",
    "accounts",
    "workspaces",
    "tasks",
    "milestones",
]

MIDDLEWARE = [
    "core.request_id.RequestIdMiddleware",
    "core.request_log.RequestLogMiddleware",
    "core.errors.ErrorEnvelopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Sessions, the session user and messages: Django's, skipped on /api/v1/ where bearer tokens
    # need none of them (core/browser_middleware.py); the same order as Django's.
    "core.browser_middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "core.browser_middleware.AuthenticationMiddleware",
    "eventstore.context.CommandContextMiddleware",
    "core.browser_middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Paths end with a slash by contract; a missing slash is a 404 in the envelope rather than a
# redirect that would silently drop a POST body.
APPEND_SLASH = False

# Bodies above this are refused with 413 before any view reads them.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
