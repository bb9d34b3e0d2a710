"""Settings, read from the environment only.

Django's own knobs are ``DJANGO_*``, ours are ``GUIDES_*``, the database is ``DATABASE_URL``.
A malformed value stops start-up with ``ImproperlyConfigured`` naming the variable, whether or
not the value is used: here, not as a traceback from deep inside Django or a worker later on.
"""

import os
import re
import secrets
import tempfile
import warnings
import zoneinfo
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from guides_processor.content import ContentPathError, normalize_path
from guides_processor.webhook_urls import password_hidden, url_problem

# Lets the admin classes name their model (``ModelAdmin[Asset]``) for the type checker; Django's
# own classes cannot be subscripted at run time without it.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false).")


def env_int(name: str, default: int, *, minimum: int = 1, maximum: int) -> int:
    """The whole number in ``name``, from ``minimum`` to ``maximum``, else ``default``.

    Every number has a maximum: a huge one would be accepted here and then overflow a date or a
    timeout in a worker, failing every execution instead of start-up.
    """
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    # Digits alone: int() would also take "1_0" and " 3 ", which the table does not offer.
    if not re.fullmatch(r"-?[0-9]+", raw):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be from {minimum} to {maximum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# The levels the settings table names (logging also knows NOTSET, WARN and FATAL, aliases and a
# non-level that the table does not offer).
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def env_log_level(name: str, default: str) -> str:
    """A level name of ``logging``, in capitals (django-q2 looks it up as ``logging.<name>``)."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    level = raw.strip().upper()
    if level not in _LOG_LEVELS:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a log level (use DEBUG, INFO, WARNING, ERROR or CRITICAL)."
        )
    return level


def env_time_zone(name: str, default: str) -> str:
    """The IANA time zone name in ``name``, else ``default``. One that ``zoneinfo`` cannot find
    is refused here: Django would raise a ValueError after reading the settings."""
    value = os.environ.get(name) or default
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        # Names are case-sensitive: 'utc' is not found, 'UTC' is.
        alike = [zone for zone in zoneinfo.available_timezones() if zone.lower() == value.lower()]
        hint = f"; did you mean {alike[0]!r}?" if alike else "."
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a time zone (use an IANA name such as 'UTC' or "
            f"'Europe/Paris'){hint}"
        ) from None
    return value


def _private_folder(path: Path, name: str) -> None:
    """Create ``path`` if it is missing, readable by this user only (mode 0700): it holds the
    secret key and the database, with its session keys and password hashes. A folder that
    exists already is left as its owner made it."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ImproperlyConfigured(
            f"{name}: cannot create the folder {path}: {error.strerror or error}."
        ) from None


