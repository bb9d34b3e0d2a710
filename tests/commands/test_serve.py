"""`manage.py serve`: the one command that runs everything, started as a user would start it."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.commands import manage, own_env

PROJECT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.cluster


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_http(url: str, timeout: float = 90) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                status: int = response.status
                return status
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return own_env(tmp_path, GUIDES_CLUSTER_NAME=f"serve-test-{os.getpid()}")


def start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--workers", "1"],
        cwd=PROJECT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(server: subprocess.Popen[bytes]) -> int:
    """Ctrl-C in a terminal: SIGINT to every process of the foreground group."""
    os.killpg(server.pid, signal.SIGINT)
    return server.wait(timeout=60)


def test_serve_sets_everything_up_processes_and_stops_cleanly(env, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    server = start(env, port, log)
    try:
        assert wait_http(f"http://127.0.0.1:{port}/login/") == 200
        output = log.read_text()
        assert "username: admin" in output
        assert "password: " in output
        # The way to change it names the interpreter that runs serve, as typed from its folder.
        named = re.search(r"set another with `(\S+) manage\.py changepassword admin`", output)
        assert named, output
        assert (PROJECT / named.group(1)).absolute() == Path(sys.executable).absolute()
        demo = sum(len(files) for _, _, files in os.walk(tmp_path / "content"))
        assert 250 <= demo <= 350

        # The command line finds the cluster that serve started and waits for it.
        done = subprocess.run(
            [sys.executable, "manage.py", "process_assets", "/content/dam", "--wait", "--json"],
            cwd=PROJECT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert "processing in this process" not in done.stderr
        status = json.loads(done.stdout)
        assert status["migrationSet"]["totalFiles"] == demo
        assert status["status"] == "SUCCESS"
        assert done.returncode == 0
    finally:
        code = stop(server)
    assert code == 0
    started = re.search(r"cluster pid (\d+)", log.read_text())
    assert started, "the server logged its cluster's pid"
    cluster = int(started.group(1))
    deadline = time.monotonic() + 30
    while (group_alive(server.pid) or group_alive(cluster)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not group_alive(server.pid), "a process outlived serve"
    assert not group_alive(cluster), "a worker process outlived serve"

    # A second start keeps the account and the content as they are.
    server = start(env, port, tmp_path / "serve2.log")
    try:
        assert wait_http(f"http://127.0.0.1:{port}/login/") == 200
    finally:
        assert stop(server) == 0
    assert "password:" not in (tmp_path / "serve2.log").read_text()


def test_a_port_another_server_holds_is_one_line_and_nothing_starts(env, tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]

        done = manage("serve", "--port", str(port), "--workers", "1", env=env)

    assert done.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "--port" in done.stderr and "Traceback" not in done.stderr
    # Nothing was set up: no account, no demo content, no cluster.
    assert "password" not in done.stdout
    assert not (tmp_path / "content").exists()


@pytest.mark.parametrize("broker", ["redis://127.0.0.1:1/9", "redis://127.0.0.1:6379/99"])
def test_a_broker_that_does_not_answer_is_one_line_and_nothing_starts(env, tmp_path, broker):
    if broker.endswith("/99"):
        # A database number the server does not have: a server must answer to say so.
        try:
            socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        except OSError:
            pytest.skip("no Redis server on 127.0.0.1:6379 to refuse the database number")
    done = manage("serve", "--port", str(free_port()), env={**env, "GUIDES_BROKER_URL": broker})

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"Cannot reach the broker {broker}: " in done.stderr
    assert "Guides Asset Processor: http" not in done.stdout


def test_a_cluster_that_dies_takes_the_console_with_it(env, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    server = start(env, port, log)
    try:
        assert wait_http(f"http://127.0.0.1:{port}/login/") == 200
        started = re.search(r"cluster pid (\d+)", log.read_text())
        assert started, log.read_text()
        os.killpg(int(started.group(1)), signal.SIGKILL)

        code = server.wait(timeout=60)
    finally:
        if server.poll() is None:
            stop(server)
    output = log.read_text()
    assert code == 1, output
    assert "The task cluster stopped (exit status -9" in output
    assert "Stopped." in output
