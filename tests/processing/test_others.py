"""Every other file: size, checksum and, for images, dimensions read from the headers."""

import hashlib
import struct

import pytest

from guides_processor.processing import OTHERS, SUCCESS

from .conftest import Process, Write

PNG = b"\x89PNG\r\n\x1a\n" + struct.pack(">I4sII", 13, b"IHDR", 640, 480) + b"\x08\x06\0\0\0"
GIF = b"GIF89a" + struct.pack("<HH", 32, 16) + b"\0" * 20
JPEG = (
    b"\xff\xd8"
    + b"\xff\xe0"
    + struct.pack(">H", 16)
    + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    + b"\xff\xdb"
    + struct.pack(">H", 4)
    + b"\0\0"
    + b"\xff\xc0"
    + struct.pack(">HBHHB", 11, 8, 200, 300, 1)
    + b"\x01\x11\0"
    + b"\xff\xd9"
)


@pytest.mark.parametrize(
    ("relpath", "data", "dimensions"),
    [
        ("images/a.png", PNG, {"width": 640, "height": 480}),
        ("images/a.gif", GIF, {"width": 32, "height": 16}),
        ("images/a.jpg", JPEG, {"width": 300, "height": 200}),
        ("images/truncated.png", PNG[:20], {}),
        ("images/broken.jpg", b"\xff\xd8\xff\xe0\x00", {}),
        ("files/guide.pdf", b"%PDF-1.7\n", {}),
    ],
)
def test_it_reads_image_dimensions_from_headers(
    write: Write, run: Process, relpath: str, data: bytes, dimensions: dict[str, int]
) -> None:
    write(relpath, data)
    result = run(relpath)
    assert (result.status, result.asset_type) == (SUCCESS, OTHERS)
    assert result.metadata == dimensions
    assert (result.size, result.checksum) == (len(data), hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize(
    ("svg", "dimensions"),
    [
        ('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80px"/>', (120, 80)),
        ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150.5"/>', (300, 150.5)),
        ('<svg xmlns="http://www.w3.org/2000/svg" width="50%" viewBox="0,0,30,20"/>', (30, 20)),
        ('<svg xmlns="http://www.w3.org/2000/svg" width="10em" height="1em"/>', None),
        ("<svg><unclosed></svg>", None),
        ("<html/>", None),
    ],
)
def test_it_reads_svg_dimensions_from_the_root(
    write: Write, run: Process, svg: str, dimensions: tuple[float, float] | None
) -> None:
    write("images/figure.svg", svg)
    result = run("images/figure.svg")
    assert (result.status, result.asset_type) == (SUCCESS, OTHERS)
    expected = {} if dimensions is None else {"width": dimensions[0], "height": dimensions[1]}
    assert result.metadata == expected


def test_it_accepts_an_empty_file(write: Write, run: Process) -> None:
    write("files/empty.bin", b"")
    result = run("files/empty.bin")
    assert (result.status, result.size, result.checksum) == (
        SUCCESS,
        0,
        hashlib.sha256(b"").hexdigest(),
    )


def test_it_treats_an_xml_file_that_is_not_dita_as_a_plain_file(write: Write, run: Process) -> None:
    write("build.xml", '<?xml version="1.0"?>\n<project name="x"><unclosed></project>\n')
    result = run("build.xml")
    assert (result.status, result.asset_type, result.error) == (SUCCESS, OTHERS, "")
    assert result.checksum
