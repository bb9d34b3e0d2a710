"""Helpers for driving executions over HTTP as a client would."""

import io
import time
import zipfile
from typing import Any

from django.test import Client

from guides_processor.models import LogLine

from .conftest import BASE


def status(api: Client, processing_id: str) -> dict[str, Any]:
    response = api.get(f"{BASE}/status", {"processingId": processing_id})
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def poll(
    api: Client, processing_id: str, until: set[str], timeout: float = 60.0, triggered: int = 0
) -> dict[str, Any]:
    """Poll the status until it is in ``until`` and ``triggeredCount`` is at least ``triggered``."""
    deadline = time.monotonic() + timeout
    while True:
        current = status(api, processing_id)
        if current["status"] in until and current["triggeredCount"] >= triggered:
            return current
        assert time.monotonic() < deadline, (
            f"still {current['status']} after {timeout} s: {current}"
        )
        time.sleep(0.2)


def db_log(processing_id: str) -> list[str]:
    """The execution's log from the database, formatted as the download writes it."""
    rows = LogLine.objects.filter(execution__processing_id=processing_id).order_by("line")
    return [
        f"{row.line}\t{row.time.isoformat(timespec='milliseconds').replace('+00:00', 'Z')}\t"
        f"{row.level}\t{row.message}"
        for row in rows
    ]


def all_pages(api: Client, processing_id: str, limit: int) -> list[dict[str, Any]]:
    """Every log entry, page by page with offset and limit, until hasMore is false."""
    entries: list[dict[str, Any]] = []
    offset = 0
    while True:
        query: dict[str, str | int] = {
            "processingId": processing_id,
            "offset": offset,
            "limit": limit,
        }
        page = api.get(f"{BASE}/logs", query).json()
        assert page["offset"] == offset
        entries += page["entries"]
        if not page["hasMore"]:
            return entries
        offset += page["limit"]


def downloaded_log(api: Client, processing_id: str) -> list[str]:
    response = api.get(f"{BASE}/logs/download", {"processingId": processing_id})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.getvalue())) as archive:
        return archive.read(f"{processing_id}.log").decode("utf-8").splitlines()
