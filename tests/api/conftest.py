"""Users, clients and executions for the API's tests.

Clients authenticate with HTTP Basic like a script, unless the test is about the session.
Passwords are hashed with a fast hasher: every Basic request checks the password.
"""

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from guides_processor import executions
from guides_processor.models import Execution, ExecutionStatus, LogLine
from tests.engine.trees import guide

PASSWORD = "correct horse battery staple"
BASE = "/bin/guides/v1/assets/process"


@pytest.fixture(autouse=True)
def fast_password_hasher(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def basic(username: str, password: str = PASSWORD) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return f"Basic {token}"


def basic_client(user: User, **kwargs: Any) -> Client:
    return Client(headers={"Authorization": basic(user.username)}, **kwargs)


@pytest.fixture
def admin(db) -> User:
    return User.objects.create_superuser("admin", "admin@example.com", PASSWORD)


@pytest.fixture
def staff(db) -> User:
    """A staff user without the run permission: may read, may not write."""
    return User.objects.create_user("reviewer", password=PASSWORD, is_staff=True)


@pytest.fixture
def runner(db) -> User:
    """Neither staff nor superuser, but in a group that holds the run permission."""
    group = Group.objects.create(name="Asset processors")
    group.permissions.add(Permission.objects.get(codename="run_assetprocessing"))
    user = User.objects.create_user("runner", password=PASSWORD)
    user.groups.add(group)
    return user


@pytest.fixture
def outsider(db) -> User:
    """Signed-up but neither staff nor permitted."""
    return User.objects.create_user("outsider", password=PASSWORD)


@pytest.fixture
def api(admin) -> Client:
    """The admin, as a script with ``curl -u``."""
    return basic_client(admin)


@pytest.fixture
def post_json() -> Callable[..., Any]:
    def post(client: Client, url: str, body: Any = None, **kwargs: Any) -> Any:
        data = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
        return client.post(url, data=data or b"", content_type="application/json", **kwargs)

    return post


@pytest.fixture
def finished(write_tree, db) -> Callable[..., Execution]:
    """Run an execution to its end in this process; returns it finished."""

    def run(
        path: str = "/content/dam/guide", files: dict[str, str | bytes] | None = None
    ) -> Execution:
        write_tree(files if files is not None else guide())
        execution = executions.execution_create(path=path, created_by="admin")
        return executions.execution_run_inline(processing_id=execution.processing_id)

    return run


@pytest.fixture
def execution_with_log(db) -> Callable[[int], Execution]:
    """A finished execution whose log has ``n`` lines, "message <number>", one second apart."""

    def make(lines: int) -> Execution:
        execution = Execution.objects.create(
            path="/content/dam/logs",
            created_by="admin",
            status=ExecutionStatus.SUCCESS,
            log_line_count=lines,
        )
        start = datetime(2026, 11, 22, 10, 0, 0, 123000, tzinfo=UTC)
        LogLine.objects.bulk_create(
            (
                LogLine(
                    execution=execution,
                    line=number,
                    time=start + timedelta(seconds=number),
                    level="WARN" if number % 10 == 9 else "INFO",
                    message=f"message {number}",
                )
                for number in range(lines)
            ),
            batch_size=5000,
        )
        return execution

    return make
