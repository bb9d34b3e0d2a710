"""Fixtures shared by the whole suite: content roots built in tmp_path, users, the corpus."""

import contextlib
import importlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.files import write_file

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT.parent / "shared" / "corpus" / "dita-ot-docs"


# --- several test processes (pytest-xdist, `-n 2` in pyproject.toml) ------------------------


def pytest_configure(config: pytest.Config) -> None:
    """Give each test process a broker queue of its own.

    The test processes share the Redis database of GUIDES_BROKER_URL: under one queue name, the
    clusters of one would take the other's tasks, and one's purge would empty the other's queue.
    (Each has its own test database, so the ORM broker's queues are apart already.) The clusters
    a test starts take the name from the environment they inherit.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    from django.conf import settings
    from django_q.conf import Conf

    name = f"{settings.Q_CLUSTER['name']}-{worker}"
    os.environ["GUIDES_CLUSTER_NAME"] = name
    Conf.PREFIX = Conf.CLUSTER_NAME = name


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the writer-lock files of this process's SQLite test databases
    (``guides_processor/sqlite``): Django removes the database files, not these, and each run
    of the suite had left one per test process in the temporary folder."""
    from django.conf import settings

    test_name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if settings.DATABASES["default"]["ENGINE"] != "guides_processor.sqlite" or not test_name:
        return
    stem = Path(test_name)
    for lock in stem.parent.glob(f"{stem.stem}*-writer.lock"):
        with contextlib.suppress(OSError):
            lock.unlink()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Among several test processes, skip the tests marked ``alone``, saying how to run them:
    they disturb what every test process uses (a restart of the database server breaks the
    other process's connections mid-test)."""
    if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) < 2:
        return
    skip = pytest.mark.skip(
        reason="disturbs the other test processes: runs in one (pytest -n 0 -m alone)"
    )
    for item in items:
        if item.get_closest_marker("alone"):
            item.add_marker(skip)


@pytest.fixture
def corpus() -> Path:
    """The DITA-OT documentation corpus beside the project (read-only; never copied)."""
    if not (CORPUS / "SOURCE.md").is_file():
        pytest.skip(
            f"the DITA-OT corpus is not at {CORPUS} (it sits in ../shared beside the checkout)"
        )
    return CORPUS


@pytest.fixture
def content_root(tmp_path: Path, settings) -> Path:
    """An empty content root, made the server's GUIDES_CONTENT_ROOT."""
    root = tmp_path / "content"
    root.mkdir()
    settings.GUIDES_CONTENT_ROOT = root
    return root


WriteTree = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture
def write_tree(content_root: Path) -> WriteTree:
    """Write files (relpath -> text or bytes) under the content root; returns the root."""

    def write(files: dict[str, str | bytes]) -> Path:
        for relpath, data in files.items():
            write_file(content_root / relpath, data)
        return content_root

    return write


@pytest.fixture
def migrated_schedules(db) -> None:
    """The django-q2 schedules as the migrations write them.

    They are rows, written by the migrations' own functions: a transactional test that ran
    earlier in this test process flushed the table (the order differs between test processes),
    so those functions are run again here; each updates or creates its row. (Django's
    serialized_rollback would put them back, but a flush recreates the content types it then
    inserts a second time.)
    """
    from django.apps import apps

    for name in ("0002_watchdog_schedule", "0004_webhooks", "0005_retention_schedule"):
        importlib.import_module(f"guides_processor.migrations.{name}").add_schedule(apps, None)


# --- real clusters --------------------------------------------------------------------------


class Cluster:
    """A ``manage.py qcluster`` in a child process (its own process group), on the test database."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, wait: float = 60.0) -> "Cluster":
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, str(PROJECT / "manage.py"), "qcluster"],
            cwd=PROJECT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        from guides_processor.cluster import cluster_alive

        if not cluster_alive(seconds=wait):
            self.kill()
            raise RuntimeError(f"the cluster did not answer within {wait} s; see {self.log}")
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the cluster and every process of it, as a crash or the OOM killer would."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 30.0) -> None:
        if not self.alive:
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)  # the cluster stops its own workers
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def database_url() -> str:
    """A DATABASE_URL for the database the tests use now (the test database)."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    if connection.vendor == "postgresql":
        user = quote(db.get("USER") or "", safe="")
        password = (":" + quote(db["PASSWORD"], safe="")) if db.get("PASSWORD") else ""
        auth = f"{user}{password}@" if user else ""
        return f"postgres://{auth}{db.get('HOST') or ''}:{db.get('PORT') or 5432}/{db['NAME']}"
    raise RuntimeError(f"no cluster support for {connection.vendor}")


@pytest.fixture
def cluster_env(transactional_db, settings, content_root: Path, tmp_path: Path) -> dict[str, str]:
    """The environment for clusters working on this test's database and content root.

    Short leases, budgets and stale times, so that recovery is seen within seconds.
    """
    from django_q.brokers import get_broker

    get_broker().purge_queue()
    settings.GUIDES_LEASE_SECONDS = 4
    settings.GUIDES_STALE_SECONDS = 6
    settings.GUIDES_TASK_SECONDS = 3
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "GUIDES_CONTENT_ROOT": str(content_root),
        "GUIDES_DATA_DIR": str(tmp_path / "cluster-data"),
        "GUIDES_LEASE_SECONDS": "4",
        "GUIDES_STALE_SECONDS": "6",
        "GUIDES_TASK_SECONDS": "3",
        "GUIDES_WATCHDOG_SECONDS": "1",
        "GUIDES_TASK_TIMEOUT": "60",
        "GUIDES_WORKERS": "2",
        "GUIDES_LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def start_cluster(cluster_env: dict[str, str], tmp_path: Path):
    """Start clusters with ``start_cluster()``; all are stopped (or already killed) at the end."""
    started: list[Cluster] = []

    def start(**env: str) -> Cluster:
        cluster = Cluster({**cluster_env, **env}, tmp_path / f"cluster-{len(started)}.log")
        started.append(cluster)
        return cluster.start()

    yield start
    for cluster in started:
        cluster.stop()
