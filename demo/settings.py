"""Settings of the demo project, read from the environment.

Every value a deployment changes comes from an environment variable (parsed by
django-environ), with defaults that make ``make demo`` work on a fresh clone:

    DATABASE_URL   sqlite:///var/demo.sqlite3 (default) or postgres://user@host:5432/name
    DEBUG          true for local development; false in production
    SECRET_KEY     required when DEBUG is false; a fixed dev key is used only when DEBUG
    ALLOWED_HOSTS  comma-separated; defaults to localhost names when DEBUG
    LOG_LEVEL      level of the toolkit.* and demo.* loggers (default INFO)
    TOOLKIT_AI_BASE_URL, TOOLKIT_AI_MODEL, OPENAI_API_KEY
                   an OpenAI-compatible endpoint for the AI actions; unset, the local
                   model that `make demo` (or `make llm`) serves on 127.0.0.1:$LLM_PORT
                   (8001)
    LLM_STATUS_FILE
                   set by `make demo`: the local model's status file, read for the
                   notice on the admin's pages while the model is not ready
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from toolkit.compat import HAS_BUILTIN_CSP, HAS_BUILTIN_TASKS

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-demo-only-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. With DEBUG=false the demo refuses to start without one: "
        "export SECRET_KEY to a long random string (python -c 'import secrets; "
        "print(secrets.token_urlsafe(50))')."
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "import_export",
    "toolkit",
    "toolkit.admin_ext",
    "toolkit.jobs",
    "toolkit.ai",
    "demo.catalog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # admin/base_site.html: the local model's notice (demo/context_processors.py).
        "DIRS": [BASE_DIR / "demo" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "demo.context_processors.local_model",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'demo.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a seeder or worker writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "demo" / "static"]

# --- Background tasks ---------------------------------------------------------------
# Work runs through Django's tasks framework (the django-tasks backport on Django 5.2);
# the demo queues in its own database and `make demo` starts the db_worker (Procfile)
# beside `manage.py resume_jobs --every 30`, which queues again a job whose worker
# stopped (its lease expired without a heartbeat).
if not HAS_BUILTIN_TASKS:
    INSTALLED_APPS.append("django_tasks")
INSTALLED_APPS.append("django_tasks_db")
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}
# Job results (exports) are files in the default storage, served only through the
# owner-checked download view of toolkit.jobs: MEDIA_ROOT has no public URL here.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# --- AI endpoints ---------------------------------------------------------------------
# The key is read from OPENAI_API_KEY at each request (API_KEY_ENV names the variable),
# never stored in settings.
_AI_BASE_URL = env.str("TOOLKIT_AI_BASE_URL", default="")
if _AI_BASE_URL:
    TOOLKIT_AI = {
        "default": {
            "BASE_URL": _AI_BASE_URL,
            "MODEL": env.str("TOOLKIT_AI_MODEL", default="gpt-4o-mini"),
            "API_KEY_ENV": "OPENAI_API_KEY" if env.str("OPENAI_API_KEY", default="") else None,
        }
    }
else:
    TOOLKIT_AI = {
        "default": {
            "BASE_URL": f"http://127.0.0.1:{env.int('LLM_PORT', default=8001)}/v1",
            "MODEL": env.str("TOOLKIT_AI_MODEL", default="gemma-3-270m"),
            # A CPU model: seconds per answer, one at a time; llama-cpp-python's "gemma"
            # chat format drops system messages, so they are folded into the user message.
            # Answers come from background jobs: wait long (a busy 2-core machine takes
            # minutes for a long answer) and retry once, since llama.cpp finishes an
            # abandoned answer before it starts the retry.
            "TIMEOUT": 300,
            "MAX_RETRIES": 1,
            "CONCURRENCY": 1,
            "MAX_TOKENS": 256,
            "MERGE_SYSTEM_PROMPT": True,
            # llama-cpp-python's server refuses json_schema (a 500) and turns the schema
            # of a json_object request into a grammar: ask for that form first.
            "RESPONSE_FORMAT": "json_object_with_schema",
            "OPTIONS": {"temperature": 0},
            # While the model is being installed (or starting, or failed), an AI action
            # says so and queues nothing: the status file below says where it stands.
            "UNAVAILABLE_REASON": "demo.local_model.unavailable_reason",
        }
    }
# What the local model is doing (being installed, failed), shown atop the admin's pages
# until it answers: scripts/run-demo (`make demo`) sets LLM_STATUS_FILE for every process
# it starts; scripts/local-llm writes the file (demo/local_model.py).
DEMO_LOCAL_MODEL_STATUS_FILE = None if _AI_BASE_URL else env.str("LLM_STATUS_FILE", default="")
# Seconds per record on a CPU: every AI action on the local model runs as a background
# job (the db_worker of the Procfile), so no request ever waits for it. A hosted endpoint
# answers fast enough for small selections in the request (the default, 10 records).
TOOLKIT_AI_BACKGROUND_THRESHOLD = env.int(
    "TOOLKIT_AI_BACKGROUND_THRESHOLD", default=10 if _AI_BASE_URL else 0
)

# --- Security -------------------------------------------------------------------------
# Production values (DEBUG=false) make `manage.py check --deploy` report nothing.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = 0 if DEBUG else 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if not DEBUG else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if HAS_BUILTIN_CSP:
    # A strict policy: no inline scripts or styles, nothing from other origins. The
    # admin and every page of the toolkit work under it (tests/browser checks that the
    # browser reports no violation).
    from django.utils.csp import CSP

    MIDDLEWARE.insert(1, "django.middleware.csp.ContentSecurityPolicyMiddleware")
    SECURE_CSP = {
        "default-src": [CSP.SELF],
        "script-src": [CSP.SELF],
        "style-src": [CSP.SELF],
        "img-src": [CSP.SELF, "data:"],
        "font-src": [CSP.SELF],
        "connect-src": [CSP.SELF],
        "object-src": [CSP.NONE],
        "base-uri": [CSP.NONE],
        "frame-ancestors": [CSP.NONE],
        "form-action": [CSP.SELF],
    }

# --- Logging: one place, named loggers ------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "toolkit": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "demo": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
