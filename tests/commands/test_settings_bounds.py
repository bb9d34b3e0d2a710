"""Settings from the environment: a value the README's Configuration table does not accept stops
start-up in one line naming it, whether or not it is used, and every number has a maximum."""

import contextlib
import os
import re
import runpy
import socket
import sqlite3
import stat
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.commands import manage, own_env

PROJECT = Path(__file__).resolve().parents[2]
SETTINGS = PROJECT / "guides_processor" / "settings.py"

# Every whole number read from the environment, with the range it accepts.
BOUNDS = [
    ("DJANGO_SECURE_HSTS_SECONDS", 0, 63_072_000),
    ("GUIDES_DB_CONN_MAX_AGE", 0, 86_400),
    ("GUIDES_SIGNIN_FAILURE_LIMIT", 1, 1000),
    ("GUIDES_SIGNIN_COOLOFF_SECONDS", 1, 86_400),
    ("GUIDES_TRUSTED_PROXIES", 0, 10),
    ("GUIDES_MAX_RUNNING", 1, 1000),
    ("GUIDES_WORKERS", 1, 256),
    ("GUIDES_PARALLEL_TASKS", 1, 1024),
    ("GUIDES_BATCH_SIZE", 1, 10_000),
    ("GUIDES_LEASE_SECONDS", 1, 3600),
    ("GUIDES_TASK_SECONDS", 1, 3600),
    ("GUIDES_STALE_SECONDS", 1, 3600),
    ("GUIDES_WATCHDOG_SECONDS", 0, 3600),
    ("GUIDES_HEARTBEAT_SECONDS", 1, 300),
    ("GUIDES_INLINE_PROCESSES", 1, 1024),
    ("GUIDES_LINK_HELPER_ASSETS", 0, 1_000_000_000),
    ("GUIDES_MAX_XML_BYTES", 1, 1024 * 1024 * 1024),
    ("GUIDES_MAX_REFERENCES_PER_ASSET", 1, 1_000_000),
    ("GUIDES_WEBHOOK_TIMEOUT_SECONDS", 1, 120),
    ("GUIDES_LOG_RETENTION_DAYS", 0, 36_500),
    ("GUIDES_CATCHUP_SECONDS", 0, 604_800),
    ("GUIDES_WATCH_DEBOUNCE_SECONDS", 1, 3600),
    ("GUIDES_TASK_TIMEOUT", 1, 86_400),
]


