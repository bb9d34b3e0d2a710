"""`manage.py process_assets` as a user runs it: interrupted with Ctrl-C, or with no cluster."""

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_q.models import OrmQ

from guides_processor import executions
from guides_processor.executions.queue import enqueue_suppressed
from guides_processor.management.commands.process_assets import Command as ProcessAssets
from guides_processor.models import (
    Execution,
    ExecutionItem,
    ExecutionStatus,
    ItemState,
    LogLine,
    WorkerHeartbeat,
)
from tests.engine.trees import many

PROJECT = Path(__file__).resolve().parents[2]


def start_command(
    env: dict[str, str], *args: str, interrupt_ignored: bool = False
) -> subprocess.Popen[str]:
    """The command in a child process; ``interrupt_ignored``: with SIGINT ignored, as a shell
    starts a command in the background."""
    return subprocess.Popen(
        [sys.executable, str(PROJECT / "manage.py"), "process_assets", *args],
        cwd=PROJECT,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ignore_interrupt if interrupt_ignored else None,
    )


def ignore_interrupt() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def wait_for_progress(process: subprocess.Popen[str], count: int, timeout: float) -> Execution:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        execution = Execution.objects.first()
        if execution is not None and execution.triggered_count >= count:
            return execution
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"no progress within {timeout} s: {process.communicate()}")


def interrupt(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("interrupt_ignored", [False, True], ids=["foreground", "background"])
def test_ctrl_c_while_processing_in_process_cancels_the_execution_which_stays_resumable(
    cluster_env, write_tree, interrupt_ignored
):
    write_tree(many(4000))
    process = start_command(
        {**cluster_env, "GUIDES_URL": "https://guides.example:8443/"},
        "/content/dam/bulk",
        "--wait",
        "--cluster-wait",
        "0",
        interrupt_ignored=interrupt_ignored,
    )
    execution = wait_for_progress(process, 200, 90)

    code, stderr = interrupt(process)

    assert code == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert str(execution.processing_id) in stderr
    # The hint names the console GUIDES_URL gives, as the README's CI script reads it.
    assert "resumable" in stderr
    assert "https://guides.example:8443/bin/guides/v1/assets/process/resume" in stderr
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CANCELLED
    assert 0 < execution.triggered_count < 4000
    resumed = executions.execution_resume(processing_id=execution.processing_id, by="admin")
    finished = executions.execution_run_inline(processing_id=resumed.processing_id)
    assert (finished.status, finished.processed_count) == (ExecutionStatus.SUCCESS, 4000)


@pytest.mark.cluster
@pytest.mark.django_db(transaction=True)
def test_ctrl_c_while_a_cluster_processes_says_the_execution_goes_on_and_how_to_cancel_it(
    cluster_env, start_cluster, write_tree
):
    write_tree(many(6000))
    start_cluster(GUIDES_BATCH_SIZE="20")
    without_url = {name: value for name, value in cluster_env.items() if name != "GUIDES_URL"}
    process = start_command(without_url, "/content/dam/bulk", "--wait", "--cluster-wait", "30")
    execution = wait_for_progress(process, 100, 90)

    code, stderr = interrupt(process)

    assert code == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert "goes on" in stderr
    assert f'{{"processingId": "{execution.processing_id}"}}' in stderr
    assert "http://127.0.0.1:8000/bin/guides/v1/assets/process/cancel" in stderr
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        execution.refresh_from_db()
        if execution.status == ExecutionStatus.SUCCESS:
            break
        time.sleep(0.3)
    assert (execution.status, execution.processed_count) == (ExecutionStatus.SUCCESS, 6000)


@pytest.mark.django_db
def test_without_wait_and_without_a_cluster_it_says_nothing_will_process_the_execution(
    write_tree,
):
    write_tree(many(3))
    out, err = StringIO(), StringIO()

    call_command(
        "process_assets", "/content/dam/bulk", "--cluster-wait", "0.5", stdout=out, stderr=err
    )

    execution = Execution.objects.get()
    assert out.getvalue().strip() == str(execution.processing_id)
    message = err.getvalue()
    assert "no worker cluster is running" in message
    assert "manage.py qcluster" in message and "--wait" in message
    assert execution.status == ExecutionStatus.IN_PROGRESS


def test_a_path_argument_that_is_not_utf8_is_refused_naming_the_argument(cluster_env):
    # A terminal can pass any bytes; Python hands them over as lone surrogates.
    process = subprocess.run(
        [
            sys.executable.encode(),
            str(PROJECT / "manage.py").encode(),
            b"process_assets",
            b"/content/dam/\xff",
        ],
        cwd=PROJECT,
        env=cluster_env,
        capture_output=True,
    )
    assert process.returncode == 2, process.stderr
    assert b"lone surrogate" in process.stderr
    assert b"Traceback" not in process.stderr
    assert not Execution.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_wait_without_a_cluster_works_in_several_processes_each_item_once_and_leaves_no_task(
    cluster_env, write_tree
):
    write_tree(many(3000))
    arguments = ["/content/dam/bulk", "--wait", "--json", "--processes", "3"]

    done = subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), "process_assets", *arguments],
        cwd=PROJECT,
        env=cluster_env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stderr
    assert "processing here in 3 processes" in done.stderr
    status = json.loads(done.stdout)
    assert (status["status"], status["processedCount"]) == ("SUCCESS", 3000)
    # Nothing was sent to the broker for it: no slot task, no ping.
    assert list(OrmQ.objects.values_list("key", flat=True)) == []
    execution = Execution.objects.get()
    items = ExecutionItem.objects.filter(execution=execution)
    assert items.count() == items.filter(state=ItemState.DONE).count() == 3000
    assert items.values("relpath").distinct().count() == 3000
    processed = list(
        LogLine.objects.filter(execution=execution, message__startswith="Processed ").values_list(
            "message", flat=True
        )
    )
    assert len(processed) == len(set(processed)) == 3000
    # Every process took a slot of its own (slot 2 exists only if the third process took it).
    assert sorted(execution.slots.values_list("number", flat=True))[:3] == [0, 1, 2]


