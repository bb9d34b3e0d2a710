"""The hardened XML parser every XML-based asset goes through.

No network, no DTD loading, no entity resolution, no huge trees: an external entity (XXE) stays an
unexpanded entity reference node, and an entity bomb is refused by libxml2's amplification guard.
DITA files name DTDs (``concept.dtd``) that are not present; since nothing is loaded, that does not
matter, and element types are recognised by element name.
"""

import re
import threading
from collections.abc import Iterator
from io import BytesIO

from lxml import etree

# A parser object must not be used by two threads at once, and workers may process in threads:
# one parser per thread, built on first use.
_local = threading.local()

# lxml appends ", line N, column M" to libxml2's message; we say the line first, once.
_POSITION_SUFFIX = re.compile(r",\s*line \d+, column \d+\s*$")


class XmlError(Exception):
    """The bytes are not a well-formed XML document. ``str()`` is a one-line reason."""


def _parser() -> etree.XMLParser:
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            attribute_defaults=False,
            huge_tree=False,
            remove_comments=False,
            remove_pis=False,
        )
        _local.parser = parser
    return parser


def parse_xml(data: bytes) -> etree._Element:
    """Parse a whole document from ``data`` and return its root element (line numbers kept).

    Raises ``XmlError`` with "line N: <libxml2 message>" when the document is not well formed
    (this includes bytes that are not valid in the declared encoding).
    """
    try:
        return etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise XmlError(syntax_error_message(error)) from None


def iter_finished_elements(data: bytes) -> Iterator[etree._Element]:
    """Stream the elements of the document in ``data`` as each one ends, with the same hardening
    as ``parse_xml``. The caller may clear each element (and drop its earlier siblings) to keep
    memory bounded. Raises ``XmlError`` like ``parse_xml`` for a document that is not well formed.
    """
    events = etree.iterparse(
        BytesIO(data),
        events=("end",),
        tag=etree.Element,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for _event, element in events:
            yield element
    except etree.XMLSyntaxError as error:
        raise XmlError(syntax_error_message(error)) from None


def syntax_error_message(error: etree.XMLSyntaxError) -> str:
    """One line: "line N: message", without lxml's trailing position and without newlines."""
    message = _POSITION_SUFFIX.sub("", str(error.msg or "")).strip()
    message = " ".join(message.split()) or "not well-formed XML"
    line = error.lineno
    return f"line {line}: {message}" if line else message
