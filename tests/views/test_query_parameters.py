"""Paging parameters of the console that are not numbers, or not sensible ones, are a clear 400."""

import json

import pytest
from django.urls import reverse

from .conftest import HTMX

pytestmark = pytest.mark.django_db

FOLDERS = reverse("guides_processor:folders")
EXECUTIONS = reverse("guides_processor:executions")
HUGE = "99999999999999999999999"


@pytest.fixture
def big(content_root):
    for index in range(250):
        (content_root / "big" / f"f{index:03d}").mkdir(parents=True)
    return content_root


@pytest.mark.parametrize("offset", [HUGE, "-1", "many", "1e3"])
def test_the_folder_picker_refuses_an_offset_that_is_not_a_page(runner_client, big, offset):
    response = runner_client.get(FOLDERS, {"path": "/content/dam/big", "offset": offset}, **HTMX)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Offset: " in html
    assert "tree-error" in html
    assert "more folder" not in html


def test_the_folder_picker_refuses_an_offset_past_the_last_folder(runner_client, big):
    response = runner_client.get(FOLDERS, {"path": "/content/dam/big", "offset": "400"}, **HTMX)

    assert response.status_code == 400
    assert "/content/dam/big has only 250 sub-folders." in response.content.decode()


def test_the_folder_picker_pages_up_to_the_last_folder(runner_client, big):
    response = runner_client.get(FOLDERS, {"path": "/content/dam/big", "offset": "200"}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('role="treeitem"') == 50
    assert "more folder" not in html


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"before": HUGE}, "Page: "),
        ({"before": "0"}, "Page: "),
        ({"after": "-3"}, "Page: "),
        ({"after": "soon"}, "Page: "),
        ({"before": "5", "after": "2"}, "either before or after"),
        ({"status": "BOGUS"}, "Status: "),
    ],
)
def test_bad_table_cursors_and_filters_are_a_400_that_says_why(runner_client, params, words):
    fragment = runner_client.get(EXECUTIONS, params, **HTMX)
    page = runner_client.get(EXECUTIONS, params)

    assert fragment.status_code == 400
    assert words in fragment.content.decode()
    assert json.loads(fragment["HX-Trigger"])["toast"]["level"] == "error"
    assert page.status_code == 400
    assert words in page.content.decode()
    assert "Guides Asset Processor" in page.content.decode()  # the console's layout
