"""Topics, maps and DITAVAL files: title, metadata, references and key definitions.

Without DTDs there are no defaulted ``@class`` attributes, so elements are recognised by name.

Choices where the rules leave room:
- ``@scope`` describes the ``@href`` target, so it applies to ``href``, ``mapref``, ``data`` and
  ``keyref``; a ``conref``/``conrefend``/``conkeyref`` is external only when it is a URL.
- A key name is not a URI: only ``@scope`` can make a key reference external or peer.
- ``scope="peer"``: the target belongs to the same information set but is not available at build
  time (DITA 1.3 part 2, "The @scope attribute"), so, as an external one, it is neither resolved
  nor checked, and a key or map reference through it leads nowhere in this repository.
- A URL with neither ``@format`` nor an extension is a ``file`` link, not a ``topic`` (the
  "no format, no extension" topic default is for local references).
- ``@format`` wins over the extension (DITA 1.3, "The @format attribute": it names the
  target's format; the extension is only the fallback when it is absent): ``format="html"`` to a
  ``.dita`` file is a ``file`` link, ``format="dita"`` to a ``.html`` a ``topic`` link.
- ``-dita-use-conref-target`` is a reserved value, not a URI or a key (DITA 1.3, language reference,
  "Using the -dita-use-conref-target value"): an attribute with it is no reference at all.
"""

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any, cast

from lxml import etree

from .detect import TOPIC_ROOTS, dita_class_base
from .refs import Resolver, scope_of, target_extension
from .result import (
    BROKEN_ELEMENT,
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
    Ref,
)

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# An element is looked at closely only when it has one of these attributes.
_INTERESTING = frozenset(
    {"href", "conref", "conrefend", "keyref", "conkeyref", "mapref", "keys", "id", "keyscope"}
)
# Attributes that make one reference each (plus ``data`` on ``object``), in the order recorded.
_REFERENCE_ATTRIBUTES = ("href", "keyref", "conref", "conrefend", "conkeyref", "mapref")
# Every reference attribute's name contains one of these (see ``may_exceed``).
_REFERENCE_NAME_PARTS = (b"href", b"keyref", b"conref", b"mapref", b"data")
USE_CONREF_TARGET = "-dita-use-conref-target"
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
    result.title = _keyed_text(result, "title", title)
    result.metadata = {
        "id": head.get("id") or "",
        "root_element": root_name,
        "shortdesc": _keyed_text(result, "shortdesc", shortdesc),
        "lang": root.get(XML_LANG) or "",
    }
    _walk(result, root, resolver, is_map=False)


def fill_map(result: AssetResult, root: etree._Element, resolver: Resolver) -> None:
    """Title, ``metadata`` {id, root_element, lang, topicref_count, mapref_count}, references and
    key definitions of a map (map, bookmap, subjectScheme, ...)."""
    title_element = _child(root, "title")
    if title_element is not None:
        title = _keyed_text(result, "title", title_element)
    else:
        title = collapse(root.get("title") or "")
    if not title:
        booktitle = _child(root, "booktitle")
        if booktitle is not None:
            title = _keyed_text(result, "title", _child(booktitle, "mainbooktitle"))
    if not title:
        # Lightweight DITA maps have no title element; their navtitle is the title.
        topicmeta = _child(root, "topicmeta")
        if topicmeta is not None:
            title = _keyed_text(result, "title", _child(topicmeta, "navtitle"))
    result.title = title
    result.metadata = {
        "id": root.get("id") or "",
        "root_element": local_name(root),
        "lang": root.get(XML_LANG) or "",
    }
    _walk(result, root, resolver, is_map=True)


def _keyed_text(result: AssetResult, name: str, element: etree._Element | None) -> str:
    """The text of ``element`` (``text_of``), and, when an empty element inside it names a key,
    its template in ``result.key_texts[name]`` (see ``key_text_template``)."""
    template = key_text_template(element)
    if template is None:
        result.key_texts.pop(name, None)
        return text_of(element)
    result.key_texts[name] = template
    return fill_template(template, {})


