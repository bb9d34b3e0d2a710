"""A task broker that does not answer loses nothing and is no 500: the execution is created, its
log says why it waits, and the watchdog sends its tasks again once the broker answers."""

import pytest
from django_q.conf import Conf

from guides_processor.models import Execution, LogLine

from .conftest import BASE

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    """A Redis broker on a port where nothing listens: the real client, refused."""
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "DJANGO_REDIS", None)
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:1/0")


def test_a_start_while_the_broker_is_down_is_created_and_says_why_it_waits(
    api, post_json, write_tree, broker_down, django_capture_on_commit_callbacks
):
    write_tree({"docs/a.dita": "<topic id='a'><title>A</title></topic>"})

    with django_capture_on_commit_callbacks(execute=True) as sent:
        response = post_json(api, BASE, {"path": "/content/dam/docs", "type": "ASSET_PROCESSING"})

    assert sent, "the slots' tasks are sent after the commit"
    assert response.status_code == 200, response.content
    execution = Execution.objects.get(processing_id=response.json()["processingId"])
    assert execution.status == "IN_PROGRESS"
    messages = list(LogLine.objects.filter(execution=execution).values_list("message", flat=True))
    waiting = [message for message in messages if "task broker did not answer" in message]
    assert len(waiting) == 1, messages
    assert "ConnectionError" in waiting[0]
