"""Anything wrong with the file itself is a FAILURE (or a SKIPPED) with a reason, never a raise."""

import hashlib
import os
import random
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from guides_processor.processing import (
    DITATOPIC,
    FAILURE,
    MAX_XML_BYTES,
    OTHERS,
    SKIPPED,
    SUCCESS,
    process,
)

from .conftest import Process, Write
from .documents import topic

FIFTY_MB = 50 * 1024 * 1024


def sparse(path: Path, header: bytes, size: int) -> None:
    """A file of ``size`` bytes that starts with ``header`` and costs no disk (zeros after)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        file.write(header)
        file.truncate(size)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def test_it_fails_a_missing_file(run: Process) -> None:
    result = run("topics/nowhere.dita")
    assert (result.status, result.asset_type, result.error) == (
        FAILURE,
        DITATOPIC,
        "file not found",
    )
    assert (result.size, result.checksum) == (0, "")


def test_it_fails_a_path_under_a_file(write: Write, run: Process) -> None:
    write("a.dita", topic())
    assert run("a.dita/b.dita").error == "file not found"


def test_it_fails_a_directory(root: Path, run: Process) -> None:
    (root / "folder.dita").mkdir()
    result = run("folder.dita")
    assert (result.status, result.error) == (FAILURE, "a directory, not a file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_it_fails_a_fifo_without_waiting_for_a_writer(root: Path, run: Process) -> None:
    os.mkfifo(root / "pipe.md")
    result = run("pipe.md")
    assert (result.status, result.error) == (FAILURE, "not a regular file, not a file")


def _process_elsewhere(root: Path, relpath: str) -> tuple[str, str]:
    """``process`` in a child process that, if we are root, lacks root's right to read all."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: a file cannot be made unreadable")
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]
    code = (
        "import sys; from guides_processor.processing import process; "
        "r = process(sys.argv[1], sys.argv[2]); print(r.status); print(r.error)"
    )
    done = subprocess.run(
        [*prefix, sys.executable, "-c", code, str(root), relpath],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    status, error = done.stdout.splitlines()
    return status, error


def test_it_fails_an_unreadable_file(root: Path, write: Write) -> None:
    path = write("secret.dita", topic())
    path.chmod(0)
    try:
        result = _process_elsewhere(root, "secret.dita")
    finally:
        path.chmod(0o644)
    assert result == (FAILURE, "cannot open file: Permission denied")


@pytest.mark.parametrize("relpath", ["../outside.dita", "/etc/passwd", "a/../../b.dita", ""])
def test_it_refuses_a_relpath_that_leaves_the_root(run: Process, relpath: str) -> None:
    result = run(relpath)
    assert (result.status, result.error) == (FAILURE, "invalid relative path")


@pytest.mark.parametrize("relpath", ["e.dita", "e.ditamap", "e.xml", "e.ditaval", "e.bookmap"])
def test_it_skips_an_empty_xml_file(write: Write, run: Process, relpath: str) -> None:
    # Nothing to parse is not a fault of the file: an empty file is skipped, not failed.
    write(relpath, b"")
    result = run(relpath)
    assert (result.status, result.error) == (SKIPPED, "empty file")
    assert result.checksum == hashlib.sha256(b"").hexdigest()


def test_it_fails_a_dita_file_too_large_to_parse_but_checksums_it(root: Path, run: Process) -> None:
    path = root / "huge.dita"
    sparse(path, b'<?xml version="1.0"?>\n<topic id="huge"><title>', FIFTY_MB)
    tracemalloc.start()
    try:
        result = run("huge.dita")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (result.status, result.asset_type) == (FAILURE, DITATOPIC)
    assert result.error == "file is 50.0 MB, larger than the 32.0 MB limit for parsing XML"
    assert result.size == FIFTY_MB
    assert result.checksum == sha256_of(path)
    assert peak < 4 * 1024 * 1024


def test_it_honours_a_smaller_parse_limit(write: Write, root: Path) -> None:
    write("t.dita", topic(title="x" * 2000))
    result = process(root, "t.dita", max_xml_bytes=1024)
    assert result.status == FAILURE
    assert result.error.startswith("file is 0.0 MB, larger than the 0.0 MB limit")
    assert MAX_XML_BYTES == 32 * 1024 * 1024


def test_it_streams_a_large_image_in_bounded_memory(root: Path, run: Process) -> None:
    path = root / "images" / "poster.png"
    header = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x10\0\0\0\x08\0\x08\x06\0\0\0"
    sparse(path, header, FIFTY_MB)
    tracemalloc.start()
    try:
        result = run("images/poster.png")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (result.status, result.asset_type) == (SUCCESS, OTHERS)
    assert result.metadata == {"width": 4096, "height": 2048}
    assert (result.size, result.checksum) == (FIFTY_MB, sha256_of(path))
    assert peak < 4 * 1024 * 1024


@pytest.mark.parametrize(
    "relpath",
    [
        "g.dita",
        "g.ditamap",
        "g.ditaval",
        "g.xml",
        "g.md",
        "g.html",
        "g.css",
        "g.svg",
        "g.png",
        "g.jpg",
        "g.gif",
    ],
)
def test_it_never_raises_on_garbage(write: Write, run: Process, relpath: str) -> None:
    generator = random.Random(relpath)
    for size in (1, 7, 64, 4096):
        for prefix in (b"", b"<?xml version='1.0'?><", b"\xff\xd8\xff", b"GIF89a", b"\x89PNG"):
            write(relpath, prefix + generator.randbytes(size))
            result = run(relpath)
            assert result.status in (SUCCESS, FAILURE)
            assert "\n" not in result.error
            assert len(result.checksum) == 64
