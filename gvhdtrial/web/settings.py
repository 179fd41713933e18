"""Django settings for the gvhdtrial service.

Database: embedded SQLite by default (WAL journal, writes in IMMEDIATE transactions), or
PostgreSQL when ``DATABASE_URL`` says so. Environment variables:

- ``GVHDTRIAL_HOME``: folder for the SQLite file, the generated secret key and sent mail
  (default ``./var``).
- ``GVHDTRIAL_SQLITE_PATH``: the SQLite file (default ``$GVHDTRIAL_HOME/gvhdtrial.sqlite3``).
- ``GVHDTRIAL_SQLITE_SYNCHRONOUS``: ``NORMAL`` (default; survives a process crash) or ``FULL``
  (also survives power loss).
- ``DATABASE_URL``: e.g. ``postgres://user@127.0.0.1:5432/gvhdtrial``.
- ``GVHDTRIAL_SECRET_KEY``: else one is generated at first run into ``$GVHDTRIAL_HOME``.
- ``GVHDTRIAL_TRIAL``: the trial definition file (default ``trials/jiang2024-phase2.toml``).
- ``GVHDTRIAL_EMAIL_BACKEND``: a Django email backend (default: the console);
  ``GVHDTRIAL_EMAIL_HOST``/``_PORT`` for SMTP; ``GVHDTRIAL_BASE_URL`` for links in e-mails.
- ``GVHDTRIAL_BEHIND_TLS``: ``1`` when the service is served over HTTPS by a reverse proxy
  (which sets ``X-Forwarded-Proto``): secure cookies, HSTS, HTTPS redirect. See the web README.
- ``GVHDTRIAL_ALLOWED_HOSTS``: extra host names, comma-separated (the deployment's name).
- ``GVHDTRIAL_SESSION_IDLE_MINUTES``: idle session timeout (default 30).
- ``GVHDTRIAL_LOGIN_FAILURE_LIMIT`` / ``GVHDTRIAL_LOGIN_COOLOFF_MINUTES``: a username from one
  address is locked out after that many wrong passwords (default 5) for that long (default 15).
- ``GVHDTRIAL_TOKEN_DAYS``: default lifetime of an API token (default 90).

Every file and folder the service creates is private to its account: the process umask is
set to ``077`` here (settings are imported first by every entry point) and the data folder is
created ``0700``.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url

from gvhdtrial.trial import current_definition as _current_definition

os.umask(0o077)  # SQLite file and its -wal/-shm, keys, exports, reports, mail: owner only


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) owner-only, and make it 0700 if it already existed."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


BASE_DIR = Path(__file__).resolve().parent
HOME = private_dir(Path(os.environ.get("GVHDTRIAL_HOME", Path.cwd() / "var")).resolve())


def _secret_key() -> str:
    if key := os.environ.get("GVHDTRIAL_SECRET_KEY"):
        return key
    path = HOME / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("GVHDTRIAL_DEBUG", "") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"] + [
    h.strip() for h in os.environ.get("GVHDTRIAL_ALLOWED_HOSTS", "").split(",") if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "axes",
    "csp",
    "gvhdtrial.web.sites.apps.SitesConfig",
    "gvhdtrial.web.lock",
    "gvhdtrial.web.audit",
    "gvhdtrial.web.patients",
    "gvhdtrial.web.randomization",
    "gvhdtrial.web.supply",
    "gvhdtrial.web.unblinding",
    "gvhdtrial.web.capture",
    "gvhdtrial.web.crf",
    "gvhdtrial.web.queries",
    "gvhdtrial.web.trialdef",
    "gvhdtrial.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "gvhdtrial.web.middleware.RejectNulCharacters",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gvhdtrial.web.middleware.UserLanguage",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "gvhdtrial.web.middleware.IdleSessionTimeout",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gvhdtrial.web.urls"
WSGI_APPLICATION = "gvhdtrial.web.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gvhdtrial.web.context.trial",
            ]
        },
    }
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=600)}
else:
    SQLITE_PATH = Path(os.environ.get("GVHDTRIAL_SQLITE_PATH", HOME / "gvhdtrial.sqlite3"))
    _sync = os.environ.get("GVHDTRIAL_SQLITE_SYNCHRONOUS", "NORMAL").upper()
    if _sync not in {"NORMAL", "FULL"}:
        raise ValueError("GVHDTRIAL_SQLITE_SYNCHRONOUS must be NORMAL or FULL")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    f"PRAGMA journal_mode=WAL; PRAGMA synchronous={_sync}; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;"
                ),
            },
            "TEST": {"NAME": os.environ.get("GVHDTRIAL_TEST_SQLITE_PATH") or None},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
_V = "django.contrib.auth.password_validation."
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": _V + "UserAttributeSimilarityValidator"},
    {"NAME": _V + "MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": _V + "CommonPasswordValidator"},
    {"NAME": _V + "NumericPasswordValidator"},
]

# ---------------------------------------------------------------- accounts (issue 10)
# Login throttling (django-axes): a username from one address is locked out after
# AXES_FAILURE_LIMIT wrong passwords for AXES_COOLOFF_TIME; the password re-entry of emergency
# unblinding and the password change page count towards the same limit.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("GVHDTRIAL_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(
    minutes=int(os.environ.get("GVHDTRIAL_LOGIN_COOLOFF_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # logins are in the audit trail
AXES_LOCKOUT_CALLABLE = "gvhdtrial.web.sites.auth.lockout_response"
AXES_CLIENT_IP_CALLABLE = "gvhdtrial.web.sites.auth.client_ip"
AXES_VERBOSE = False

#: Idle session timeout: a session unused this long is logged out (IdleSessionTimeout).
SESSION_IDLE_SECONDS = 60 * int(os.environ.get("GVHDTRIAL_SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_COOKIE_SAMESITE = "Lax"
#: API tokens: default lifetime when issued (``gvhdtrial web token create --days``).
TOKEN_DEFAULT_DAYS = int(os.environ.get("GVHDTRIAL_TOKEN_DAYS", "90"))

# Headers on every response. The pages load scripts and styles from /static/ only; the analysis
# report and the API docs carry inline styles and inline SVG/data images, hence those two.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
#: Deployment behind TLS (a reverse proxy terminating HTTPS and setting X-Forwarded-Proto).
BEHIND_TLS = os.environ.get("GVHDTRIAL_BEHIND_TLS", "") == "1"
if BEHIND_TLS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    CSRF_TRUSTED_ORIGINS = [f"https://{h}" for h in ALLOWED_HOSTS if not h.startswith("[")]
# Languages (issue 11): English and Simplified Chinese, chosen per user (the header's switch,
# stored in sites.Preference), else the language cookie, else the browser's Accept-Language.
# Catalogues: gvhdtrial/web/locale (pages) and gvhdtrial/locale (data model, analysis, report),
# both built by `make messages`.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR.parent / "locale"]
LANGUAGE_COOKIE_NAME = "gvhdtrial_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

#: How the analysis report is built: "thread" (in the background, the default) or "inline".
GVHDTRIAL_REPORT_BUILD = os.environ.get("GVHDTRIAL_REPORT_BUILD", "thread")

# Notification e-mails (issue 11): printed on the console by default; a real server with
# GVHDTRIAL_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend (EMAIL_HOST etc.), or
# files under $GVHDTRIAL_HOME/sent-mail with ...filebased.EmailBackend. Tests use locmem.
EMAIL_BACKEND = os.environ.get(
    "GVHDTRIAL_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_FILE_PATH = HOME / "sent-mail"  # created 0700 by the umask above
EMAIL_HOST = os.environ.get("GVHDTRIAL_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("GVHDTRIAL_EMAIL_PORT", "25"))
#: The service's address as users reach it, for the links in notification e-mails (empty: the
#: e-mail gives the path only).
GVHDTRIAL_BASE_URL = os.environ.get("GVHDTRIAL_BASE_URL", "")
DEFAULT_FROM_EMAIL = "gvhdtrial@localhost"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "gvhdtrial.web.logs.CurrentStderrHandler"}},
    "loggers": {"gvhdtrial": {"handlers": ["console"], "level": "INFO"}},
}

#: The trial's service configuration (not clinical rules: those live in gvhdtrial.protocol).
# The trial this service runs: one definition file (docs/trial_definition.md), $GVHDTRIAL_TRIAL
# or trials/jiang2024-phase2.toml. Arms, strata, ratio, block sizes and centres come from it.
TRIAL_DEFINITION = _current_definition()
GVHDTRIAL = {
    "arms": TRIAL_DEFINITION.arm_codes,
    "ratio": TRIAL_DEFINITION.ratio,
    "block_sizes": TRIAL_DEFINITION.block_sizes,
    # Extra stratification factors beyond the centre: name -> {screening value -> level}.
    "stratification_factors": TRIAL_DEFINITION.stratification_factors,
    "centres": tuple((c.code, c.name, c.name_zh) for c in TRIAL_DEFINITION.centres),
    "resupply_threshold": 2,
    "do_not_dispense_days": 7,  # a kit this close to expiry is not dispensed
}