@pytest.fixture
def read_settings(monkeypatch, tmp_path):
    """``read_settings(**env)``: the settings module run afresh with only ``env`` (beside a data
    folder and a key in ``tmp_path``), as a dict; ImproperlyConfigured as it raises it."""
    for name in list(os.environ):
        if name.startswith(("DJANGO_", "GUIDES_", "DATABASE_URL")):
            monkeypatch.delenv(name)

    def read(**env: str) -> dict[str, Any]:
        environment = {"GUIDES_DATA_DIR": str(tmp_path / "data"), "DJANGO_SECRET_KEY": "k" * 50}
        for name, value in {**environment, **env}.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS))

    return read


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of a manage.py of its own, on SQLite in ``tmp_path``."""
    return own_env(tmp_path)


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# --- one line, exit status 2, for what used to be a traceback --------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("DJANGO_TIME_ZONE", "Mars/Olympus", "DJANGO_TIME_ZONE='Mars/Olympus' is not a time zone"),
        ("DJANGO_TIME_ZONE", "utc", "did you mean 'UTC'?"),
        ("GUIDES_LOG_LEVEL", "LOUD", "GUIDES_LOG_LEVEL='LOUD' is not a log level"),
        ("GUIDES_LOG_LEVEL", "warn", "GUIDES_LOG_LEVEL='warn' is not a log level"),
        ("GUIDES_LOG_LEVEL", "NOTSET", "GUIDES_LOG_LEVEL='NOTSET' is not a log level"),
        ("GUIDES_WORKERS", "1_0", "GUIDES_WORKERS='1_0' is not a whole number"),
        ("GUIDES_WORKERS", " 3 ", "GUIDES_WORKERS=' 3 ' is not a whole number"),
        ("GUIDES_CATCHUP_PATHS", "", "GUIDES_CATCHUP_PATHS is set but names no folder"),
        (
            "DJANGO_CSRF_TRUSTED_ORIGINS",
            "console.example.org",
            "'console.example.org' is not an origin; give the scheme and the host",
        ),
        ("GUIDES_QUEUE_LOG_LEVEL", "LOUD", "GUIDES_QUEUE_LOG_LEVEL='LOUD' is not a log level"),
        (
            "GUIDES_SIGNIN_COOLOFF_SECONDS",
            "99999999999999999999",
            "must be from 1 to 86400",
        ),
        ("GUIDES_DATA_DIR", "/proc/nope", "GUIDES_DATA_DIR: cannot create the folder /proc/nope"),
        ("DATABASE_URL", "mysql://u:secret@h/db", "only SQLite (sqlite:///path) and PostgreSQL"),
        ("GUIDES_BROKER_URL", "redis://127.0.0.1:6379/abc", "the database 'abc', which is not"),
        ("DJANGO_ALLOWED_HOSTS", "", "DJANGO_ALLOWED_HOSTS is set but empty"),
        ("GUIDES_LOG_RETENTION_DAYS", "1000000", "must be from 0 to 36500"),
        ("GUIDES_LEASE_SECONDS", "99999999999999999999999", "must be from 1 to 3600"),
        ("GUIDES_TASK_TIMEOUT", "60", "GUIDES_TASK_SECONDS=20"),
    ],
)
def test_a_value_that_used_to_end_in_a_traceback_is_one_line_and_status_2(
    env, variable, value, said
):
    done = manage("check", env={**env, variable: value})

    line = one_line(done.stderr)
    assert done.returncode == 2
    assert line.startswith("Configuration error: ")
    assert said in line


def test_a_password_in_a_refused_url_is_not_shown(read_settings):
    with pytest.raises(ImproperlyConfigured) as refused:
        read_settings(DATABASE_URL="mysql://guides:hunter2@db/guides")
    assert "hunter2" not in str(refused.value)
    assert "guides:***@db" in str(refused.value)

    with pytest.raises(ImproperlyConfigured) as refused:
        read_settings(GUIDES_BROKER_URL="redis://:hunter2@redis:6379/zero")
    assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize(
    "url", ["redis://redis:6379/x", "redis://redis:6379/0/1", "unix:///run/redis.sock?db=one"]
)
def test_a_broker_database_that_is_not_a_number_is_refused(read_settings, url):
    with pytest.raises(ImproperlyConfigured, match=r"GUIDES_BROKER_URL=.* is not a number"):
        read_settings(GUIDES_BROKER_URL=url)


@pytest.mark.parametrize(
    "url", ["redis://redis:6379/2", "redis://redis:6379", "rediss://redis/", "unix:///s?db=3"]
)
def test_a_broker_url_with_a_numbered_or_no_database_is_taken(read_settings, url):
    assert read_settings(GUIDES_BROKER_URL=url)["Q_CLUSTER"]["redis"] == url


def test_a_time_zone_and_log_levels_django_accepts_are_taken(read_settings):
    taken = read_settings(
        DJANGO_TIME_ZONE="Europe/Paris", GUIDES_LOG_LEVEL="debug", GUIDES_QUEUE_LOG_LEVEL="Error"
    )
    assert taken["TIME_ZONE"] == "Europe/Paris"
    # Capitals: django-q2 looks the level up as an attribute of logging.
    assert taken["LOGGING"]["loggers"]["guides_processor"]["level"] == "DEBUG"
    assert taken["Q_CLUSTER"]["log_level"] == "ERROR"


# --- every number has a maximum --------------------------------------------------------------


def test_every_number_read_from_the_environment_has_its_range_here():
    read = set(re.findall(r'env_int\(\s*"(\w+)"', SETTINGS.read_text(encoding="utf-8")))
    assert read == {variable for variable, _, _ in BOUNDS}


@pytest.mark.parametrize(("variable", "minimum", "maximum"), BOUNDS)
def test_a_number_is_taken_up_to_its_maximum_and_refused_beyond_naming_the_range(
    read_settings, variable, minimum, maximum
):
    read_settings(**{variable: str(maximum)})

    for value in (maximum + 1, minimum - 1, 10**23):
        with pytest.raises(ImproperlyConfigured) as refused:
            read_settings(**{variable: str(value)})
        assert str(refused.value) == f"{variable}='{value}' must be from {minimum} to {maximum}."


def configuration_table() -> dict[str, list[str]]:
    """The README's Configuration table: each variable's other cells."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        if cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[1:]
    return rows


