"""Fuzz the API from its own OpenAPI document: no input makes a 500 or breaks the documented schema.

The document is built by the API itself (fetching it needs a user, and no database is open while
tests are collected); the WSGI application then serves every generated request in this process.
The database is used outside a test transaction (the WSGI handler closes connections between
requests), so the test is transactional.
"""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from guides_processor.api import PREFIX, api

from .conftest import basic

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix=PREFIX))
schema.app = get_wsgi_application()

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


@pytest.fixture
def known_ids(admin, finished, write_tree):
    """Real processingIds, so that generated requests also reach executions that exist."""
    from guides_processor import executions
    from tests.engine.trees import many

    done = finished()
    write_tree({**many(3, "bulk"), "status-fetch1/excluded-folder/a.md": "# A\n"})  # the example
    running = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    return [str(done.processing_id), str(running.processing_id)]


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_breaks_the_api(case, known_ids):
    headers = {"Authorization": basic("admin")}
    case.call_and_validate(headers=headers, checks=CHECKS)

    # The same request again, aimed at an execution that exists.
    for location in (case.query, case.body):
        if isinstance(location, dict) and "processingId" in location:
            location["processingId"] = known_ids[len(str(case.query)) % 2]
            case.call_and_validate(headers=headers, checks=CHECKS)
            break
