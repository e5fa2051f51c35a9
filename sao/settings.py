"""SAO settings, read from strict environment variables.

SQLite under var/ is the default database; DATABASE_URL selects PostgreSQL in production.
Attendance policy (schedules, grace, deductions) lives in the database, never here.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from sao.env import EnvError, demo_secret_key, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SAO_VAR_DIR", str(BASE_DIR / "var")))

PRODUCTION = env_bool("SAO_PRODUCTION", False)
# Off unless asked for: the demo is what new users see, and debug pages show internals.
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if PRODUCTION:
        raise EnvError("SECRET_KEY is required when SAO_PRODUCTION=true.")
    SECRET_KEY = demo_secret_key(VAR_DIR)
elif PRODUCTION and len(SECRET_KEY) < 50:
    raise EnvError("SECRET_KEY must be at least 50 characters long in production.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise EnvError("ALLOWED_HOSTS is required when SAO_PRODUCTION=true, e.g. sao.kaltimprov.go.id.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_htmx",
    "huey.contrib.djhuey",
    "sao.core",
    "sao.audit",
    "sao.org",
    "sao.devices",
    "sao.calendars",
    "sao.attendance",
    "sao.absences",
    "sao.notify",
    "sao.faults",
    "sao.reports",
    "sao.demo",
]

MIDDLEWARE = [
    # Serves the device endpoints under /iclock/ without the middlewares below.
    "sao.devices.middleware.IclockMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sao.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sao.urls"
WSGI_APPLICATION = "sao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "sao" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sao.core.context_processors.permissions",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'sao.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web app read while the device endpoints and workers write.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login lockout: five failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "sao.core.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "sao" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Makassar"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

REDIS_URL = env_str("REDIS_URL")
HUEY = {
    "name": "sao",
    "immediate": env_bool("HUEY_IMMEDIATE", False),
    # An idle consumer polls the queue at most max_delay seconds apart, so a late punch is
    # recomputed within about a second.
    "consumer": {"workers": env_int("HUEY_WORKERS", 2), "worker_type": "thread", "max_delay": 1.0},
}
if REDIS_URL:
    HUEY |= {"huey_class": "huey.RedisHuey", "connection": {"url": REDIS_URL}}
else:
    HUEY |= {"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "huey.sqlite3")}

# Upload limits: employee master files from SIMPEG exports reach a few MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
SAO_IMPORT_MAX_BYTES = env_int("SAO_IMPORT_MAX_BYTES", 20 * 1024 * 1024)

# A device is offline after this many seconds without contact. A clock offset over the limit
# puts the device's punches under review, and a punch further ahead of the receive time than
# the tolerance is quarantined.
SAO_DEVICE_OFFLINE_AFTER_SECONDS = env_int("SAO_DEVICE_OFFLINE_AFTER_SECONDS", 600)
SAO_DEVICE_CLOCK_MAX_OFFSET_SECONDS = env_int("SAO_DEVICE_CLOCK_MAX_OFFSET_SECONDS", 300)
SAO_PUNCH_FUTURE_TOLERANCE_SECONDS = env_int("SAO_PUNCH_FUTURE_TOLERANCE_SECONDS", 600)
SAO_PUSH_MAX_BODY_BYTES = env_int("SAO_PUSH_MAX_BODY_BYTES", 4 * 1024 * 1024)
SAO_DEVICE_COMMAND_RESEND_SECONDS = env_int("SAO_DEVICE_COMMAND_RESEND_SECONDS", 600)

# Notifications: gateway "gammu", "http", "email" or "none" (messages are only stored).
SAO_NOTIFY = {
    "gateway": env_str("SAO_NOTIFY_GATEWAY", "none"),
    "gammu_config": env_str("SAO_GAMMU_CONFIG", "/etc/gammu-smsdrc"),
    "gammu_inbox": env_str("SAO_GAMMU_INBOX", ""),
    "gammu_sql_url": env_str("SAO_GAMMU_SQL_URL", ""),
    "http_url": env_str("SAO_NOTIFY_HTTP_URL", ""),
    "http_token": env_str("SAO_NOTIFY_HTTP_TOKEN", ""),
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs every layout step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
