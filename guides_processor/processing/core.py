"""``process``: one file of the content repository in, an ``AssetResult`` out.

Each file is read once: the bytes that are hashed are the bytes that are parsed. Files that are not
parsed (images, PDFs, ...) and files too large to parse are hashed in fixed-size chunks, so memory
stays bounded whatever their size.
"""

import hashlib
import os
import stat
from io import FileIO

from .detect import HEAD_BYTES, XML_EXTENSIONS, detect_type, extension
from .dita import (
    count_references,
    fill_ditaval,
    fill_map,
    fill_topic,
    may_exceed,
)
from .html import fill_css, fill_html
from .markdown import fill_markdown
from .others import SVG_PARSE_LIMIT, image_dimensions, svg_dimensions
from .refs import Resolver, TargetChecks
from .result import (
    DITAMAP,
    DITATOPIC,
    DITAVAL,
    FAILURE,
    NOT_FOUND,
    OTHERS,
    SKIPPED,
    SUCCESS,
    AssetResult,
    Fingerprint,
)
from .xmlparser import XmlError, iter_finished_elements, parse_xml

MAX_XML_BYTES = 32 * 1024 * 1024
MAX_REFERENCES = 10_000
EMPTY = "empty file"
CHUNK_BYTES = 256 * 1024
UNCHANGED = "unchanged since its last successful processing"