def key_text_template(element: etree._Element | None) -> list[Any] | None:
    """The text of ``element`` as literal strings and ``[key]`` placeholders, or None when it
    holds no empty element with ``@keyref``.

    DITA 1.3 part 3, 2.3.4.9 "Processing key references to generate text or link text": an
    *empty* element (no text, not even white space, and no sub-elements) that references a
    defined key gets its content from the key definition's ``topicmeta`` (the matching element,
    a ``keyword`` for ``keyword``/``ph``/``term``..., else ``linktext``); an element with content
    keeps its content whatever the key says, so it is literal text here. An empty ``image``
    would take the text as its alternate text, which a title's text leaves out anyway, so it
    makes no placeholder. The key is the part of ``@keyref`` before ``/``. What the placeholder
    becomes (the key's text as the asset sees it, or nothing when the key is undefined or has no
    text, the element then rendering empty) is decided by the finishing pass, which knows the
    key spaces: ``keyspace.fill_template``.
    """
    if element is None or not any(
        _is_empty_keyref(child) for child in element.iterdescendants(etree.Element)
    ):
        return None
    parts: list[Any] = []
    _template_parts(element, parts)
    # Adjacent literals merged: the template is stored.
    merged: list[Any] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return merged


def _is_empty_keyref(element: etree._Element) -> bool:
    return (
        bool(element.get("keyref"))
        and not element.text
        and local_name(element) != "image"
        and not any(isinstance(child.tag, str) for child in element)
    )


def _template_parts(element: etree._Element, parts: list[Any]) -> None:
    # The same text ``itertext`` gives (comments' and processing instructions' own text left
    # out, entities as ``&name;``), with placeholders where empty key references stand.
    if element.text and isinstance(element.tag, str):
        parts.append(element.text)
    for child in element:
        if isinstance(child.tag, str):
            if _is_empty_keyref(child):
                parts.append([cast("str", child.get("keyref")).partition("/")[0]])
            else:
                _template_parts(child, parts)
        elif isinstance(child, etree._Entity) and child.text:
            parts.append(child.text)
        if child.tail:
            parts.append(child.tail)


def fill_template(template: list[Any], texts: Mapping[str, str]) -> str:
    """The text of a ``key_text_template``: each ``[key]`` replaced by ``texts[key]`` ("" when
    absent), whitespace collapsed as ``text_of`` does."""
    return collapse(
        "".join(part if isinstance(part, str) else texts.get(part[0], "") for part in template)
    )


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


def topic_elements(root: etree._Element) -> dict[etree._Element, str]:
    """The topics of a topic document, each with its id ("" when it has none).

    DITA 1.3, 3.2.1.1 ``<topic>`` and "The @class attribute": a topic is the root (unless it is
    the ``dita`` container, whose element children are topics), and nested topics are element
    children of a topic, after its body and related links. Without DTDs, such a child is a topic
    when its @class starts with ``topic/topic``, when its name is a known topic type, or when its
    first element child is ``<title>`` (a topic's required first child; no other child of a topic
    starts with one).
    """
    topics: dict[etree._Element, str] = {}
    if local_name(root) == "dita":
        pending = [child for child in root if isinstance(child.tag, str)]
    else:
        pending = [root]
    while pending:
        topic = pending.pop()
        topics[topic] = topic.get("id") or ""
        pending.extend(child for child in topic if _is_nested_topic(child))
    return topics


def _is_nested_topic(element: etree._Element) -> bool:
    if not isinstance(element.tag, str):
        return False
    base = dita_class_base(element.get("class"))
    if base is not None:
        return base == "topic/topic"
    if local_name(element) in TOPIC_ROOTS:
        return True
    first = next((child for child in element if isinstance(child.tag, str)), None)
    return first is not None and local_name(first) == "title"


def _enclosing_topic(element: etree._Element, topics: dict[etree._Element, str]) -> str | None:
    """The id of the nearest topic that is ``element`` or contains it (None outside any)."""
    if element in topics:
        return topics[element]
    for ancestor in element.iterancestors():
        if ancestor in topics:
            return topics[ancestor]
    return None


def reference_values(tag: str, attrs: dict[str, str]) -> list[tuple[str, str]]:
    """The (attribute, value) pairs of an element that make one reference each.

    One per attribute of ``_REFERENCE_ATTRIBUTES`` present, plus ``data`` on ``<object>``; an
    attribute whose value is the reserved ``-dita-use-conref-target`` makes none. Used both by the
    walk and by the streaming count, so that the two agree.
    """
    found = [
        (name, value)
        for name in _REFERENCE_ATTRIBUTES
        if (value := attrs.get(name)) is not None and value != USE_CONREF_TARGET
    ]
    if tag == "object":
        value = attrs.get("data")
        if value is not None and value != USE_CONREF_TARGET:
            found.append(("data", value))
    return found