def _create_private_file(path: Path, text: str) -> None:
    """Create ``path`` with ``text``, readable by this user only from the start (mode 0600);
    FileExistsError when it exists."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


# Where the embedded database and the generated secret key live.
DATA_DIR = Path(env_str("GUIDES_DATA_DIR", "data")).absolute()

DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
# Empty, Django would answer every request 400 (with DEBUG off) while serve says all is well.
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is set but empty: name the hosts the console is reached by "
        "(comma-separated, '*' for any), or unset it for 127.0.0.1,localhost,[::1]."
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    # Django checks this only in its system checks, which a bare WSGI server never runs.
    # A scheme and a host (with a port, or a "*." subdomain wildcard), and no path.
    if not re.match(r"https?://[^/]+$", _origin):
        raise ImproperlyConfigured(
            f"DJANGO_CSRF_TRUSTED_ORIGINS: {_origin!r} is not an origin; give the scheme and the "
            "host, such as https://console.example.org."
        )


def _secret_key() -> str:
    """The key from ``DJANGO_SECRET_KEY``, else one generated once and kept in the data folder.

    Several hosts sharing a database must share the key (django-q2 signs task payloads with it),
    so a scaled-out installation sets ``DJANGO_SECRET_KEY`` explicitly.
    """
    key = os.environ.get("DJANGO_SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    except OSError as error:
        raise ImproperlyConfigured(
            f"GUIDES_DATA_DIR: cannot read {path}: {error.strerror or error}."
        ) from None
    _private_folder(DATA_DIR, "GUIDES_DATA_DIR")
    key = secrets.token_urlsafe(50)
    try:
        _create_private_file(path, key)
    except FileExistsError:  # another process starting at the same moment was first
        return path.read_text().strip()
    except OSError as error:
        raise ImproperlyConfigured(
            f"GUIDES_DATA_DIR: cannot write {path}: {error.strerror or error}."
        ) from None
    return key


SECRET_KEY = _secret_key()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_q",
    "ninja",  # serves the API docs page with its own static files, no CDN
    "axes",  # counts failed sign-ins in the database, so every process and host sees them
    "guides_processor",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "guides_processor.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "guides_processor.middleware.ApiGuardMiddleware",
    "guides_processor.middleware.NoStoreMiddleware",
    # Last, as django-axes asks: it turns a throttled sign-in into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "guides_processor.urls"
WSGI_APPLICATION = "guides_processor.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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


def _databases() -> dict[str, dj_database_url.DBConfig]:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'db.sqlite3'}"
    scheme = urlsplit(url).scheme
    # Read whatever the database, so that a malformed value is said before it is ever used.
    conn_max_age = env_int("GUIDES_DB_CONN_MAX_AGE", 60, minimum=0, maximum=86_400)
    # dj-database-url knows MySQL, Oracle and more, but the engine's SQL is written for these two.
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL={password_hidden(url)!r}: only SQLite (sqlite:///path) and PostgreSQL "
            "(postgres://user:password@host:5432/name) are supported."
        )
    try:
        db = dj_database_url.parse(url)
    except Exception as exc:  # the library raises several types for one mistake
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from None
    if scheme == "sqlite":
        named = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "GUIDES_DATA_DIR"
        _sqlite_file(str(db["NAME"]), named)
        # Writers queue on a lock file rather than sleeping in SQLite's busy handler.
        db["ENGINE"] = "guides_processor.sqlite"
        # Several worker processes write at once: WAL lets readers run beside the writer,
        # IMMEDIATE takes the write lock when a transaction begins (so two writers queue on the
        # busy timeout instead of failing on lock upgrade), and the busy timeout waits for it.
        # Sorts larger than the cache spill to temporary files (which the system's cache holds)
        # rather than to the worker's memory: a million-file finish sorts its 6.4 million
        # references for Used in, some 300 MB. The page cache is 16 MB: with 64 MB a worker held
        # 38 to 49 MB more at its peak, and the finish took as long (100,000 files: 6.5 and
        # 7.2 s against 6.9 and 7.0 s; a million: 81.0 s against 81.2 s).
        db["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; "
                "PRAGMA cache_size=-16384; PRAGMA temp_store=FILE;"
            ),
        }
        # The test database is a file, so that clusters started by the tests can share it; one per
        # test run, so that runs side by side do not share one.
        test_name = Path(tempfile.gettempdir()) / f"guides-test-{os.getpid()}.sqlite3"
        db["TEST"] = {"NAME": str(test_name)}
    else:
        db["CONN_MAX_AGE"] = conn_max_age
        db["CONN_HEALTH_CHECKS"] = True
    return {"default": db}


def _sqlite_file(name: str, named: str) -> None:
    """Create the folder of an SQLite database and the database itself (empty) when they are
    missing, both private to this user: SQLite would create the file readable by all, and its
    WAL and shared-memory files take the database's mode. ``named`` is the variable to blame."""
    if name in {"", ":memory:"}:
        return
    path = Path(name)
    _private_folder(path.parent, named)
    try:
        _create_private_file(path, "")
    except FileExistsError:
        pass
    except OSError as error:
        raise ImproperlyConfigured(
            f"{named}: cannot create the database {path}: {error.strerror or error}."
        ) from None


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes' backend comes first: a throttled sign-in is refused before any password is hashed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# After this many failed sign-ins (the form or HTTP Basic) for one username, or from one client
# address, within the cool-off of each other, sign-ins are refused with 429 for the cool-off.
AXES_FAILURE_LIMIT = env_int("GUIDES_SIGNIN_FAILURE_LIMIT", 10, maximum=1000)
AXES_COOLOFF_TIME = timedelta(seconds=env_int("GUIDES_SIGNIN_COOLOFF_SECONDS", 300, maximum=86_400))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "guides_processor.middleware.signin_lockout_response"
AXES_CLIENT_IP_CALLABLE = "guides_processor.middleware.client_address"
# Reverse proxies in front of the server that append the client's address to X-Forwarded-For.
GUIDES_TRUSTED_PROXIES = env_int("GUIDES_TRUSTED_PROXIES", 0, minimum=0, maximum=10)
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "guides_processor:tools"
LOGOUT_REDIRECT_URL = "login"