# Files read whole and parsed, by extension, with the name used in "too large" messages.
_PARSED = {ext: "XML" for ext in XML_EXTENSIONS} | {
    ".md": "Markdown",
    ".markdown": "Markdown",
    ".html": "HTML",
    ".htm": "HTML",
    ".css": "CSS",
}
# O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused after fstat). It changes
# nothing for regular files.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def process(
    root: str | os.PathLike[str],
    relpath: str,
    *,
    previous: Fingerprint | None = None,
    max_xml_bytes: int = MAX_XML_BYTES,
    max_references: int = MAX_REFERENCES,
    checks: TargetChecks | None = None,
) -> AssetResult:
    """Process the file at ``relpath`` (``/``-separated, relative to ``root``).

    Returns SUCCESS with what was extracted; FAILURE with a one-line ``error`` for anything about
    the file itself (missing, unreadable, not a regular file, too large to parse, malformed, badly
    encoded, more than ``max_references`` references: then ``references`` is empty); SKIPPED when
    ``previous`` is given and the file's size, mtime and sha256 all equal it, and for an empty
    (0-byte) XML-based file (``error`` is ``EMPTY``: there is nothing to parse, which is not the
    file's fault). ``size``, ``mtime`` and ``checksum`` are filled whenever the file could be
    read. Files that are parsed (XML, Markdown, HTML, CSS) and larger than ``max_xml_bytes`` are
    FAILURE, still checksummed. Only programming errors raise.

    ``checks``, when given, keeps what reference targets and the folders on their way are for
    the next files processed with it under the same ``root`` (``TargetChecks``: the engine keeps
    one per batch).
    """
    root = os.fspath(root)
    ext = extension(relpath)
    if not relpath or relpath.startswith("/") or "\0" in relpath or ".." in relpath.split("/"):
        return AssetResult(relpath, FAILURE, detect_type(relpath), error="invalid relative path")
    try:
        fd = os.open(os.path.join(root, relpath), _OPEN_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return AssetResult(relpath, FAILURE, detect_type(relpath), error=NOT_FOUND)
    except OSError as error:
        reason = f"cannot open file: {error.strerror or type(error).__name__}"
        return AssetResult(relpath, FAILURE, detect_type(relpath), error=reason)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            return AssetResult(relpath, FAILURE, detect_type(relpath), error=f"{what}, not a file")
        file = open(fd, "rb", buffering=0, closefd=False)  # noqa: SIM115 (fd closed below)
        resolver = Resolver(root, relpath, checks)
        result = _process_open(
            file, st, resolver, relpath, ext, previous, max_xml_bytes, max_references
        )
    except OSError as error:  # EIO and the like, while reading
        reason = f"cannot read file: {error.strerror or type(error).__name__}"
        return AssetResult(relpath, FAILURE, detect_type(relpath), error=reason)
    finally:
        os.close(fd)
    if len(result.references) > max_references:
        # Markdown, HTML and CSS are only counted here, after the fact: their files are bounded by
        # ``max_xml_bytes`` and they are rarely large. XML is refused before it is walked.
        _too_many_references(result, max_references, len(result.references))
    return result


def _too_many_references(result: AssetResult, limit: int, count: int | None = None) -> None:
    """Fail ``result`` for holding more references than ``limit``: ``count`` of them where the
    file was counted whole; XML is counted only up to the limit, so that a file of millions of
    links is not walked to the end."""
    result.status = FAILURE
    if count is None:
        result.error = f"has more than {limit:,} references, the limit (counted up to it)"
    else:
        result.error = f"has {count:,} references, more than the limit of {limit:,}"
    result.references = []
    result.ids = []


def _process_open(
    file: FileIO,
    st: os.stat_result,
    resolver: Resolver,
    relpath: str,
    ext: str,
    previous: Fingerprint | None,
    max_xml_bytes: int,
    max_references: int,
) -> AssetResult:
    parsed_as = _PARSED.get(ext)
    if parsed_as is not None:
        limit = max_xml_bytes
    elif ext == ".svg":
        limit = SVG_PARSE_LIMIT
    else:
        limit = -1  # streamed
    digest = hashlib.sha256()
    data, head, size = _read(file, st.st_size, limit, digest)

    asset_type = detect_type(relpath, head)
    result = AssetResult(
        relpath, SUCCESS, asset_type, size=size, mtime=st.st_mtime, checksum=digest.hexdigest()
    )
    if _unchanged(previous, result):
        result.status = SKIPPED
        result.error = UNCHANGED
        return result

    if parsed_as is None:
        if data is not None:  # a small SVG
            result.metadata = svg_dimensions(data)
        else:
            result.metadata = image_dimensions(head)
        return result
    if parsed_as == "XML" and size == 0:
        result.status = SKIPPED
        result.error = EMPTY
        return result
    if asset_type == OTHERS:
        return result  # an .xml that is not DITA: a plain file
    if data is None:
        result.status = FAILURE
        result.error = (
            f"file is {_megabytes(size)}, larger than the {_megabytes(max_xml_bytes)} limit"
            f" for parsing {parsed_as}"
        )
        return result
    _fill(result, parsed_as, ext, data, resolver, max_references)
    return result


def _read(
    file: FileIO, st_size: int, limit: int, digest: "hashlib._Hash"
) -> tuple[bytes | None, bytes, int]:
    """(the whole content or None, its head, its size), ``digest`` fed with every byte.

    A file of at most ``limit`` bytes is read whole, to be parsed; a larger one is streamed
    through the digest and only its head kept.
    """
    if 0 <= st_size <= limit:
        data = _read_exactly(file, st_size)
        digest.update(data)
        return data, data[:HEAD_BYTES], len(data)
    head, size = _stream(file, digest)
    return None, head, size


def _unchanged(previous: Fingerprint | None, result: AssetResult) -> bool:
    """Whether the file is byte for byte what its previous successful processing read."""
    return (
        previous is not None
        and previous.size == result.size
        and previous.mtime == result.mtime
        and previous.checksum == result.checksum
    )


def _fill(
    result: AssetResult,
    parsed_as: str,
    ext: str,
    data: bytes,
    resolver: Resolver,
    max_references: int,
) -> None:
    """Parse a whole file of a parsed format into ``result`` (title, references, ids)."""
    if parsed_as == "XML":
        _fill_xml(result, resolver, data, max_references)
    elif parsed_as == "Markdown":
        fill_markdown(result, data, resolver)
    elif ext == ".css":
        fill_css(result, data, resolver)
    else:
        fill_html(result, data, resolver)


def _fill_xml(result: AssetResult, resolver: Resolver, data: bytes, max_references: int) -> None:
    """Parse and fill a topic, map or DITAVAL; its type is the head's (``detect_type``), so the
    ``fileTypes`` filter and processing never disagree.

    A document that may hold more than ``max_references`` references (by a byte count) is first
    counted while streaming, elements cleared as they end, so that a file with millions of links
    fails without its tree or its reference objects ever being built.
    """
    if may_exceed(data, max_references):
        try:
            count = count_references(iter_finished_elements(data), stop_after=max_references)
        except XmlError as error:
            result.status = FAILURE
            result.error = str(error)
            return
        if count > max_references:
            _too_many_references(result, max_references)
            return
    try:
        element = parse_xml(data)
    except XmlError as error:
        result.status = FAILURE
        result.error = str(error)
        return
    if result.asset_type == DITATOPIC:
        fill_topic(result, element, resolver)
    elif result.asset_type == DITAMAP:
        fill_map(result, element, resolver)
    elif result.asset_type == DITAVAL:
        fill_ditaval(result, element)


def _read_exactly(file: FileIO, size: int) -> bytes:
    """Up to ``size`` bytes (fewer if the file shrank since it was stat'ed)."""
    data = file.read(size) if size else b""
    if data is None or len(data) == size:
        return data or b""
    parts = [data]
    got = len(data)
    while got < size:
        more = file.read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def _stream(file: FileIO, digest: "hashlib._Hash") -> tuple[bytes, int]:
    """Hash the whole file in chunks; return its first ``CHUNK_BYTES`` bytes and its size."""
    buffer = bytearray(CHUNK_BYTES)
    view = memoryview(buffer)
    head = b""
    size = 0
    while True:
        count = file.readinto(buffer)
        if not count:
            break
        digest.update(view[:count])
        if len(head) < CHUNK_BYTES:
            # Kept for image headers: a JPEG's frame header can follow a long EXIF block.
            head += bytes(view[: min(count, CHUNK_BYTES - len(head))])
        size += count
    return head, size


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