def may_exceed(data: bytes, limit: int) -> bool:
    """False when the document ``data`` surely holds at most ``limit`` references.

    An upper bound, counted in C without allocating: every reference attribute has an "=", and
    its name contains one of ``_REFERENCE_NAME_PARTS`` (``conrefend`` holds ``conref``,
    ``conkeyref`` holds ``keyref``). Words in text inflate the bound, never lower it; True only
    means "count them properly".
    """
    if data.count(b"=") <= limit:
        return False
    return sum(data.count(part) for part in _REFERENCE_NAME_PARTS) > limit


def count_references(elements: Iterator[etree._Element], *, stop_after: int) -> int:
    """The number of references in a stream of finished elements (``iterparse``'s ``end``
    events), stopping as soon as it passes ``stop_after``. Each element is cleared once counted,
    and earlier siblings are dropped, so memory stays bounded whatever the document's size."""
    count = 0
    for element in elements:
        tag = local_name(element)
        names = element.keys()
        if (names and not _INTERESTING.isdisjoint(names)) or tag == "object":
            attrs = cast("dict[str, str]", dict(element.items()))
            count += len(reference_values(tag, attrs))
            if count > stop_after:
                return count
        element.clear()
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]
    return count


# One pass over every element, the cheap skip first: a call per element would cost the parse of
# a large map much of its speed.
def _walk(  # noqa: C901
    result: AssetResult, root: etree._Element, resolver: Resolver, *, is_map: bool
) -> None:
    """Collect references (and, in a map, key definitions and topicref counts; in a topic, ids)
    in one pass."""
    refs = result.references
    interesting = _INTERESTING
    topicrefs = maprefs = 0
    topics: dict[etree._Element, str] = {} if is_map else topic_elements(root)
    ids = result.ids
    tree = _MapTree(root) if is_map else None
    # In a map, @scope and @format cascade from the nearest ancestor that sets them.
    cascaded: dict[etree._Element, tuple[str | None, str | None]] = {}
    inherited: tuple[str | None, str | None] = (None, None)
    for element in root.iter(etree.Element):
        if is_map:
            inherited = _cascade(element, cascaded)
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
        if not is_map:
            element_id = attrs.get("id")
            if element_id:
                if element in topics:
                    ids.append(element_id)
                else:
                    topic_id = _enclosing_topic(element, topics)
                    if topic_id:
                        ids.append(f"{topic_id}/{element_id}")
        # A @keyscope of spaces alone names no scope (its value is a list of names).
        if tree is not None and attrs.get("keyscope", "").strip() and element is not root:
            tree.open_scope(element, attrs["keyscope"])
        values = reference_values(tag, attrs)
        if not values:
            if tree is not None and attrs.get("keys"):
                tree.define(element, attrs["keys"], None, False)
            continue
        line = cast("int | None", element.sourceline)
        scope_attr, fmt = inherited if is_map else (attrs.get("scope"), attrs.get("format"))
        conkey = attrs.get("conkeyref")
        href_ref: Ref | None = None
        for attribute, value in values:
            if attribute == "href":
                ref = _file_ref("href", value, tag, line, scope_attr, fmt, resolver)
                href_ref = ref
                if attrs.get("keyref") and value != USE_CONREF_TARGET:
                    ref = dataclasses.replace(ref, fallback_key=_key_name(attrs["keyref"]))
            elif attribute == "keyref":
                ref = _key_ref("keyref", value, LINK_KEY, tag, line, scope_attr)
                if "href" in attrs and attrs["href"] != USE_CONREF_TARGET:
                    ref = dataclasses.replace(ref, fallback=True)
            elif attribute == "conref":
                # @scope describes the @href target, not the content a conref pulls in.
                ref = _file_ref("conref", value, tag, line, None, None, resolver, LINK_CONTENT)
                if conkey and value != USE_CONREF_TARGET:
                    ref = dataclasses.replace(ref, fallback_key=_key_name(conkey))
            elif attribute == "conrefend":
                if conkey is not None and conkey != USE_CONREF_TARGET:
                    ref = _conrefend_with_key(value, conkey, tag, line)
                else:
                    ref = _file_ref(
                        "conrefend", value, tag, line, None, None, resolver, LINK_CONTENT
                    )
            elif attribute == "conkeyref":
                ref = _key_ref("conkeyref", value, LINK_CONTENT_KEY, tag, line, None)
                if "conref" in attrs and attrs["conref"] != USE_CONREF_TARGET:
                    ref = dataclasses.replace(ref, fallback=True)
            elif attribute == "mapref":
                ref = _file_ref("mapref", value, tag, line, scope_attr, fmt, resolver, LINK_MAP)
            else:  # data on <object>
                ref = _file_ref(
                    "data", value, tag, line, scope_attr, fmt, resolver, LINK_MULTIMEDIA
                )
            if ref.topic_id == "." and not is_map:
                ref = _same_topic(ref, element, topics, resolver.relpath)
            refs.append(ref)
        if tree is not None:
            tree.add(element, tag, attrs, href_ref, refs[-len(values) :])
    if is_map:
        result.metadata["topicref_count"] = topicrefs
        result.metadata["mapref_count"] = maprefs
        if tree is not None:
            result.map_tree = tree.as_json()
    else:
        _check_same_file_fragments(result, resolver.relpath)