# Behind a TLS-terminating proxy (which sets X-Forwarded-Proto): cookies only over HTTPS, HSTS,
# and requests the proxy received over HTTPS are known to be secure.
SECURE = env_bool("DJANGO_SECURE", False)
# Read even while SECURE is off, so that a malformed value is said before it is turned on.
_hsts_seconds = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000, minimum=0, maximum=63_072_000)
if SECURE:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = _hsts_seconds

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_time_zone("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The console's CSS and JavaScript live in the project's static/ folder, beside templates/.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders when collectstatic has not run (the one-command start);
# the Docker image collects them at build time.
WHITENOISE_USE_FINDERS = True
# ...and so it need not warn that STATIC_ROOT is missing until collectstatic has run.
warnings.filterwarnings("ignore", message=f"No directory at: {re.escape(str(STATIC_ROOT))}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "guides_processor": {
            "handlers": ["console"],
            "level": env_log_level("GUIDES_LOG_LEVEL", "INFO"),
        },
    },
}

# --- Guides Asset Processor -------------------------------------------------------------------

GUIDES_CONTENT_ROOT = Path(env_str("GUIDES_CONTENT_ROOT", "content")).absolute()
# A folder, or nothing yet (serve creates it, with demo content): a file there would be found out
# only by the first walk, or by serve after it had made the account.
if GUIDES_CONTENT_ROOT.exists() and not GUIDES_CONTENT_ROOT.is_dir():
    raise ImproperlyConfigured(
        f"GUIDES_CONTENT_ROOT={str(GUIDES_CONTENT_ROOT)!r} is not a folder; name the folder "
        "shown as /content/dam."
    )
# How many executions process at once; the rest wait in the queue.
GUIDES_MAX_RUNNING = env_int("GUIDES_MAX_RUNNING", 1, maximum=1000)
# Worker processes of a cluster started here, and tasks run side by side for one execution.
# The most worker processes one host's cluster may start (``serve --workers`` is held to it too).
WORKERS_MAXIMUM = 256
GUIDES_WORKERS = env_int("GUIDES_WORKERS", 2, maximum=WORKERS_MAXIMUM)
GUIDES_PARALLEL_TASKS = env_int("GUIDES_PARALLEL_TASKS", GUIDES_WORKERS, maximum=1024)
# The most items a task claims at once (it claims fewer while files are slow to process: see
# engine/slot.py's next_batch_size), and how long the claim holds before another task may take it.
GUIDES_BATCH_SIZE = env_int("GUIDES_BATCH_SIZE", 400, maximum=10_000)
GUIDES_LEASE_SECONDS = env_int("GUIDES_LEASE_SECONDS", 120, maximum=3600)
# How long one task works before it hands over to its continuation.
GUIDES_TASK_SECONDS = env_int("GUIDES_TASK_SECONDS", 20, maximum=3600)
# An execution whose heartbeat is older than this is re-enqueued by the watchdog.
GUIDES_STALE_SECONDS = env_int("GUIDES_STALE_SECONDS", 90, maximum=3600)
# How often each worker process runs the watchdog (0: only the scheduled run, every minute).
GUIDES_WATCHDOG_SECONDS = env_int("GUIDES_WATCHDOG_SECONDS", 15, minimum=0, maximum=3600)
# How often each worker process of a cluster writes its heartbeat (how the command line sees at
# once whether a cluster runs; one is alive while a heartbeat is fresher than three of these).
GUIDES_HEARTBEAT_SECONDS = env_int("GUIDES_HEARTBEAT_SECONDS", 2, maximum=300)
# Worker processes of `process_assets --wait` when no cluster runs (default: one per core).
GUIDES_INLINE_PROCESSES = env_int(
    "GUIDES_INLINE_PROCESSES", len(os.sched_getaffinity(0)), maximum=1024
)
# With filterProcessedAssets, a file whose size and mtime equal those of its last successful
# processing is skipped without being read; true: read it and compare checksums as well.
GUIDES_VERIFY_CHECKSUM = env_bool("GUIDES_VERIFY_CHECKSUM", False)
# The link pass of a finish judges key references in a helper process (beside the rest of the
# pass) when it judges the references of at least this many assets (0: never; engine/keyhelper.py).
GUIDES_LINK_HELPER_ASSETS = env_int(
    "GUIDES_LINK_HELPER_ASSETS", 10_000, minimum=0, maximum=1_000_000_000
)
# XML-based assets larger than this fail instead of being parsed.
GUIDES_MAX_XML_BYTES = env_int("GUIDES_MAX_XML_BYTES", 32 * 1024 * 1024, maximum=1024 * 1024 * 1024)
# An asset with more outgoing references than this fails (with none recorded) instead of
# writing a row for each: one generated file must not multiply into millions of rows.
GUIDES_MAX_REFERENCES_PER_ASSET = env_int(
    "GUIDES_MAX_REFERENCES_PER_ASSET", 10_000, maximum=1_000_000
)

