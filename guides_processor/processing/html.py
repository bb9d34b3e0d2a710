"""HTML pages and CSS style sheets: their outgoing links."""

import re
import threading
from typing import cast

import lxml.html
from lxml import etree

from .refs import IMAGE_EXTENSIONS, Resolver, scope_of, target_extension
from .result import (
    LINK_FILE,
    LINK_IMAGE,
    LINK_MULTIMEDIA,
    SCOPE_EXTERNAL,
    AssetResult,
    Ref,
)

_MULTIMEDIA = frozenset({"video", "audio", "source", "track", "object", "embed"})
_LINK_ATTRIBUTES = ("href", "src", "data")

# Comments first, so that a url() inside a comment is consumed as part of it and skipped.
_CSS_REFERENCE = re.compile(
    rb"""/\*.*?\*/"""
    rb"""|@import\s+(["'])(?P<import>.*?)\1"""
    rb"""|url\(\s*(["']?)(?P<url>.*?)\3\s*\)""",
    re.S | re.I,
)

_local = threading.local()


def _html_parser() -> lxml.html.HTMLParser:
    parser: lxml.html.HTMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, huge_tree=False)
        _local.parser = parser
    return parser


def fill_html(result: AssetResult, data: bytes, resolver: Resolver) -> None:
    """Title (``<title>``) and references from ``href``/``src`` (and ``<object data>``).

    HTML parsing is lenient: a page with nothing in it has no title and no references.
    """
    try:
        document = lxml.html.document_fromstring(data, parser=_html_parser())
    except (etree.ParserError, ValueError):
        return  # empty or whitespace only
    refs = result.references
    title_seen = False
    for element in document.iter(etree.Element):
        tag = element.tag
        if tag == "title" and not title_seen:
            title_seen = True
            text = cast("lxml.html.HtmlElement", element).text_content()
            result.title = " ".join(text.split())
        if tag == "base":
            continue  # it changes how the others resolve; it points at nothing itself
        for attribute in _LINK_ATTRIBUTES:
            value = element.get(attribute)
            if value is None or (attribute == "data" and tag != "object"):
                continue
            value = value.strip()
            if not value or value.startswith("data:"):
                continue
            if tag == "img":
                link_type = LINK_IMAGE
            elif tag in _MULTIMEDIA:
                link_type = LINK_MULTIMEDIA
            else:
                link_type = LINK_FILE
            line = cast("int | None", element.sourceline)
            refs.append(_ref(attribute, value, link_type, tag, line, resolver))


def fill_css(result: AssetResult, data: bytes, resolver: Resolver) -> None:
    """References from ``url(...)`` and ``@import "..."``: images by extension, else files."""
    refs = result.references
    line, counted = 1, 0
    for match in _CSS_REFERENCE.finditer(data):
        raw = match.group("url")
        attribute = "url"
        if raw is None:
            raw = match.group("import")
            attribute = "@import"
        if raw is None:
            continue  # a comment
        value = raw.decode("utf-8", "replace").strip()
        if not value or value.startswith("data:"):
            continue
        line += data.count(b"\n", counted, match.start())
        counted = match.start()
        link_type = LINK_IMAGE if target_extension(value) in IMAGE_EXTENSIONS else LINK_FILE
        refs.append(_ref(attribute, value, link_type, "", line, resolver))


def _ref(
    attribute: str,
    value: str,
    link_type: str,
    element: str,
    line: int | None,
    resolver: Resolver,
) -> Ref:
    scope = scope_of(value, None)
    if scope == SCOPE_EXTERNAL:
        return Ref(attribute, value, link_type, scope, element, line)
    target, reason = resolver.resolve(value)
    return Ref(
        attribute, value, link_type, scope, element, line, target, None, bool(reason), reason
    )