class _MapTree:
    """What a map contributes to key spaces, in document order (``AssetResult.map_tree``).

    DITA 1.3 part 3, 2.4.1 "Key scopes": a ``map`` or ``topicref`` with ``@keyscope`` bounds a
    scope holding it and its descendants; the map's root element is scope 0 (a scope of its own
    only when it has ``@keyscope`` or is a root map, which the key pass decides). Key definitions
    (2.3.4.3 "Key definitions") are recorded with the text a key reference with no content of its
    own would show: the first ``keyword`` of the ``topicmeta``, else its ``linktext``.
    """

    __slots__ = ("items", "root", "scope_of", "scopes")

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.scopes: list[list[Any]] = [[-1, " ".join((root.get("keyscope") or "").split())]]
        self.scope_of: dict[etree._Element, int] = {root: 0}
        self.items: list[list[Any]] = []

    def open_scope(self, element: etree._Element, names: str) -> None:
        parent = self.scope(element.getparent())
        self.scope_of[element] = len(self.scopes)
        self.scopes.append([parent, " ".join(names.split())])

    def scope(self, element: etree._Element | None) -> int:
        """The index of the nearest scope that holds ``element``."""
        while element is not None:
            index = self.scope_of.get(element)
            if index is not None:
                return index
            element = element.getparent()
        return 0

    def define(
        self,
        element: etree._Element,
        keys: str,
        target: str | None,
        missing: bool,
        topic: str | None = None,
    ) -> None:
        scope = self.scope(element)
        text = _key_text(element)
        for key in keys.split():
            # The fragment's topic only when there is one: most definitions name a whole file.
            item = ["k", scope, key, target, text, missing, *([topic] if topic else [])]
            self.items.append(item)

    def add(
        self,
        element: etree._Element,
        tag: str,
        attrs: dict[str, str],
        href_ref: Ref | None,
        refs: list[Ref],
    ) -> None:
        local = href_ref is not None and href_ref.scope == SCOPE_LOCAL and href_ref.target
        keys = attrs.get("keys")
        if keys:
            target = href_ref.target if local and href_ref is not None else None
            self.define(
                element,
                keys,
                target,
                bool(local and href_ref and href_ref.broken),
                href_ref.topic_id if target and href_ref is not None else None,
            )
        for ref in refs:
            if ref.link_type == LINK_MAP and ref.scope == SCOPE_LOCAL and ref.target:
                # Whether the reference itself defines the scope: the submap's root then joins
                # it rather than nesting a scope of its own (2.4.1: one scope, both names).
                own = element in self.scope_of
                self.items.append(["m", self.scope(element), ref.target, own])
        if tag not in _TOPICREFS:
            return
        keyref = attrs.get("keyref")
        key = keyref.partition("/")[0] if keyref and attrs.get("scope") != "external" else None
        topic_target = (
            href_ref.target
            if local and href_ref is not None and href_ref.link_type == LINK_TOPIC
            else None
        )
        if key or topic_target:
            self.items.append(["t", self.scope(element), topic_target, key])

    def as_json(self) -> dict[str, Any]:
        return {"scopes": self.scopes, "items": self.items}


