"""The status object's cancellable, resumable and restartable say what the API then allows."""

import pytest

from guides_processor import executions
from guides_processor.models import Execution, ExecutionStatus
from tests.engine.trees import many

from .conftest import BASE

pytestmark = pytest.mark.django_db

FLAGS = {"cancel": "cancellable", "resume": "resumable", "restart": "restartable"}


@pytest.mark.parametrize("action", FLAGS)
@pytest.mark.parametrize("status", ExecutionStatus.values)
def test_a_flag_is_true_exactly_when_its_action_is_accepted(
    api, post_json, write_tree, status, action
):
    write_tree(many(2, "flags"))
    execution = executions.execution_create(path="/content/dam/flags", created_by="admin")
    Execution.objects.filter(pk=execution.pk).update(status=status)
    query = f"processingId={execution.processing_id}"

    allowed = api.get(f"{BASE}/status?{query}").json()[FLAGS[action]]
    response = post_json(api, f"{BASE}/{action}?{query}")

    assert response.status_code == (200 if allowed else 409), response.json()
