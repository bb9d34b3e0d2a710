"""Topics, maps and DITAVAL files: title, metadata, references and key definitions.

Without DTDs there are no defaulted ``@class`` attributes, so elements are recognised by name.

Choices where the rules leave room:
- ``@scope`` describes the ``@href`` target, so it applies to ``href``, ``mapref``, ``data`` and
  ``keyref``; a ``conref``/``conrefend``/``conkeyref`` is external only when it is a URL.
- A key name is not a URI: only ``@scope`` can make a key reference external or peer.
- A URL with neither ``@format`` nor an extension is a ``file`` link, not a ``topic`` (the
  "no format, no extension" topic default is for local references).
"""

from collections.abc import Iterator
from typing import Any, cast

from lxml import etree

from .refs import Resolver, scope_of, target_extension
from .result import (
    LINK_CONTENT,
    LINK_CONTENT_KEY,
    LINK_FILE,
    LINK_IMAGE,
    LINK_KEY,
    LINK_MAP,
    LINK_MULTIMEDIA,
    LINK_TOPIC,
    SCOPE_EXTERNAL,
    SCOPE_LOCAL,
    SCOPE_PEER,
    AssetResult,
    KeyDef,
    Ref,
)

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# An element is looked at closely only when it has one of these attributes.
_INTERESTING = frozenset({"href", "conref", "conrefend", "keyref", "conkeyref", "mapref", "keys"})
_MULTIMEDIA = frozenset({"object", "video", "audio"})
_MAP_EXTENSIONS = frozenset({".ditamap", ".bookmap"})
_TOPIC_EXTENSIONS = frozenset({".dita", ".xml"})

# topicref and the specialisations of it that the base map, bookmap and map-group domains define,
# for the ``topicref_count`` of a map. ``mapref`` is counted apart.
_TOPICREFS = frozenset(
    {
        "topicref",
        "topichead",
        "topicgroup",
        "topicset",
        "topicsetref",
        "anchorref",
        "keydef",
        "glossref",
        "chapter",
        "part",
        "appendix",
        "appendices",
        "preface",
        "notices",
        "abbrevlist",
        "amendments",
        "bibliolist",
        "bookabstract",
        "booklist",
        "colophon",
        "dedication",
        "draftintro",
        "figurelist",
        "glossarylist",
        "indexlist",
        "tablelist",
        "toc",
        "trademarklist",
    }
)


def collapse(text: str) -> str:
    return " ".join(text.split())


def text_of(element: etree._Element | None) -> str:
    """The element's text with its inline children's, whitespace-collapsed.

    Comments and processing instructions are left out. An unresolved entity reference appears as
    ``&name;``: entities are never expanded (see ``xmlparser``).
    """
    if element is None:
        return ""
    return collapse("".join(cast("Iterator[str]", element.itertext())))