@pytest.mark.parametrize(("variable", "minimum", "maximum"), BOUNDS)
def test_the_readme_states_each_range(variable, minimum, maximum):
    _default, accepted, _meaning = configuration_table()[variable]
    assert f"`{maximum}`" in accepted
    if variable != "GUIDES_TASK_TIMEOUT":  # its least is relative to GUIDES_TASK_SECONDS
        assert f"`{minimum}`" in accepted


def test_the_largest_retention_still_has_a_cutoff(settings):
    from django.utils import timezone

    from guides_processor.executions.retention import retention_cutoff

    settings.GUIDES_LOG_RETENTION_DAYS = 36_500
    assert retention_cutoff(timezone.now()) is not None


# --- the task timeout leaves a task time to hand over ----------------------------------------


def test_a_task_timeout_not_well_above_the_task_budget_is_refused_naming_both(read_settings):
    with pytest.raises(ImproperlyConfigured) as refused:
        read_settings(GUIDES_TASK_SECONDS="20", GUIDES_TASK_TIMEOUT="69")
    said = str(refused.value)
    assert "GUIDES_TASK_TIMEOUT=69 must be at least 70" in said
    assert "GUIDES_TASK_SECONDS=20" in said

    assert (
        read_settings(GUIDES_TASK_SECONDS="20", GUIDES_TASK_TIMEOUT="70")["Q_CLUSTER"]["timeout"]
        == 70
    )


def test_the_default_task_timeout_is_300_or_ten_task_budgets_as_the_readme_says(read_settings):
    assert read_settings()["Q_CLUSTER"]["timeout"] == 300
    assert read_settings(GUIDES_TASK_SECONDS="100")["Q_CLUSTER"]["timeout"] == 1000
    default = configuration_table()["GUIDES_TASK_TIMEOUT"][0]
    assert default == "`300`, or ten times `GUIDES_TASK_SECONDS` when that is more"


# --- checked whether or not used -------------------------------------------------------------


def test_the_hsts_seconds_are_checked_while_secure_is_off(read_settings):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECURE_HSTS_SECONDS='abc'"):
        read_settings(DJANGO_SECURE="false", DJANGO_SECURE_HSTS_SECONDS="abc")


def test_the_connection_age_is_checked_on_sqlite(read_settings, tmp_path):
    with pytest.raises(ImproperlyConfigured, match="GUIDES_DB_CONN_MAX_AGE='abc'"):
        read_settings(
            DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", GUIDES_DB_CONN_MAX_AGE="abc"
        )


@pytest.mark.parametrize("value", ["", " , "])
def test_allowed_hosts_set_but_empty_is_refused(read_settings, value):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ALLOWED_HOSTS is set but empty"):
        read_settings(DJANGO_ALLOWED_HOSTS=value)


# --- the data folder is private --------------------------------------------------------------


