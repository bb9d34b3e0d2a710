"""Every other file: image dimensions where they are cheap to read.

PNG, GIF and JPEG dimensions come from the first bytes of the file (the head already read while
hashing); SVG dimensions from the root element, parsed with the hardened parser, small files only.
"""

import re

from .dita import local_name
from .xmlparser import XmlError, parse_xml

# Larger SVGs are hashed by streaming and get no dimensions.
SVG_PARSE_LIMIT = 1024 * 1024

_PNG = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_SVG_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(?:px)?\s*")


def image_dimensions(head: bytes) -> dict[str, int]:
    """{width, height} of a PNG, GIF or JPEG from the start of its bytes; {} when not known."""
    if head.startswith(_PNG) and head[12:16] == b"IHDR" and len(head) >= 24:
        width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        return _dimensions(width, height)
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        width, height = int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")
        return _dimensions(width, height)
    if head.startswith(b"\xff\xd8"):
        return _jpeg_dimensions(head)
    return {}


def svg_dimensions(data: bytes) -> dict[str, float]:
    """{width, height} in user units (``px`` or none) from an SVG's root, else from its viewBox.

    A malformed or non-SVG document has no dimensions; it is not an error for an image.
    """
    try:
        root = parse_xml(data)
    except XmlError:
        return {}
    if local_name(root) != "svg":
        return {}
    width = _svg_length(root.get("width"))
    height = _svg_length(root.get("height"))
    if width is None or height is None:
        box = (root.get("viewBox") or "").replace(",", " ").split()
        if len(box) == 4:
            width = width if width is not None else _svg_length(box[2])
            height = height if height is not None else _svg_length(box[3])
    if width is None or height is None:
        return {}
    return {"width": width, "height": height}


def _svg_length(value: str | None) -> float | None:
    if value is None:
        return None
    match = _SVG_LENGTH.fullmatch(value)
    if match is None:
        return None  # %, em, mm, ...: not a pixel size
    number = float(match.group(1))
    return int(number) if number.is_integer() else number


def _dimensions(width: int, height: int) -> dict[str, int]:
    return {"width": width, "height": height} if width and height else {}


def _jpeg_frame_dimensions(data: bytes, pos: int) -> dict[str, int]:
    """The size in a start-of-frame segment whose length field begins at ``pos``."""
    if pos + 7 > len(data):
        return {}
    height = int.from_bytes(data[pos + 3 : pos + 5], "big")
    width = int.from_bytes(data[pos + 5 : pos + 7], "big")
    return _dimensions(width, height)


def _jpeg_dimensions(data: bytes) -> dict[str, int]:
    pos, end = 2, len(data)
    while pos + 1 < end:
        if data[pos] != 0xFF:
            return {}  # lost in the segment stream
        while pos < end and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= end:
            return {}
        marker = data[pos]
        pos += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            continue  # markers without a length
        if marker in (0xD9, 0xDA):
            return {}  # end of image, or the scan started before any frame header
        if pos + 2 > end:
            return {}
        if marker in _JPEG_SOF:
            return _jpeg_frame_dimensions(data, pos)
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2:
            return {}
        pos += length
    return {}
