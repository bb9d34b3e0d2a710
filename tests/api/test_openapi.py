"""The OpenAPI document describes every endpoint and every field; the docs page needs no CDN."""

import json

import pytest
from openapi_spec_validator import validate

from guides_processor.selectors import LOG_LIMIT_MAX

from .conftest import basic_client

pytestmark = pytest.mark.django_db

PATHS = {
    "/bin/guides/v1/assets/process": "post",
    "/bin/guides/v1/assets/process/status": "get",
    "/bin/guides/v1/assets/process/logs": "get",
    "/bin/guides/v1/assets/process/logs/download": "get",
    "/bin/guides/v1/assets/process/cancel": "post",
    "/bin/guides/v1/assets/process/resume": "post",
    "/bin/guides/v1/assets/process/restart": "post",
    "/bin/guides/v1/assets/process/history": "get",
    "/bin/guides/v1/system/status": "get",
    "/bin/guides/v1/assets/process/retry": "post",
    "/bin/guides/v1/assets/status": ["post", "get"],
    "/bin/guides/v1/assets/references": "get",
    "/bin/guides/v1/reports/broken-links": "get",
}


def _refuse_duplicates(pairs):
    keys = [key for key, _ in pairs]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    if duplicated:
        raise ValueError(f"duplicated keys {duplicated}")
    return dict(pairs)


@pytest.fixture
def document(admin):
    response = basic_client(admin).get("/bin/guides/v1/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content, object_pairs_hook=_refuse_duplicates)


def test_it_is_a_valid_openapi_document_without_duplicated_keys(document):
    validate(document)
    download = document["paths"]["/bin/guides/v1/assets/process/logs/download"]["get"]
    assert "application/zip" in download["responses"]["200"]["content"]


def test_it_describes_every_endpoint_with_its_method(document):
    assert {path: list(methods) for path, methods in document["paths"].items()} == {
        path: method if isinstance(method, list) else [method] for path, method in PATHS.items()
    }
    assert document["info"]["title"] == "Guides Asset Processor API"
    assert document["info"]["version"] == "v1"


def test_every_field_and_parameter_has_a_description(document):
    undescribed = [
        f"{name}.{field}"
        for name, schema in document["components"]["schemas"].items()
        for field, details in schema.get("properties", {}).items()
        if not details.get("description")
    ]
    undescribed += [
        f"{path} {parameter['name']}"
        for path, methods in document["paths"].items()
        for operation in methods.values()
        for parameter in operation.get("parameters", [])
        if not parameter.get("description")
    ]
    assert undescribed == []


def test_the_status_schema_describes_every_field_of_the_status_object(document, finished):
    from guides_processor.selectors import execution_status

    fields = set(document["components"]["schemas"]["StatusOut"]["properties"])

    assert set(execution_status(finished())) <= fields


def test_the_logs_description_states_the_paging_rules_and_the_cap(document):
    text = document["paths"]["/bin/guides/v1/assets/process/logs"]["get"]["description"]

    for words in ["0-based", "default 500", f"capped at {LOG_LIMIT_MAX}", "tail=N", "hasMore"]:
        assert words in text


def test_it_offers_basic_and_session_authentication(document):
    assert document["components"]["securitySchemes"] == {
        "BasicAuth": {"type": "http", "scheme": "basic"},
        "SessionAuth": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
    }


def test_the_docs_page_is_served_with_local_assets(admin):
    response = basic_client(admin).get("/bin/guides/v1/docs")

    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