def local_name(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # a comment, PI or entity: no name
        return ""
    return tag.rpartition("}")[2] if tag[0] == "{" else tag


def _child(element: etree._Element, name: str) -> etree._Element | None:
    for child in element:
        if child.tag == name:
            return child
    return None


def fill_topic(result: AssetResult, root: etree._Element, resolver: Resolver) -> None:
    """Title, ``metadata`` {id, root_element, shortdesc, lang} and references of a topic."""
    root_name = local_name(root)
    head = root
    if root_name == "dita":
        # A composite: the first topic inside speaks for the file.
        head = next((child for child in root if isinstance(child.tag, str)), root)
    title = _child(head, "title")
    if title is None and local_name(head) == "glossentry":
        title = _child(head, "glossterm")
    shortdesc = _child(head, "shortdesc")
    if shortdesc is None:
        abstract = _child(head, "abstract")
        if abstract is not None:
            shortdesc = _child(abstract, "shortdesc")
    result.title = text_of(title)
    result.metadata = {
        "id": head.get("id") or "",
        "root_element": root_name,
        "shortdesc": text_of(shortdesc),
        "lang": root.get(XML_LANG) or "",
    }
    _walk(result, root, resolver, is_map=False)


def fill_map(result: AssetResult, root: etree._Element, resolver: Resolver) -> None:
    """Title, ``metadata`` {id, root_element, lang, topicref_count, mapref_count}, references and
    key definitions of a map (map, bookmap, subjectScheme, ...)."""
    title_element = _child(root, "title")
    if title_element is not None:
        title = text_of(title_element)
    else:
        title = collapse(root.get("title") or "")
    if not title:
        booktitle = _child(root, "booktitle")
        if booktitle is not None:
            title = text_of(_child(booktitle, "mainbooktitle"))
    if not title:
        # Lightweight DITA maps have no title element; their navtitle is the title.
        topicmeta = _child(root, "topicmeta")
        if topicmeta is not None:
            title = text_of(_child(topicmeta, "navtitle"))
    result.title = title
    result.metadata = {
        "id": root.get("id") or "",
        "root_element": local_name(root),
        "lang": root.get(XML_LANG) or "",
    }
    _walk(result, root, resolver, is_map=True)


def fill_ditaval(result: AssetResult, root: etree._Element) -> None:
    """``metadata`` {conditions: [{action, att, val}]} from ``prop`` and ``revprop``; no title."""
    conditions: list[dict[str, Any]] = []
    for element in root.iter("prop", "revprop"):
        conditions.append(
            {
                "action": element.get("action") or "",
                "att": element.get("att") or ("rev" if element.tag == "revprop" else ""),
                "val": element.get("val") or "",
            }
        )
    result.title = ""
    result.metadata = {"root_element": local_name(root), "conditions": conditions}


def _walk(result: AssetResult, root: etree._Element, resolver: Resolver, *, is_map: bool) -> None:
    """Collect references (and, in a map, key definitions and topicref counts) in one pass."""
    refs = result.references
    keydefs = result.key_definitions
    interesting = _INTERESTING
    topicrefs = maprefs = 0
    for element in root.iter(etree.Element):
        if is_map:
            tag = local_name(element)
            if tag == "mapref":
                maprefs += 1
            elif tag in _TOPICREFS:
                if element.get("format") == "ditamap":
                    maprefs += 1
                else:
                    topicrefs += 1
        # The hot loop: most elements have no attribute we want, and keys() with a set test is
        # the cheapest way lxml offers to find that out.
        names = element.keys()
        if (not names or interesting.isdisjoint(names)) and element.tag != "object":
            continue
        # (lxml's stubs say str | bytes and leave sourceline untyped; these are what it returns.)
        attrs = cast("dict[str, str]", dict(element.items()))
        tag = element.tag
        if tag[0] == "{":
            tag = tag.rpartition("}")[2]
        line = cast("int | None", element.sourceline)
        scope_attr = attrs.get("scope")
        fmt = attrs.get("format")

        href_target: str | None = None
        href = attrs.get("href")
        if href is not None:
            ref = _file_ref("href", href, tag, line, scope_attr, fmt, resolver)
            href_target = ref.target
            refs.append(ref)
        value = attrs.get("keyref")
        if value is not None:
            refs.append(_key_ref("keyref", value, LINK_KEY, tag, line, scope_attr))
        value = attrs.get("conref")
        if value is not None:
            # @scope describes the @href target, not the content a conref pulls in.
            refs.append(_file_ref("conref", value, tag, line, None, None, resolver, LINK_CONTENT))
        value = attrs.get("conrefend")
        if value is not None:
            refs.append(
                _file_ref("conrefend", value, tag, line, None, None, resolver, LINK_CONTENT)
            )
        value = attrs.get("conkeyref")
        if value is not None:
            refs.append(_key_ref("conkeyref", value, LINK_CONTENT_KEY, tag, line, None))
        value = attrs.get("mapref")
        if value is not None:
            refs.append(_file_ref("mapref", value, tag, line, scope_attr, fmt, resolver, LINK_MAP))
        if tag == "object":
            value = attrs.get("data")
            if value is not None:
                refs.append(
                    _file_ref("data", value, tag, line, scope_attr, fmt, resolver, LINK_MULTIMEDIA)
                )
        if is_map:
            keys = attrs.get("keys")
            if keys:
                for key in keys.split():
                    keydefs.append(KeyDef(key, href or "", href_target))
    if is_map:
        result.metadata["topicref_count"] = topicrefs
        result.metadata["mapref_count"] = maprefs


def _file_ref(
    attribute: str,
    value: str,
    element: str,
    line: int | None,
    scope_attr: str | None,
    fmt: str | None,
    resolver: Resolver,
    link_type: str | None = None,
) -> Ref:
    scope = scope_of(value, scope_attr)
    if link_type is None:
        link_type = _href_link_type(value, element, fmt, scope)
    if scope == SCOPE_EXTERNAL:
        return Ref(attribute, value, link_type, scope, element, line)
    target, broken = resolver.resolve(value)
    return Ref(attribute, value, link_type, scope, element, line, target, None, broken)


def _key_ref(
    attribute: str,
    value: str,
    link_type: str,
    element: str,
    line: int | None,
    scope_attr: str | None,
) -> Ref:
    # A key name is not a URI, so only @scope can make it external or peer. Keys are resolved
    # later against every map's key definitions; until then a key reference is not broken.
    if scope_attr == "external":
        scope = SCOPE_EXTERNAL
    elif scope_attr == "peer":
        scope = SCOPE_PEER
    else:
        scope = SCOPE_LOCAL
    key = value.split("/", 1)[0]
    return Ref(attribute, value, link_type, scope, element, line, None, key, False)


def _href_link_type(value: str, element: str, fmt: str | None, scope: str) -> str:
    if element == "image":
        return LINK_IMAGE
    if element in _MULTIMEDIA:
        return LINK_MULTIMEDIA
    if "://" in value:
        # The extension of a URL is its path's, not its host's ("https://www.dita-ot.org").
        _scheme, _sep, rest = value.partition("://")
        slash = rest.find("/")
        ext = target_extension(rest[slash:]) if slash >= 0 else ""
    else:
        ext = target_extension(value)
    if fmt == "ditamap" or ext in _MAP_EXTENSIONS or element == "mapref":
        return LINK_MAP
    if ext in _TOPIC_EXTENSIONS or fmt == "dita":
        return LINK_TOPIC
    # DITA's default format is "dita": a local reference without format or extension is a topic.
    # A URL without either is just a web page, a file.
    if fmt is None and not ext and scope != SCOPE_EXTERNAL:
        return LINK_TOPIC
    return LINK_FILE