@pytest.mark.cluster
@pytest.mark.django_db(transaction=True)
def test_a_running_cluster_is_seen_at_once_by_the_heartbeats_of_its_workers(
    start_cluster, write_tree
):
    write_tree(many(3))
    start_cluster()
    out, err = StringIO(), StringIO()

    call_command("process_assets", "/content/dam/bulk", stdout=out, stderr=err)

    assert "Warning" not in err.getvalue()
    assert WorkerHeartbeat.objects.count() >= 1
    execution = Execution.objects.get()
    deadline = time.monotonic() + 60
    while execution.status != ExecutionStatus.SUCCESS and time.monotonic() < deadline:
        time.sleep(0.2)
        execution.refresh_from_db()
    assert (execution.status, execution.processed_count) == (ExecutionStatus.SUCCESS, 3)


@pytest.mark.django_db
def test_several_paths_are_processed_in_one_execution(write_tree):
    write_tree({**many(3, "b"), **many(2, "a"), **many(2, "other")})
    out, err = StringIO(), StringIO()

    call_command(
        "process_assets",
        "/content/dam/b",
        "/content/dam/a",
        "--wait",
        "--cluster-wait",
        "0",
        stdout=out,
        stderr=err,
    )

    execution = Execution.objects.get()
    assert execution.paths == ["/content/dam/b", "/content/dam/a"]
    assert (execution.status, execution.processed_count) == (ExecutionStatus.SUCCESS, 5)
    assert "queued for /content/dam/b, /content/dam/a" in err.getvalue()


@pytest.mark.django_db
def test_paths_inside_each_other_are_refused_with_status_2(write_tree):
    write_tree(many(2, "a"))

    with pytest.raises(CommandError, match="overlaps") as refused:
        call_command("process_assets", "/content/dam/a", "/content/dam", "--cluster-wait", "0")

    assert refused.value.returncode == 2
    assert not Execution.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("count", ["0", "-1"])
def test_fewer_than_one_process_is_refused_with_status_2(write_tree, count):
    write_tree(many(2, "a"))

    with pytest.raises(CommandError, match="--processes must be at least 1") as refused:
        call_command("process_assets", "/content/dam/a", "--wait", "--processes", count)

    assert refused.value.returncode == 2
    assert not Execution.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL connection left busy")
@pytest.mark.django_db(transaction=True)
def test_ctrl_c_that_struck_during_a_query_still_cancels_the_execution(write_tree):
    """Ctrl-C may land while a query is on its way: libpq then still waits for the answer, and
    the next query on that connection fails. The cancel must not use it."""
    write_tree(many(3))
    with enqueue_suppressed():
        execution = executions.execution_create(path="/content/dam/bulk", created_by="cli")
    assert execution.status == ExecutionStatus.IN_PROGRESS
    connection.ensure_connection()
    connection.connection.pgconn.send_query(b"SELECT pg_sleep(0.1)")  # sent, never read
    err = StringIO()

    ProcessAssets(stdout=StringIO(), stderr=err)._interrupted(execution, inline=True)

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CANCELLED
    assert "is now cancelled" in err.getvalue() and "resumable" in err.getvalue()


