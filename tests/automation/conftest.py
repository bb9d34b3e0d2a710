"""A real HTTP receiver on 127.0.0.1, and the tasks the processor queued, run as a worker would."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import import_module
from typing import Any

import pytest
from django_q.models import OrmQ

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
    settings.GUIDES_WEBHOOK_SECRET = SECRET
    settings.GUIDES_WEBHOOK_URLS = []
    settings.GUIDES_WEBHOOK_TIMEOUT_SECONDS = 5
    return settings


def queued(func: str) -> list[OrmQ]:
    """The tasks of ``func`` waiting in the ORM broker."""
    return [task for task in OrmQ.objects.order_by("id") if task.func() == func]


def run_queued(func: str) -> list[Any]:
    """Take the queued tasks of ``func`` off the broker and run them, as a worker does."""
    results = []
    for task in queued(func):
        module, name = task.func().rsplit(".", 1)
        results.append(getattr(import_module(module), name)(*task.task["args"]))
        task.delete()
    return results
