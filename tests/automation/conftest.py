"""A real HTTP receiver on 127.0.0.1, and the tasks the processor queued, run as a worker would."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import import_module
from typing import Any

import pytest
from django_q.brokers import get_broker
from django_q.signing import SignedPackage

from tests.api.conftest import (  # noqa: F401
    admin,
    api,
    fast_password_hasher,
    outsider,
    post_json,
    staff,
)

SECRET = "a test secret that only this suite knows"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST; answers with the queued statuses in turn, then 200."""

    base: str
    requests: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
                status = state.answers.pop(0) if state.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook_settings(settings) -> Any:
    # A Redis broker keeps what earlier tests queued: start from an empty queue.
    get_broker().purge_queue()
    settings.GUIDES_WEBHOOK_SECRET = SECRET
    settings.GUIDES_WEBHOOK_URLS = []
    settings.GUIDES_WEBHOOK_TIMEOUT_SECONDS = 5
    return settings


def run_queued(func: str) -> list[Any]:
    """Take the queued tasks of ``func`` off the broker (ORM or Redis) and run them, as a worker
    does; tasks of other functions are put back."""
    broker = get_broker()
    results: list[Any] = []
    others: list[tuple[Any, Any]] = []
    while batch := broker.dequeue():
        for task_id, payload in batch:
            task = SignedPackage.loads(payload)
            if task["func"] != func:
                others.append((task_id, payload))
                continue
            module, name = func.rsplit(".", 1)
            results.append(getattr(import_module(module), name)(*task["args"]))
            broker.acknowledge(task_id)
    for task_id, payload in others:
        broker.acknowledge(task_id)
        broker.enqueue(payload)
    return results
