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


@dataclass(frozen=True, slots=True)
class Ref:
    """One outgoing reference.

    ``target`` is the referenced file relative to the content root (``/``-separated, fragment
    dropped) for local and peer file references, and ``None`` otherwise. ``key`` is the key name
    of a ``keyref``/``conkeyref`` (the part before ``/``). ``broken`` is decided for file targets
    while processing (the file does not exist, or the target leaves the content root); key
    references start unbroken and are resolved against the repository's key definitions later.
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

    @property
    def fingerprint(self) -> Fingerprint:
        return Fingerprint(self.size, self.mtime, self.checksum)

    @property
    def broken_count(self) -> int:
        return sum(1 for ref in self.references if ref.broken)


# The error of a file that is not there (any more): the engine checks whether its whole folder went.
NOT_FOUND = "file not found"
