"""SQLite: the write-ahead log is copied into the database after a commit has released the
writer lock (``guides_processor/sqlite``), not by SQLite's automatic checkpoint under it."""

import sqlite3

import pytest
from django.db import connection, transaction

from guides_processor.models import Execution
from guides_processor.sqlite import base

pytestmark = pytest.mark.django_db(transaction=True)


def _in_database_file(processing_ids: list[str]) -> set[str]:
    """Which of the executions are in the database file itself (the log left out: an
    ``immutable`` connection reads the main file alone)."""
    path = connection.settings_dict["NAME"]
    raw = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        rows = raw.execute("SELECT processing_id FROM guides_processor_execution").fetchall()
    finally:
        raw.close()
    return {str(value) for (value,) in rows} & set(processing_ids)


def _create() -> str:
    with transaction.atomic():
        execution = Execution.objects.create(path="/content/dam/x", created_by="admin")
    return execution.processing_id.hex


def test_a_commit_copies_the_log_into_the_database_once_the_interval_has_passed(monkeypatch):
    if connection.vendor != "sqlite" or connection.settings_dict["NAME"] == ":memory:":
        pytest.skip("the write-ahead log of an SQLite database file")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == 0
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the tables, in the file from here on
    monkeypatch.setattr(base, "_CHECKPOINT_SECONDS", 3600.0)
    _create()  # the first commit of this test: checkpoints if the connection never did
    waiting = _create()
    assert _in_database_file([waiting]) == set()  # in the log only
    monkeypatch.setattr(base, "_CHECKPOINT_SECONDS", 0.0)
    copied = _create()
    assert _in_database_file([waiting, copied]) == {waiting, copied}
