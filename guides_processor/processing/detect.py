"""Which asset type a file is: from its extension and, for ``.xml`` and ``.dita``, its root element.

This runs for every file of a calculation (the ``fileTypes`` filter), so it only looks at a name and
at most the first few KB of a file, with a plain byte scan rather than a parser.
"""

import os
import posixpath
import re
import stat

from .result import DITAMAP, DITATOPIC, DITAVAL, HTML_CSS, MARKDOWN, OTHERS

# How much of a file ``detect_type`` needs to see the root element behind a prolog (XML
# declaration, DOCTYPE, a licence comment).
HEAD_BYTES = 8192

# Root elements known by name (files rarely carry @class: it is defaulted by DTDs, which are not
# loaded). Topics: the base topic, the technical-content specialisations, glossary,
# troubleshooting, learning and training, and the ``dita`` composite. Maps: the base map, bookmap,
# subject scheme, classification and learning maps.
TOPIC_ROOTS = frozenset(
    {
        "topic",
        "concept",
        "task",
        "reference",
        "glossentry",
        "glossgroup",
        "troubleshooting",
        "learningAssessment",
        "learningContent",
        "learningOverview",
        "learningPlan",
        "learningSummary",
        "dita",
    }
)
MAP_ROOTS = frozenset(
    {"map", "bookmap", "subjectScheme", "classifyMap", "learningMap", "learningBookmap"}
)

XML_EXTENSIONS = frozenset({".dita", ".ditamap", ".bookmap", ".ditaval", ".xml"})
_BY_EXTENSION = {
    ".dita": DITATOPIC,
    ".ditamap": DITAMAP,
    ".bookmap": DITAMAP,
    ".ditaval": DITAVAL,
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".html": HTML_CSS,
    ".htm": HTML_CSS,
    ".css": HTML_CSS,
}

_NAME_END = b" \t\r\n/>["
# A ``class`` attribute (not ``outputclass``): preceded by whitespace, as attributes are.
_CLASS_ATTRIBUTE = re.compile(rb"""[ \t\r\n]class[ \t\r\n]*=[ \t\r\n]*(?:"([^"]*)"|'([^']*)')""")
HEAD_EXTENSIONS = frozenset({".dita", ".xml"})
# As ``process`` opens files: a FIFO must not block the open.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def extension(relpath: str) -> str:
    """The lower-cased extension of the file name, with its dot ("" when there is none)."""
    return posixpath.splitext(relpath)[1].lower()


def dita_class_base(class_value: str | None) -> str | None:
    """The first ``module/element`` token of a DITA ``@class`` value: "" for a domain value, None
    when there is no DITA @class at all.

    DITA 1.3, architectural specification, "@class attribute rules and syntax" (DITA 2.0 keeps
    them): a structural element's @class starts with "-", then lists its ancestry from the most
    general type, so every topic type's first token is ``topic/topic`` and every map type's
    ``map/map`` ("- topic/topic concept/concept ", "- map/map bookmap/bookmap "). A domain
    element's starts with "+" and is neither a topic nor a map.
    """
    if not class_value:
        return None
    tokens = class_value.split()
    if len(tokens) < 2 or tokens[0] not in ("-", "+"):
        return None
    return tokens[1] if tokens[0] == "-" else ""


def is_map_root(name: str, class_value: str | None = None) -> bool:
    """A DITA map root: its @class says ``map/map``, or its name is a known map type.

    A name that merely ends in "map" is not enough: oXygen's ``contentCompletionElementsMap``
    and other tools' XML files are no DITA maps.
    """
    base = dita_class_base(class_value)
    if base is not None:
        return base == "map/map"
    return name in MAP_ROOTS


def is_topic_root(name: str, class_value: str | None = None) -> bool:
    """A DITA topic root: its @class says ``topic/topic``, or its name is a known topic type."""
    base = dita_class_base(class_value)
    if base is not None:
        return base == "topic/topic"
    return name in TOPIC_ROOTS


def type_for_root(ext: str, root: str | None, class_value: str | None = None) -> str:
    """The asset type of an XML-based file with extension ``ext`` whose root element is ``root``
    (local name) with ``@class`` ``class_value``.

    ``.dita`` is a topic unless its root is a map; ``.xml`` is a topic or a map only when its root
    is a DITA topic or map (by @class, else by a known name), and OTHERS otherwise (including when
    the root is unknown). Other extensions decide alone.
    """
    if ext == ".dita":
        return DITAMAP if root is not None and is_map_root(root, class_value) else DITATOPIC
    if ext == ".xml":
        if root is None:
            return OTHERS
        if is_map_root(root, class_value):
            return DITAMAP
        return DITATOPIC if is_topic_root(root, class_value) else OTHERS
    return _BY_EXTENSION.get(ext, OTHERS)


