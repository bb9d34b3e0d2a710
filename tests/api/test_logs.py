"""GET .../logs pages the log by line number or gives its tail, at O(lines returned)."""

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import BASE

pytestmark = pytest.mark.django_db


@pytest.fixture
def logs(api):
    def get(execution, **query):
        response = api.get(f"{BASE}/logs", {"processingId": str(execution.processing_id), **query})
        assert response.status_code == 200, response.content
        return response.json()

    return get


def numbers(page):
    return [entry["line"] for entry in page["entries"]]


def test_offset_and_limit_give_the_lines_from_that_number(logs, execution_with_log):
    execution = execution_with_log(30)

    page = logs(execution, offset=10, limit=5)

    assert numbers(page) == [10, 11, 12, 13, 14]
    assert (page["offset"], page["limit"], page["hasMore"], page["total"]) == (10, 5, True, 30)


def test_the_last_page_has_no_more(logs, execution_with_log):
    page = logs(execution_with_log(30), offset=25, limit=5)

    assert numbers(page) == [25, 26, 27, 28, 29]
    assert page["hasMore"] is False


def test_by_default_it_gives_the_first_500_lines(logs, execution_with_log):
    page = logs(execution_with_log(600))

    assert numbers(page) == list(range(500))
    assert (page["offset"], page["limit"], page["hasMore"]) == (0, 500, True)


def test_a_limit_above_the_cap_is_capped_at_5000(logs, execution_with_log):
    page = logs(execution_with_log(5200), limit=100000)

    assert page["limit"] == 5000
    assert len(page["lines"]) == 5000
    assert page["hasMore"] is True


def test_numbers_may_be_sent_as_numeric_strings(api, execution_with_log):
    execution = execution_with_log(30)

    response = api.get(f"{BASE}/logs?processingId={execution.processing_id}&offset=%2012&limit=3")

    assert [entry["line"] for entry in response.json()["entries"]] == [12, 13, 14]


def test_tail_gives_the_last_lines_and_where_they_start(logs, execution_with_log):
    page = logs(execution_with_log(30), tail="4")

    assert numbers(page) == [26, 27, 28, 29]
    assert (page["offset"], page["limit"], page["hasMore"]) == (26, 4, False)


def test_a_tail_longer_than_the_log_gives_all_of_it(logs, execution_with_log):
    page = logs(execution_with_log(3), tail=500)

    assert numbers(page) == [0, 1, 2]
    assert page["offset"] == 0


def test_an_offset_past_the_end_gives_no_lines(logs, execution_with_log):
    page = logs(execution_with_log(3), offset=10)

    assert page["lines"] == []
    assert page["hasMore"] is False


def test_lines_read_as_time_level_message_and_entries_say_the_same(logs, execution_with_log):
    page = logs(execution_with_log(10), offset=8, limit=2)

    assert page["lines"] == [
        "2026-11-22T10:00:08.123Z INFO message 8",
        "2026-11-22T10:00:09.123Z WARN message 9",
    ]
    assert page["entries"][1] == {
        "line": 9,
        "time": int(datetime(2026, 11, 22, 10, 0, 9, 123000, tzinfo=UTC).timestamp() * 1000),
        "level": "WARN",
        "message": "message 9",
    }
    assert all(re.fullmatch(r"\S+Z (INFO|WARN|ERROR) .+", line) for line in page["lines"])


@pytest.mark.parametrize("query", [{"tail": "500"}, {"offset": "400", "limit": "500"}])
def test_a_page_costs_the_same_queries_for_a_long_log_as_for_a_short_one(
    api, admin, execution_with_log, query
):
    short, long = execution_with_log(1_000), execution_with_log(20_000)

    def queries(execution):
        with CaptureQueriesContext(connection) as captured:
            response = api.get(
                f"{BASE}/logs", {"processingId": str(execution.processing_id), **query}
            )
        assert response.status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    queries(short)  # the first request verifies the Basic credentials; later ones remember them
    short_sql, long_sql = queries(short), queries(long)

    assert len(short_sql) == len(long_sql)
    assert not any("COUNT(" in sql.upper() for sql in long_sql)
    assert any('"line" >=' in sql and '"line" <' in sql for sql in long_sql)