@pytest.fixture
def umask_022():
    """The usual umask, under which files are created readable by all unless asked otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_folder_it_creates_is_private_and_so_are_the_key_and_database(
    read_settings, tmp_path, umask_022
):
    data = tmp_path / "new" / "data"

    read_settings(GUIDES_DATA_DIR=str(data), DJANGO_SECRET_KEY="")

    assert mode(data) == 0o700
    assert mode(data / "secret_key") == 0o600
    assert mode(data / "db.sqlite3") == 0o600
    # SQLite gives its write-ahead log the database's mode: it holds the same rows.
    with contextlib.closing(sqlite3.connect(data / "db.sqlite3")) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE t (x)")
        assert mode(data / "db.sqlite3-wal") == 0o600
    # Read again, it keeps its key.
    key = (data / "secret_key").read_text()
    assert read_settings(GUIDES_DATA_DIR=str(data), DJANGO_SECRET_KEY="")["SECRET_KEY"] == key


def test_a_data_folder_the_user_made_keeps_its_mode(read_settings, tmp_path, umask_022):
    data = tmp_path / "mine"
    data.mkdir(mode=0o755)

    read_settings(GUIDES_DATA_DIR=str(data), DJANGO_SECRET_KEY="")

    assert mode(data) == 0o755
    assert mode(data / "db.sqlite3") == 0o600


# --- serve -----------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", ["0", "257"])
def test_serve_refuses_a_worker_count_its_cluster_would_refuse_and_starts_nothing(env, workers):
    done = manage("serve", "--workers", workers, "--port", "8731", env=env)

    assert done.returncode == 1
    assert f"--workers {workers} is out of range: use 1 to 256." in one_line(done.stderr)
    assert "Guides Asset Processor: http" not in done.stdout


@pytest.mark.parametrize("port", ["99999", "0"])
def test_serve_refuses_a_port_outside_1_to_65535_and_starts_nothing(env, tmp_path, port):
    done = manage("serve", "--port", port, "--workers", "1", env=env)

    assert done.returncode == 1
    assert f"--port {port} is not a port: use 1 to 65535." in one_line(done.stderr)
    assert "password" not in done.stdout
    assert not (tmp_path / "content").exists()


def test_serve_refuses_a_host_that_does_not_resolve_in_one_line(env, tmp_path):
    done = manage("serve", "--host", "nonexistent.invalid", "--workers", "1", env=env)

    assert done.returncode == 1
    assert "Cannot listen on nonexistent.invalid:8000" in one_line(done.stderr)
    assert "password" not in done.stdout
    assert not (tmp_path / "content").exists()


def missing_postgres_database() -> str:
    """A URL of the PostgreSQL server the tests use (or the local one) naming no database."""
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in {"postgres", "postgresql", "pgsql"}:
        url = "postgres://postgres@127.0.0.1:5432/guides"
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 5432), timeout=2).close()
    except OSError:
        pytest.skip("no PostgreSQL server to ask for a database it does not have")
    return parts._replace(path=f"/guides_no_such_database_{os.getpid()}").geturl()


def test_serve_names_a_database_that_does_not_exist_in_one_line(env, tmp_path):
    url = missing_postgres_database()
    name = urlsplit(url).path.strip("/")

    done = manage("serve", "--workers", "1", env={**env, "DATABASE_URL": url})

    assert done.returncode == 1
    line = one_line(done.stderr)
    assert f"Cannot open the database {name}" in line
    assert "does not exist" in line
    assert not (tmp_path / "content").exists()


@pytest.mark.parametrize(
    ("paths", "words"),
    [
        ("/etc", "'/etc' is outside /content/dam"),
        ("/content/dam/a,../x", "'..' segments"),
    ],
)
def test_catch_up_paths_of_the_wrong_form_stop_start_up(read_settings, paths, words):
    with pytest.raises(ImproperlyConfigured, match="GUIDES_CATCHUP_PATHS") as refused:
        read_settings(GUIDES_CATCHUP_PATHS=paths)
    assert words in str(refused.value)


def test_catch_up_paths_not_on_disk_yet_are_taken(read_settings):
    """A folder may come later: the catch-up looks each time."""
    taken = read_settings(GUIDES_CATCHUP_PATHS="/content/dam/later,content/dam/b")
    assert taken["GUIDES_CATCHUP_PATHS"] == ["/content/dam/later", "content/dam/b"]


def test_a_content_root_that_is_a_file_is_refused_naming_it(read_settings, tmp_path):
    afile = tmp_path / "hostname"
    afile.write_text("x")

    with pytest.raises(ImproperlyConfigured, match=r"GUIDES_CONTENT_ROOT=.* is not a folder"):
        read_settings(GUIDES_CONTENT_ROOT=str(afile))
    # One that does not exist yet is fine: serve makes it.
    assert read_settings(GUIDES_CONTENT_ROOT=str(tmp_path / "later"))["GUIDES_CONTENT_ROOT"]


def test_origins_with_a_port_or_a_subdomain_wildcard_are_taken(read_settings):
    found = read_settings(
        DJANGO_CSRF_TRUSTED_ORIGINS="https://*.example.org,http://console.example.org:8443"
    )
    assert found["CSRF_TRUSTED_ORIGINS"] == [
        "https://*.example.org",
        "http://console.example.org:8443",
    ]


def test_a_bare_wsgi_server_says_a_configuration_error_in_one_line(tmp_path):
    """The README's split runs the console under waitress-serve, which imports the WSGI module
    without manage.py: a bad variable is one line and exit status 2 there too."""
    import subprocess
    import sys
    from pathlib import Path

    waitress = Path(sys.executable).parent / "waitress-serve"
    done = subprocess.run(
        [str(waitress), "--listen=127.0.0.1:1", "guides_processor.wsgi:application"],
        env={**own_env(tmp_path), "DJANGO_DEBUG": "maybe"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert one_line(done.stderr) == (
        "Configuration error: DJANGO_DEBUG='maybe' is not a boolean (use true or false)."
    )


def test_the_writers_lock_file_beside_the_database_is_private_too(tmp_path, umask_022):
    done = manage("migrate", "-v", "0", env=own_env(tmp_path))

    assert done.returncode == 0, done.stderr
    assert mode(tmp_path / "data" / "db.sqlite3-writer.lock") == 0o600