# Webhooks: every execution that ends (SUCCESS, FAILED, CANCELLED) is POSTed to each of these, and
# to the start request's notify.url, signed with the secret (executions/webhooks.py).
GUIDES_WEBHOOK_URLS = env_list("GUIDES_WEBHOOK_URLS", [])
GUIDES_WEBHOOK_SECRET = env_str("GUIDES_WEBHOOK_SECRET", "")
GUIDES_WEBHOOK_TIMEOUT_SECONDS = env_int("GUIDES_WEBHOOK_TIMEOUT_SECONDS", 10, maximum=120)
for _url in GUIDES_WEBHOOK_URLS:
    _problem = url_problem(_url)
    if _problem:
        raise ImproperlyConfigured(f"GUIDES_WEBHOOK_URLS: {password_hidden(_url)!r} {_problem}.")
# Unsigned notifications could be forged by anyone who can reach a receiver, and signing with the
# secret key would hand that key to every receiver: without a secret there are none.
if GUIDES_WEBHOOK_URLS and not GUIDES_WEBHOOK_SECRET:
    raise ImproperlyConfigured(
        "GUIDES_WEBHOOK_URLS is set but GUIDES_WEBHOOK_SECRET is not; notifications are signed "
        "with it, so set both."
    )
# GET /metrics also accepts this as a bearer token (for a Prometheus without a user account).
GUIDES_METRICS_TOKEN = env_str("GUIDES_METRICS_TOKEN", "")
# Log lines and manifest rows of executions finished more than this many days ago are deleted
# once a day (the executions, their counts and their status stay); 0 keeps them forever.
GUIDES_LOG_RETENTION_DAYS = env_int("GUIDES_LOG_RETENTION_DAYS", 90, minimum=0, maximum=36_500)

# Automation (executions/catchup.py, executions/watch.py). Every GUIDES_CATCHUP_SECONDS one worker
# process looks under GUIDES_CATCHUP_PATHS for files new or changed since their last processing
# (and assets whose file is gone) and queues one execution over them; 0 turns it off. The period
# is kept by the workers' own thread, not django-q2's scheduler (which counts in minutes).
GUIDES_CATCHUP_SECONDS = env_int("GUIDES_CATCHUP_SECONDS", 900, minimum=0, maximum=604_800)
if 0 < GUIDES_CATCHUP_SECONDS < 5:
    raise ImproperlyConfigured(
        f"GUIDES_CATCHUP_SECONDS={GUIDES_CATCHUP_SECONDS} must be 0 (off) or at least 5."
    )
