"""filterProcessedAssets: a file whose size, mtime and checksum are unchanged is skipped."""

import os

from guides_processor.processing import SKIPPED, SUCCESS, UNCHANGED, Fingerprint

from .conftest import Process, Write
from .documents import topic


def test_it_skips_a_file_unchanged_since_its_last_processing(write: Write, run: Process) -> None:
    write("t.dita", topic(title="Same"))
    first = run("t.dita")
    again = run("t.dita", previous=first.fingerprint)
    assert (again.status, again.error) == (SKIPPED, UNCHANGED)
    assert again.error == "unchanged since its last successful processing"
    assert again.fingerprint == first.fingerprint
    assert again.asset_type == first.asset_type


def test_it_processes_a_file_whose_content_changed_behind_the_same_size_and_mtime(
    write: Write, run: Process
) -> None:
    path = write("t.dita", topic(title="Before"))
    first = run("t.dita")
    stat = path.stat()
    path.write_text(topic(title="After!"), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    again = run("t.dita", previous=first.fingerprint)
    assert (again.size, again.mtime) == (first.size, first.mtime)
    assert (again.status, again.title) == (SUCCESS, "After!")


def test_it_processes_a_file_whose_mtime_changed(write: Write, run: Process) -> None:
    path = write("t.dita", topic())
    first = run("t.dita")
    os.utime(path, (first.mtime + 10, first.mtime + 10))
    again = run("t.dita", previous=first.fingerprint)
    assert again.status == SUCCESS
    assert again.mtime == first.mtime + 10


def test_it_skips_an_unchanged_image_too(write: Write, run: Process) -> None:
    write("i.png", b"\x89PNG\r\n\x1a\n")
    first = run("i.png")
    previous = Fingerprint(first.size, first.mtime, first.checksum)
    assert run("i.png", previous=previous).status == SKIPPED
    stale = Fingerprint(first.size, first.mtime, "0" * 64)
    assert run("i.png", previous=stale).status == SUCCESS
