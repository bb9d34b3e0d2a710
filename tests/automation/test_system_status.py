"""GET /bin/guides/v1/system/status: the database, the broker, the workers, the catch-up and the
watch, for readers; 503 when the database does not answer."""

import pytest
from django.db import connection
from django.test import Client

from guides_processor.executions.catchup import catchup_run
from tests.api.conftest import basic, basic_client
from tests.engine.trees import topic

URL = "/bin/guides/v1/system/status"


@pytest.mark.django_db
def test_a_reader_sees_what_answers_and_the_last_catch_up(admin, write_tree, settings):
    settings.GUIDES_CATCHUP_SECONDS = 900
    settings.GUIDES_CATCHUP_PATHS = ["/content/dam/docs"]
    write_tree({"docs/a.dita": topic("a", "Alpha")})
    catchup_run(trigger="schedule")

    response = basic_client(admin).get(URL)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["database"], body["broker"], body["workers"]) == (True, True, 0)
    assert body["watch"] == {
        "enabled": False,
        "debounceSeconds": 5,
        "active": False,
        "holder": None,
    }
    catchup = body["catchup"]
    assert (catchup["enabled"], catchup["seconds"], catchup["paths"]) == (
        True,
        900,
        ["/content/dam/docs"],
    )
    assert catchup["runs"] == 1
    assert catchup["lastRun"]["result"] == "queued"
    assert catchup["lastRun"]["new"] == 1
    assert catchup["lastRunAt"]


@pytest.mark.django_db
def test_only_readers_may_see_it(staff, outsider):
    assert Client().get(URL).status_code == 401
    refused = Client().get(URL, HTTP_AUTHORIZATION=basic(outsider.username))
    assert refused.status_code == 403
    assert refused.json()["error"] == "FORBIDDEN"
    assert Client().get(URL, HTTP_AUTHORIZATION=basic(staff.username)).status_code == 200
    assert Client().post(URL, HTTP_AUTHORIZATION=basic(staff.username)).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_a_database_that_does_not_answer_is_a_503(admin, tmp_path, settings):
    name = connection.settings_dict["NAME"]
    connection.close()
    # A database that does not exist: a file in a folder that does not exist (SQLite), or a
    # database name the server does not have (PostgreSQL). The driver cannot open either.
    connection.settings_dict["NAME"] = (
        str(tmp_path / "missing" / "db.sqlite3")
        if connection.vendor == "sqlite"
        else "guides_no_such_database"
    )
    try:
        response = Client().get(URL, HTTP_AUTHORIZATION=basic(admin.username))
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
    assert response.status_code == 503, response.content
    body = response.json()
    # The ORM broker is the database; a Redis broker still answers.
    broker = bool(settings.GUIDES_BROKER_URL)
    assert (body["database"], body["broker"], body["workers"]) == (False, broker, 0)
