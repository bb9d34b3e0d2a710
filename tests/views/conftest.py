"""Users of every kind, signed-in clients, and executions made through the executions."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from guides_processor import executions
from guides_processor.models import Execution, ExecutionSlot
from tests.engine.trees import guide

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/tools/"}


@pytest.fixture
def runner(db) -> User:
    """Staff in the group that may run processing."""
    group, _ = Group.objects.get_or_create(name="Asset processor operators")
    group.permissions.add(Permission.objects.get(codename="run_assetprocessing"))
    user = User.objects.create_user("operator", password="pw", is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def reader(db) -> User:
    """Staff who may read but not run."""
    return User.objects.create_user("reviewer", password="pw", is_staff=True)


@pytest.fixture
def outsider(db) -> User:
    return User.objects.create_user("someone", password="pw")


@pytest.fixture
def runner_client(runner) -> Client:
    client = Client()
    client.force_login(runner)
    return client


@pytest.fixture
def reader_client(reader) -> Client:
    client = Client()
    client.force_login(reader)
    return client


@pytest.fixture
def finished(write_tree) -> Execution:
    """A completed execution of the guide tree (one failed asset, broken references)."""
    write_tree(guide())
    write_tree({"guide/topics/broken.dita": "<concept id='x'><title>Unclosed</concept>"})
    execution = executions.execution_create(path="/content/dam/guide", created_by="operator")
    return executions.execution_run_inline(processing_id=execution.processing_id)


@pytest.fixture
def running(write_tree) -> Execution:
    """An execution that is in progress, with no live worker (so a cancel completes at once)."""
    write_tree({"other/a.dita": "<topic id='a'><title>A</title></topic>"})
    execution = executions.execution_create(path="/content/dam/other", created_by="operator")
    ExecutionSlot.objects.filter(execution=execution).update(heartbeat_at=None)
    return execution