def _key_text(element: etree._Element) -> str:
    """The text a key's definition gives an empty key reference: DITA 2.0's ``<keytext>`` (made
    for it), else the first ``keyword`` of its ``keywords``, else its ``linktext`` (DITA 1.3 part
    3, 2.3.4.9)."""
    topicmeta = _child(element, "topicmeta")
    if topicmeta is None:
        return ""
    keytext = _child(topicmeta, "keytext")
    if keytext is not None:
        return text_of(keytext)
    keywords = _child(topicmeta, "keywords")
    if keywords is not None:
        keyword = _child(keywords, "keyword")
        if keyword is not None:
            return text_of(keyword)
    return text_of(_child(topicmeta, "linktext"))


def _same_topic(
    ref: Ref, element: etree._Element, topics: dict[etree._Element, str], relpath: str
) -> Ref:
    """Resolve the "." of ``#./elementid`` to the id of the topic that holds the reference.

    DITA 1.3 part 3, 2.3.3 "URI-based (direct) addressing": "." stands for the nearest enclosing
    topic and may only be used in a same-document reference (a bare fragment). With a file name
    in front it addresses nothing checkable, so both ids are dropped.
    """
    if ref.target != relpath or not ref.value.startswith("#"):
        return dataclasses.replace(ref, topic_id=None, element_id=None)
    return dataclasses.replace(ref, topic_id=_enclosing_topic(element, topics) or None)


def _check_same_file_fragments(result: AssetResult, relpath: str) -> None:
    """Mark broken (``BROKEN_ELEMENT``) each reference into this very file whose topic id or
    ``topicid/elementid`` is not among the file's ids: the ids are all known here, so there is no
    need to wait for the engine. References to other files are left for it, with their
    ``topic_id``/``element_id`` and the target's ``AssetResult.ids``."""
    known: set[str] | None = None
    refs = result.references
    for index, ref in enumerate(refs):
        if ref.target != relpath or ref.topic_id is None or ref.broken:
            continue
        if known is None:
            known = set(result.ids)
        wanted = ref.topic_id if ref.element_id is None else f"{ref.topic_id}/{ref.element_id}"
        if wanted not in known:
            refs[index] = dataclasses.replace(ref, broken=True, reason=BROKEN_ELEMENT)


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
    if scope in (SCOPE_EXTERNAL, SCOPE_PEER):
        return Ref(attribute, value, link_type, scope, element, line)
    target, reason = resolver.resolve(value)
    topic_id = element_id = None
    if link_type in (LINK_TOPIC, LINK_CONTENT):
        topic_id, element_id = split_fragment(value)
    return Ref(
        attribute,
        value,
        link_type,
        scope,
        element,
        line,
        target,
        None,
        bool(reason),
        reason,
        topic_id,
        element_id,
    )


def _cascade(
    element: etree._Element, cascaded: dict[etree._Element, tuple[str | None, str | None]]
) -> tuple[str | None, str | None]:
    """The ``@scope`` and ``@format`` of a map's element: its own, else its nearest ancestor's
    (DITA 1.3 part 3, 2.2.4.2 "Cascading of metadata attributes in a DITA map": both are among
    the attributes that cascade, so a ``topicgroup scope="peer"`` makes its topicrefs peer ones,
    and a ``format="html"`` group makes its children's targets HTML). Elements are met parents
    first; only those with a value are kept."""
    parent = cascaded.get(element.getparent(), _NO_CASCADE)  # type: ignore[arg-type]
    values = (element.get("scope") or parent[0], element.get("format") or parent[1])
    if values != _NO_CASCADE:
        cascaded[element] = values
    return values


_NO_CASCADE: tuple[str | None, str | None] = (None, None)