@pytest.fixture
def interrupt_a_commit(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """``arm(n)``: Ctrl-C strikes the n-th COMMIT from now (0 is the next) after psycopg has sent
    it and before its answer came, which is what a SIGINT at that moment does; the test chooses
    the moment instead of racing for it. Every other commit is psycopg's own."""
    original = psycopg.Connection.commit
    left: list[int] = []

    def commit(self: psycopg.Connection[Any]) -> None:
        if left and left[0] == 0:
            left.clear()
            self.pgconn.send_query(b"COMMIT")
            raise KeyboardInterrupt
        if left:
            left[0] -= 1
        original(self)

    monkeypatch.setattr(psycopg.Connection, "commit", commit)
    return lambda n: left.append(n)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's COMMIT, interrupted")
@pytest.mark.django_db(transaction=True)
# Today's order of commits: the queue's lock, the calculation's start, the manifest, a claim, a
# batch's write.
@pytest.mark.parametrize(
    "commits_before", range(5), ids=["queue", "calculation", "manifest", "claim", "batch"]
)
def test_ctrl_c_that_struck_during_a_commit_cancels_the_execution_instead_of_failing_it(
    write_tree, interrupt_a_commit, commits_before
):
    """Ctrl-C after COMMIT was sent leaves the connection busy, and Django's ``atomic`` raises
    ProgrammingError ("can't change 'autocommit' now") in the interrupt's place. The slot took
    that for a bug and failed the execution; the command exited with 1 (seen in CI)."""
    write_tree(many(300))
    with enqueue_suppressed():
        execution = executions.execution_create(path="/content/dam/bulk", created_by="cli")
    err = StringIO()
    interrupt_a_commit(commits_before)

    with pytest.raises(SystemExit) as exited:
        ProcessAssets(stdout=StringIO(), stderr=err)._wait(
            execution, inline=True, processes=1, as_json=False
        )

    assert exited.value.code == 130, err.getvalue()
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CANCELLED, execution.comments
    assert "is now cancelled" in err.getvalue() and "resumable" in err.getvalue()
    assert ExecutionItem.objects.filter(execution=execution).count() in (0, 300)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("option", "words"),
    [
        (["--file-types", ""], "--file-types names no type"),
        (["--file-types", ",,"], "--file-types names no type"),
        (["--cluster-wait", "-1"], "--cluster-wait must be a number of seconds, 0 or more"),
        (["--cluster-wait", "nan"], "--cluster-wait must be a number of seconds, 0 or more"),
    ],
)
def test_options_that_name_nothing_are_refused_with_status_2(write_tree, option, words):
    write_tree(many(2, "a"))

    with pytest.raises(CommandError, match=words) as refused:
        call_command("process_assets", "/content/dam/a", *option)

    assert refused.value.returncode == 2
    assert not Execution.objects.exists()


@pytest.mark.django_db
def test_an_execution_in_the_way_is_status_3_not_bad_input(write_tree):
    write_tree(many(2, "a"))
    executions.execution_create(path="/content/dam/a", created_by="admin")

    with pytest.raises(CommandError, match="/content/dam/a") as refused:
        call_command("process_assets", "/content/dam/a", "--cluster-wait", "0")

    assert refused.value.returncode == 3
    assert Execution.objects.count() == 1


def test_a_database_without_its_tables_is_named_in_one_line(tmp_path):
    from tests.commands import manage, own_env

    (tmp_path / "content" / "a").mkdir(parents=True)
    (tmp_path / "content" / "a" / "t.dita").write_text("<topic id='t'><title>T</title></topic>")

    done = manage("process_assets", "/content/dam/a", "--wait", env=own_env(tmp_path))

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "has no tables yet: run `.venv/bin/python manage.py migrate` first" in done.stderr


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_with_json_prints_the_status_as_it_stands(cluster_env, write_tree):
    write_tree(many(4000))
    process = start_command(
        cluster_env, "/content/dam/bulk", "--wait", "--json", "--cluster-wait", "0"
    )
    wait_for_progress(process, 200, 90)

    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 130, stderr
    status = json.loads(stdout)
    assert status["status"] == ExecutionStatus.CANCELLED
    assert 0 < status["triggeredCount"] < 4000
