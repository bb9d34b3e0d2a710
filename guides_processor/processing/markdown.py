"""Markdown topics: the first heading is the title; links and images are references."""

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .refs import Resolver, scope_of, target_extension
from .result import (
    FAILURE,
    LINK_FILE,
    LINK_IMAGE,
    LINK_TOPIC,
    SCOPE_EXTERNAL,
    AssetResult,
    Ref,
)

# Building a parser compiles its rules: once, shared (parsing keeps its state per call). The
# first parse fills the rule caches; doing it here keeps threads from racing to fill them.
_MD = MarkdownIt("commonmark")
_MD.parse("")

# YAML front matter (DITA-OT's Markdown input reads it): without this, "key: value" followed by
# the closing "---" would be taken for a setext heading, and so for the title.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?:.*?\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)

_TOPIC_EXTENSIONS = frozenset({".dita", ".md", ".markdown"})


def fill_markdown(result: AssetResult, data: bytes, resolver: Resolver) -> None:
    """Title (first ATX or setext heading, as plain text) and link/image references.

    A file that is not valid UTF-8 becomes a FAILURE naming the line of the first bad byte.
    Code spans and blocks are not links to markdown-it, so they are skipped by construction.
    """
    try:
        text = _without_front_matter(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        bad_line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        result.status = FAILURE
        result.error = f"line {bad_line}: not valid UTF-8 (byte 0x{byte:02X}: {error.reason})"
        return

    title: str | None = None
    tokens = _MD.parse(text)
    refs = result.references
    for index, token in enumerate(tokens):
        if token.type != "inline" or not token.children:
            continue
        if title is None and index > 0 and tokens[index - 1].type == "heading_open":
            title = _plain_text(token.children)
        line: int | None = token.map[0] + 1 if token.map else None
        for child in token.children:
            kind = child.type
            if kind in ("softbreak", "hardbreak"):
                if line is not None:
                    line += 1
            elif kind == "link_open":
                _add(refs, "href", "a", child.attrGet("href"), line, resolver)
            elif kind == "image":
                _add(refs, "src", "img", child.attrGet("src"), line, resolver)
    result.title = title or ""


def _without_front_matter(text: str) -> str:
    front = _FRONT_MATTER.match(text)
    if not front:
        return text
    # Blank lines in its place keep the line numbers of what follows.
    return "\n" * front.group(0).count("\n") + text[front.end() :]


def _plain_text(children: list[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image" and child.children:
            parts.append(_plain_text(child.children))
    return " ".join("".join(parts).split())


def _add(
    refs: list[Ref],
    attribute: str,
    element: str,
    value: object,
    line: int | None,
    resolver: Resolver,
) -> None:
    if not isinstance(value, str) or value.startswith("data:"):
        return  # an inline data: URI is content, not a reference
    scope = scope_of(value, None)
    if element == "img":
        link_type = LINK_IMAGE
    elif target_extension(value) in _TOPIC_EXTENSIONS:
        link_type = LINK_TOPIC
    else:
        link_type = LINK_FILE
    if scope == SCOPE_EXTERNAL:
        refs.append(Ref(attribute, value, link_type, scope, element, line))
        return
    target, reason = resolver.resolve(value)
    refs.append(
        Ref(attribute, value, link_type, scope, element, line, target, None, bool(reason), reason)
    )