def split_fragment(value: str) -> tuple[str | None, str | None]:
    """``(topic_id, element_id)`` of a URI reference to a DITA topic; (None, None) without one.

    DITA 1.3 part 3, 2.3.3 "URI-based (direct) addressing": the fragment of a reference into a
    topic document is ``topicid`` (a topic) or ``topicid/elementid`` (an element of that topic);
    the topic id may be "." for the topic that contains the reference. Elements of maps are
    addressed by ``#elementid`` alone, so this is only used for topic and content references.
    """
    hash_at = value.find("#")
    if hash_at < 0 or hash_at == len(value) - 1:
        return None, None
    topic_id, slash, element_id = value[hash_at + 1 :].partition("/")
    if not topic_id:
        return None, None
    return topic_id, (element_id or None) if slash else None


def _conrefend_with_key(value: str, conkeyref: str, element: str, line: int | None) -> Ref:
    """A ``conrefend`` beside a ``conkeyref``: its file and topic are the key's.

    DITA 1.3, "The @conkeyref attribute" and "The @conrefend attribute" (using conrefend together
    with conkeyref): conrefend cannot hold a key, so the map or topic that the conkeyref's key
    addresses replaces whatever conrefend's URI addresses; only the element id of conrefend's
    fragment is kept. So the reference is a key reference: ``key`` is the conkeyref's key,
    ``target`` None, ``element_id`` the end element; nothing is checked until the key is resolved.
    """
    _topic_id, element_id = split_fragment(value)
    key = conkeyref.split("/", 1)[0]
    return Ref(
        "conrefend",
        value,
        LINK_CONTENT_KEY,
        SCOPE_LOCAL,
        element,
        line,
        None,
        key,
        False,
        "",
        None,
        element_id,
    )


def _key_name(value: str) -> str:
    """The key a ``keyref``/``conkeyref`` names: the part before ``/``."""
    return value.partition("/")[0]


def _key_ref(
    attribute: str,
    value: str,
    link_type: str,
    element: str,
    line: int | None,
    scope_attr: str | None,
) -> Ref:
    """A ``keyref`` or ``conkeyref``: ``key/elementid`` (DITA 1.3, 2.3.4 "Indirect key-based
    addressing"); the element id is kept in ``element_id`` for a check once the key's target is
    known (its topic is the key's, so ``topic_id`` stays None)."""
    # A key name is not a URI, so only @scope can make it external or peer. Keys are resolved
    # later against every map's key definitions; until then a key reference is not broken.
    if scope_attr == "external":
        scope = SCOPE_EXTERNAL
    elif scope_attr == "peer":
        scope = SCOPE_PEER
    else:
        scope = SCOPE_LOCAL
    key, _slash, element_id = value.partition("/")
    return Ref(
        attribute,
        value,
        link_type,
        scope,
        element,
        line,
        None,
        key,
        False,
        "",
        None,
        element_id or None,
    )


def _href_link_type(value: str, element: str, fmt: str | None, scope: str) -> str:
    """The link type of an ``href`` (or ``mapref``/``data``): ``@format`` first, then the
    extension (DITA 1.3, "The @format attribute": when @format is absent the target's extension
    decides, and with neither a local target is DITA)."""
    if element == "image":
        return LINK_IMAGE
    if element in _MULTIMEDIA:
        return LINK_MULTIMEDIA
    if element == "mapref":
        return LINK_MAP
    if element == "coderef":
        # Code is read as text, whatever its extension, and its fragment is a line range or a
        # token, not a DITA id (DITA 1.3, programming domain, <coderef>).
        return LINK_FILE
    if fmt is not None and fmt.strip():
        fmt = fmt.strip().lower()
        if fmt == "ditamap":
            return LINK_MAP
        return LINK_TOPIC if fmt == "dita" else LINK_FILE
    ext = _href_extension(value)
    if ext in _MAP_EXTENSIONS:
        return LINK_MAP
    if ext in _TOPIC_EXTENSIONS:
        return LINK_TOPIC
    # DITA's default format is "dita": a local reference without format or extension is a topic.
    # A URL without either is just a web page, a file.
    if not ext and scope != SCOPE_EXTERNAL:
        return LINK_TOPIC
    return LINK_FILE


def _href_extension(value: str) -> str:
    """The extension of an ``href``'s target; of a URL's path, not its host's
    ("https://www.dita-ot.org" has none)."""
    if "://" not in value:
        return target_extension(value)
    _scheme, _sep, rest = value.partition("://")
    slash = rest.find("/")
    return target_extension(rest[slash:]) if slash >= 0 else ""
