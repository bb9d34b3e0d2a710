"""What processing one asset produces. Plain dataclasses: no Django here."""

from dataclasses import dataclass, field
from typing import Any

SUCCESS = "SUCCESS"
FAILURE = "FAILURE"
SKIPPED = "SKIPPED"

DITATOPIC = "DITATOPIC"
DITAMAP = "DITAMAP"
DITAVAL = "DITAVAL"
MARKDOWN = "MARKDOWN"
HTML_CSS = "HTML/CSS"
OTHERS = "OTHERS"
# Every asset type, in the order lists show them, with the name people read.
ASSET_TYPE_LABELS = {
    DITATOPIC: "DITA topic",
    DITAMAP: "DITA map",
    DITAVAL: "DITAVAL",
    MARKDOWN: "Markdown",
    HTML_CSS: "HTML/CSS",
    OTHERS: "Others",
}
ASSET_TYPES = tuple(ASSET_TYPE_LABELS)

# Link types of the broken-links report.
LINK_TOPIC = "topic"
LINK_MAP = "map"
LINK_FILE = "file"
LINK_KEY = "key"
LINK_CONTENT = "content"
LINK_CONTENT_KEY = "content-key"
LINK_IMAGE = "image"
LINK_MULTIMEDIA = "multimedia"

SCOPE_LOCAL = "local"
SCOPE_PEER = "peer"
SCOPE_EXTERNAL = "external"

# Why a reference is broken (``Ref.reason``).
BROKEN_NOT_FOUND = "not found"
BROKEN_SYMLINK = "symbolic link"
BROKEN_OUTSIDE = "outside the content root"
BROKEN_ELEMENT = "element not found"


@dataclass(frozen=True, slots=True)
class Ref:
    """One outgoing reference.

    ``target`` is the referenced file relative to the content root (``/``-separated, fragment
    dropped) for local and peer file references, and ``None`` otherwise. ``key`` is the key name
    of a ``keyref``/``conkeyref`` (the part before ``/``), and of the ``conkeyref`` beside a
    ``conrefend`` (whose file the key's target replaces). ``broken`` is decided for file targets
    while processing, with ``reason`` one of the ``BROKEN_*`` sentences (the file does not exist,
    it or a folder on its way is a symbolic link, the target leaves the content root, or a
    same-file fragment names no such topic or element); key references start unbroken and are
    resolved against the repository's key definitions later.

    ``topic_id`` and ``element_id`` split the DITA fragment of a reference to a topic
    (``file.dita#topicid/elementid``; ``#./elementid`` is stored with the enclosing topic's id) and
    the element part of a ``keyref``/``conkeyref`` (``key/elementid``, ``topic_id`` None: the
    key's target decides the topic). Both None when there is no fragment to check.
    """

    attribute: str
    value: str
    link_type: str
    scope: str
    element: str = ""
    line: int | None = None
    target: str | None = None
    key: str | None = None
    broken: bool = False
    reason: str = ""
    topic_id: str | None = None
    element_id: str | None = None


@dataclass(frozen=True, slots=True)
class KeyDef:
    """A key defined by a map: one per name in ``@keys``."""

    key: str
    href: str = ""
    target: str | None = None


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What identifies a file's content: compared by ``filterProcessedAssets``."""

    size: int
    mtime: float
    checksum: str


@dataclass(slots=True)
class AssetResult:
    """The outcome of processing one file.

    ``status`` is SUCCESS, FAILURE (``error`` is a one-line reason naming the line where there is
    one) or SKIPPED (``error`` says why). ``size``, ``mtime`` and ``checksum`` (sha256, hex) are
    filled whenever the file could be read.

    ``ids`` lists what a topic file lets others address: each topic's id (nested topics too) and
    ``topicid/elementid`` for each other element with an id, under its nearest enclosing topic
    (DITA 1.3 part 3, 2.3.3 "URI-based (direct) addressing", and "ID attribute": non-topic ids
    are unique per nearest ancestor topic). Empty for other types.
    """

    relpath: str
    status: str
    asset_type: str
    size: int = 0
    mtime: float = 0.0
    checksum: str = ""
    title: str = ""
    error: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    references: list[Ref] = field(default_factory=list)
    key_definitions: list[KeyDef] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    @property
    def fingerprint(self) -> Fingerprint:
        return Fingerprint(self.size, self.mtime, self.checksum)

    @property
    def broken_count(self) -> int:
        return sum(1 for ref in self.references if ref.broken)


# The error of a file that is not there (any more): the engine checks whether its whole folder went.
NOT_FOUND = "file not found"