def detect_type(relpath: str, head: bytes | None = None) -> str:
    """The asset type (an API name of ``result.ASSET_TYPES``) of the file at ``relpath``.

    ``head`` is the start of the file (its first ``HEAD_BYTES``); it is only looked at for
    ``.xml`` and ``.dita``. Without it a ``.dita`` is a DITATOPIC and a ``.xml`` is OTHERS. This is
    the one decision: ``process`` passes the same first ``HEAD_BYTES`` of the bytes it parses, and
    ``file_type`` reads them for a filter, so both always agree.
    """
    ext = extension(relpath)
    if ext in HEAD_EXTENSIONS:
        if not head:
            return type_for_root(ext, None)
        name, class_value = root_element(head[:HEAD_BYTES])
        return type_for_root(ext, name, class_value)
    return _BY_EXTENSION.get(ext, OTHERS)


def file_type(root: str | os.PathLike[str], relpath: str) -> str | None:
    """The asset type of the file at ``relpath`` under ``root``, as ``process`` would type it.

    Reads nothing for extensions that decide alone, and at most the first ``HEAD_BYTES`` (one
    read) for ``.xml`` and ``.dita``. ``None`` when the head cannot be read (missing, not a regular
    file, no permission): the caller should keep the file so that processing reports why.
    """
    if extension(relpath) not in HEAD_EXTENSIONS:
        return detect_type(relpath)
    try:
        fd = os.open(os.path.join(root, relpath), _OPEN_FLAGS)
    except (OSError, ValueError):
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        head = os.read(fd, HEAD_BYTES)
    except OSError:
        return None
    finally:
        os.close(fd)
    return detect_type(relpath, head)


def root_element_name(head: bytes) -> str | None:
    """The local name of the root element in ``head`` (see ``root_element``)."""
    return root_element(head)[0]


def root_element(head: bytes) -> tuple[str | None, str | None]:
    """The local name and ``@class`` of the root element in ``head``, the first bytes of an XML
    document.

    Skips the BOM, the XML declaration, comments, processing instructions and the DOCTYPE
    (internal subset included). When the root start tag is not within ``head`` the DOCTYPE's name
    is used, since it must match the root; ``None`` when neither is found or the bytes do not look
    like XML; the class is None when the start tag (up to its ``>``) is not within ``head`` or has
    no @class. UTF-16 documents are not recognised (they are rare for DITA): such a ``.xml`` is
    OTHERS and such a ``.dita`` a topic.
    """
    pos = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    end = len(head)
    doctype_name: str | None = None
    while pos < end:
        lt = head.find(b"<", pos)
        if lt < 0 or head[pos:lt].strip():
            # Text before the root element: not an XML prolog we understand.
            return doctype_name, None
        if head.startswith(b"<?", lt):
            close = head.find(b"?>", lt + 2)
            if close < 0:
                return doctype_name, None
            pos = close + 2
        elif head.startswith(b"<!--", lt):
            close = head.find(b"-->", lt + 4)
            if close < 0:
                return doctype_name, None
            pos = close + 3
        elif head.startswith(b"<!DOCTYPE", lt):
            doctype_name = _name_at(head, lt + 9)
            close = _doctype_end(head, lt + 9)
            if close < 0:
                return doctype_name, None
            pos = close + 1
        else:
            name = _name_at(head, lt + 1)
            if name is None:
                return doctype_name, None
            return name, _class_of_start_tag(head, lt + 1)
    return doctype_name, None


def _class_of_start_tag(data: bytes, pos: int) -> str | None:
    """The ``class`` attribute of the start tag whose name begins at ``pos``, if the whole tag is
    in ``data``."""
    close = pos
    end = len(data)
    while close < end:  # the tag's ">", skipping quoted attribute values
        byte = data[close]
        if byte in b"\"'":
            quote = data.find(bytes((byte,)), close + 1)
            if quote < 0:
                return None
            close = quote
        elif byte == 0x3E:  # >
            break
        close += 1
    else:
        return None
    match = _CLASS_ATTRIBUTE.search(data, pos, close)
    if match is None:
        return None
    value = match.group(1) if match.group(1) is not None else match.group(2)
    return value.decode("utf-8", "replace")


def _name_at(data: bytes, pos: int) -> str | None:
    """The XML name starting at ``pos`` (leading whitespace skipped), without its prefix."""
    end = len(data)
    while pos < end and data[pos] in b" \t\r\n":
        pos += 1
    start = pos
    while pos < end and data[pos] not in _NAME_END:
        pos += 1
    if pos in (start, end):
        return None
    name = data[start:pos].decode("utf-8", "replace")
    return name.rpartition(":")[2]


def _doctype_end(data: bytes, pos: int) -> int:
    """Index of the ``>`` closing a DOCTYPE whose body starts at ``pos``, or -1 if not in ``data``.

    Quoted literals and the bracketed internal subset may contain ``>``.
    """
    end = len(data)
    in_subset = False
    while pos < end:
        byte = data[pos]
        if byte in b"\"'":
            close = data.find(bytes((byte,)), pos + 1)
            if close < 0:
                return -1
            pos = close
        elif byte == 0x5B:  # [
            in_subset = True
        elif byte == 0x5D:  # ]
            in_subset = False
        elif byte == 0x3E and not in_subset:  # >
            return pos
        elif in_subset and data.startswith(b"<!--", pos):
            close = data.find(b"-->", pos + 4)
            if close < 0:
                return -1
            pos = close + 2
        pos += 1
    return -1
