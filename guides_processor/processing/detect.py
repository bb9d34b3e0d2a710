"""Which asset type a file is: from its extension and, for ``.xml`` and ``.dita``, its root element.

This runs for every file of a calculation (the ``fileTypes`` filter), so it only looks at a name and
at most the first few KB of a file, with a plain byte scan rather than a parser.
"""

import posixpath

from .result import DITAMAP, DITATOPIC, DITAVAL, HTML_CSS, MARKDOWN, OTHERS

# How much of a file ``detect_type`` needs to see the root element behind a prolog (XML
# declaration, DOCTYPE, a licence comment).
HEAD_BYTES = 8192

# Topic types recognised by root element name: the base topic, the technical-content
# specialisations, glossary, troubleshooting and the ``dita`` composite. Learning and training
# types are matched by their prefix.
TOPIC_ROOTS = frozenset(
    {
        "topic",
        "concept",
        "task",
        "reference",
        "glossentry",
        "glossgroup",
        "troubleshooting",
        "dita",
    }
)
MAP_ROOTS = frozenset({"map", "bookmap", "subjectScheme"})

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


def extension(relpath: str) -> str:
    """The lower-cased extension of the file name, with its dot ("" when there is none)."""
    return posixpath.splitext(relpath)[1].lower()


def is_map_root(name: str) -> bool:
    return name in MAP_ROOTS or name.lower().endswith("map")


def is_topic_root(name: str) -> bool:
    return name in TOPIC_ROOTS or name.startswith("learning")


def type_for_root(ext: str, root: str | None) -> str:
    """The asset type of an XML-based file with extension ``ext`` whose root element is ``root``.

    ``.dita`` is a topic unless its root is a map; ``.xml`` is a topic or a map only when its root
    says so, and OTHERS otherwise (including when the root is unknown).
    """
    if ext == ".dita":
        return DITAMAP if root is not None and is_map_root(root) else DITATOPIC
    if ext == ".xml":
        if root is None:
            return OTHERS
        if is_map_root(root):
            return DITAMAP
        return DITATOPIC if is_topic_root(root) else OTHERS
    return _BY_EXTENSION.get(ext, OTHERS)


def detect_type(relpath: str, head: bytes | None = None) -> str:
    """The asset type (an API name of ``result.ASSET_TYPES``) of the file at ``relpath``.

    ``head`` is the start of the file (``HEAD_BYTES`` is enough); it is only looked at for ``.xml``
    and ``.dita``. Without it a ``.dita`` is a DITATOPIC and a ``.xml`` is OTHERS, so callers that
    filter on types should pass it for those two extensions.
    """
    ext = extension(relpath)
    if ext in (".dita", ".xml"):
        return type_for_root(ext, root_element_name(head) if head else None)
    return _BY_EXTENSION.get(ext, OTHERS)


def root_element_name(head: bytes) -> str | None:
    """The local name of the root element in ``head``, the first bytes of an XML document.

    Skips the BOM, the XML declaration, comments, processing instructions and the DOCTYPE
    (internal subset included). When the root start tag is not within ``head`` the DOCTYPE's name
    is used, since it must match the root; ``None`` when neither is found or the bytes do not look
    like XML. UTF-16 documents are not recognised (they are rare for DITA; the parser handles them).
    """
    pos = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    end = len(head)
    doctype_name: str | None = None
    while pos < end:
        lt = head.find(b"<", pos)
        if lt < 0 or head[pos:lt].strip():
            # Text before the root element: not an XML prolog we understand.
            return doctype_name
        if head.startswith(b"<?", lt):
            close = head.find(b"?>", lt + 2)
            if close < 0:
                return doctype_name
            pos = close + 2
        elif head.startswith(b"<!--", lt):
            close = head.find(b"-->", lt + 4)
            if close < 0:
                return doctype_name
            pos = close + 3
        elif head.startswith(b"<!DOCTYPE", lt):
            doctype_name = _name_at(head, lt + 9)
            close = _doctype_end(head, lt + 9)
            if close < 0:
                return doctype_name
            pos = close + 1
        else:
            name = _name_at(head, lt + 1)
            return name if name is not None else doctype_name
    return doctype_name


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