GUIDES_CATCHUP_PATHS = env_list("GUIDES_CATCHUP_PATHS", ["/content/dam"])
if not GUIDES_CATCHUP_PATHS:
    # Set but empty: most likely a value lost on its way; leaving it out means the whole root.
    raise ImproperlyConfigured(
        "GUIDES_CATCHUP_PATHS is set but names no folder; name folders of /content/dam, or leave "
        "it out for all of it."
    )
# Their form is checked here (a path outside /content/dam, or with '..', can never be scanned);
# whether each is a folder on disk is the catch-up's to find each time: one may come later.
for _path in GUIDES_CATCHUP_PATHS:
    try:
        normalize_path(_path, field="GUIDES_CATCHUP_PATHS")
    except ContentPathError as _error:
        raise ImproperlyConfigured(str(_error)) from None
# With GUIDES_WATCH, one process (serve's or a cluster's) watches the catch-up paths and runs a
# catch-up GUIDES_WATCH_DEBOUNCE_SECONDS after the last change of a burst.
GUIDES_WATCH = env_bool("GUIDES_WATCH", False)
GUIDES_WATCH_DEBOUNCE_SECONDS = env_int("GUIDES_WATCH_DEBOUNCE_SECONDS", 5, maximum=3600)

GUIDES_BROKER_URL = env_str("GUIDES_BROKER_URL", "")
_task_timeout = env_int("GUIDES_TASK_TIMEOUT", max(300, GUIDES_TASK_SECONDS * 10), maximum=86_400)
# django-q2 kills a task at the timeout. A task works for GUIDES_TASK_SECONDS, then finishes the
# batch in hand and writes it before it hands over: killed before that, its slot waits for the
# watchdog, and killed every time, its execution stalls.
if _task_timeout < 2 * GUIDES_TASK_SECONDS + 30:
    raise ImproperlyConfigured(
        f"GUIDES_TASK_TIMEOUT={_task_timeout} must be at least {2 * GUIDES_TASK_SECONDS + 30}, "
        f"twice GUIDES_TASK_SECONDS={GUIDES_TASK_SECONDS} plus 30: a task killed before it "
        "hands over stalls its execution."
    )
Q_CLUSTER: dict[str, Any] = {
    "name": env_str("GUIDES_CLUSTER_NAME", "guides"),
    "workers": GUIDES_WORKERS,
    "recycle": 200,
    # Take a task off the broker only when a worker is about to be free: a cluster hoarding
    # tasks would starve the others, and what a dead cluster hoarded waits for `retry`.
    "queue_limit": 1,
    # A task works for GUIDES_TASK_SECONDS and is killed at `timeout`; the broker redelivers an
    # unacknowledged task only after `retry`, which is longer, so no task runs twice at once.
    "timeout": _task_timeout,
    "retry": _task_timeout + 60,
    "max_attempts": 2,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 250,
    "poll": 0.2,
    "label": "Task queue",
    # django-q2 logs every task it enqueues and runs at INFO; our own log says what matters.
    "log_level": env_log_level("GUIDES_QUEUE_LOG_LEVEL", "WARNING"),
}


def _broker_problem(url: str) -> str | None:
    """Why ``url`` is not a Redis address, as the end of a sentence; None when it is one."""
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        return "is not a redis://, rediss:// or unix:// URL"
    try:
        parts.port  # noqa: B018 (reading it validates it)
    except ValueError as error:
        return f"has a malformed port ({error})"
    # redis-py silently uses database 0 when the path is not a number (the path of unix:// is
    # the socket's; its database is the query's db=).
    path = parts.path.strip("/") if parts.scheme != "unix" else ""
    for database in [path, *parse_qs(parts.query).get("db", [])]:
        if database and not re.fullmatch(r"[0-9]+", database):
            return f"names the database {database!r}, which is not a number (redis://host:6379/0)"
    return None


if GUIDES_BROKER_URL:
    _broker = _broker_problem(GUIDES_BROKER_URL)
    if _broker:
        raise ImproperlyConfigured(
            f"GUIDES_BROKER_URL={password_hidden(GUIDES_BROKER_URL)!r} {_broker}."
        )
    Q_CLUSTER["redis"] = GUIDES_BROKER_URL
else:
    Q_CLUSTER["orm"] = "default"
