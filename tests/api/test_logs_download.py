"""GET .../logs/download streams a ZIP of the whole log, read in chunks of line numbers."""

import functools
import io
import tracemalloc
import zipfile
from collections.abc import Iterator

import pytest
from django.http import StreamingHttpResponse

from guides_processor import selectors

from .conftest import BASE

pytestmark = pytest.mark.django_db


def download(api, execution):
    response = api.get(f"{BASE}/logs/download", {"processingId": str(execution.processing_id)})
    assert response.status_code == 200, response.content
    return response


def unzip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def test_the_zip_holds_the_whole_log_as_one_text_file(api, execution_with_log):
    execution = execution_with_log(12)

    response = download(api, execution)

    assert response["Content-Type"] == "application/zip"
    assert (
        response["Content-Disposition"] == f'attachment; filename="{execution.processing_id}.zip"'
    )
    files = unzip(b"".join(response.streaming_content))
    assert list(files) == [f"{execution.processing_id}.log"]
    lines = files[f"{execution.processing_id}.log"].splitlines()
    assert len(lines) == 12
    assert lines[0] == "0\t2026-11-22T10:00:00.123Z\tINFO\tmessage 0"
    assert lines[9] == "9\t2026-11-22T10:00:09.123Z\tWARN\tmessage 9"


def test_an_empty_log_is_an_empty_file(api, execution_with_log):
    execution = execution_with_log(0)

    files = unzip(b"".join(download(api, execution).streaming_content))

    assert files == {f"{execution.processing_id}.log": ""}


def test_a_message_on_several_lines_stays_on_one_line_of_the_file(api, execution_with_log):
    execution = execution_with_log(1)
    execution.log_lines.update(message="first\nsecond")

    files = unzip(b"".join(download(api, execution).streaming_content))

    assert files[f"{execution.processing_id}.log"].endswith("\tINFO\tfirst second\n")


def test_it_is_streamed_one_piece_per_chunk_of_lines(api, execution_with_log, monkeypatch):
    monkeypatch.setattr(selectors, "log_chunks", functools.partial(selectors.log_chunks, chunk=100))
    execution = execution_with_log(1_000)

    response = download(api, execution)

    assert isinstance(response, StreamingHttpResponse)
    content = response.streaming_content
    assert isinstance(content, Iterator)  # the sync test client streams synchronously
    pieces = list(content)
    assert len(pieces) == 11  # ten chunks, then the end of the archive
    assert len(unzip(b"".join(pieces))[f"{execution.processing_id}.log"].splitlines()) == 1_000


def test_memory_does_not_grow_with_the_log(api, execution_with_log):
    def peak_while_streaming(lines: int) -> int:
        response = download(api, execution_with_log(lines))
        tracemalloc.start()
        try:
            for _ in response.streaming_content:
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak_while_streaming(5_000), peak_while_streaming(50_000)

    # Ten times the log, about the same peak: one chunk of rows and the compressor's window.
    assert large < small * 1.5
