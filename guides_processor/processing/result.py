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

# Why a reference is broken (``Ref.reason``, stored on the reference): a fixed vocabulary of codes,
# each with the sentence people read and the DITA-OT message a build would give for it (None when
# a build has none). Processing decides the first four from the file alone; the finishing pass of
# an execution decides the key ones, and re-decides FILE_MISSING and ELEMENT_MISSING against the
# repository (a target deleted since, or an id its target does not have).
FILE_MISSING = "FILE_MISSING"
ELEMENT_MISSING = "ELEMENT_MISSING"
OUTSIDE_ROOT = "OUTSIDE_ROOT"
LINK_NOT_FOLLOWED = "LINK_NOT_FOLLOWED"
KEY_UNDEFINED = "KEY_UNDEFINED"
KEY_TARGET_MISSING = "KEY_TARGET_MISSING"
# Notes on references that are not broken (``Reference.warning``).
KEY_UNDEFINED_IN_SOME_MAPS = "KEY_UNDEFINED_IN_SOME_MAPS"
FALLBACK_USED = "FALLBACK_USED"
FALLBACK_NOT_USED = "FALLBACK_NOT_USED"
NOT_IN_ANY_MAP = "NOT_IN_ANY_MAP"

REASONS: dict[str, tuple[str, str | None]] = {
    FILE_MISSING: ("the target file does not exist", "DOTX008E"),
    ELEMENT_MISSING: ("the target file has no such topic or element id", "DOTX010E / DOTX057W"),
    OUTSIDE_ROOT: ("the target lies outside the content root", "DOTJ036W"),
    LINK_NOT_FOLLOWED: ("the target, or a folder on its way, is a symbolic link", None),
    KEY_UNDEFINED: ("no root map that uses the topic defines the key", "DOTJ047I / DOTJ046E"),
    KEY_TARGET_MISSING: ("the key's definition points at a missing file", "DOTX008E"),
    KEY_UNDEFINED_IN_SOME_MAPS: ("some root maps that use the topic do not define the key",
                                 "DOTJ047I"),
    FALLBACK_USED: ("the key is undefined; the @href or @conref beside it is used", "DOTJ047I"),
    FALLBACK_NOT_USED: ("the key beside it is defined, so this @href or @conref is not used",
                        None),
    NOT_IN_ANY_MAP: ("no root map uses the topic; keys resolved against every map", None),
}  # fmt: skip
WARNINGS = (KEY_UNDEFINED_IN_SOME_MAPS, FALLBACK_USED, FALLBACK_NOT_USED, NOT_IN_ANY_MAP)
# Each code's sentence as shown, capitalised.
VERDICT_LABELS = {
    code: sentence[:1].upper() + sentence[1:] for code, (sentence, _) in REASONS.items()
}

# The names processing has always used for the codes it decides itself.
BROKEN_NOT_FOUND = FILE_MISSING
BROKEN_SYMLINK = LINK_NOT_FOLLOWED
BROKEN_OUTSIDE = OUTSIDE_ROOT
BROKEN_ELEMENT = ELEMENT_MISSING


@dataclass(slots=True)
class Ref:
    """One outgoing reference.

    ``target`` is the referenced file relative to the content root (``/``-separated, fragment
    dropped) for local and peer file references, and ``None`` otherwise. ``key`` is the key name
    of a ``keyref``/``conkeyref`` (the part before ``/``), and of the ``conkeyref`` beside a
    ``conrefend`` (whose file the key's target replaces). ``broken`` is decided for file targets
    while processing, with ``reason`` one of the ``BROKEN_*`` sentences (the file does not exist,
    it or a folder on its way is a symbolic link, the target leaves the content root, or a
    same-file fragment names no such topic or element); key references start unbroken and are
    resolved against the repository's key definitions later. ``fallback`` is True for a
    ``keyref`` with an ``@href`` beside it, or a ``conkeyref`` with a ``@conref``: what is used
    when the key is undefined (DITA 1.3 part 3, 2.3.4.2 "Key references": the key wins when it
    resolves).
    ``fallback_key`` names that key on the ``@href`` or ``@conref`` itself: the link pass judges
    it with the key, as unused (``FALLBACK_NOT_USED``, not broken) while the key is defined,
    whether or not the key's definition names a file (DITA 1.3 part 3, 2.3.4.3 "Key
    definitions": a key without a target makes no link, whatever the reference's own
    ``@href``), and as a file reference when it is not.

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
    fallback: bool = False
    fallback_key: str | None = None


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

    ``map_tree`` is what a map contributes to key spaces (see ``keyspace``), empty for other
    types: ``{"scopes": [[parent, names], ...], "items": [...]}``. Scope 0 is the map's root
    element (``names`` its ``@keyscope``, often ""); every other element with ``@keyscope`` adds a
    scope under its nearest enclosing one. ``items`` are in document order: ``["k", scope, key,
    target, text, missing]`` a key definition (``target`` the local file or None, ``text`` the
    keyword or linktext of its topicmeta, ``missing`` whether that file is broken), ``["m",
    scope, target, own]`` a local map reference (``own``: its element defines the scope), and
    ``["t", scope, target, key]`` a topic reference by file and/or key.

    ``key_texts`` holds, for each text field whose words depend on keys (``"title"``, and
    ``"shortdesc"`` in ``metadata``), a template the finishing pass fills once keys are known
    (``keyspace.fill_template``): a list of literal strings and one-item lists ``[key]``, one per
    empty element with ``@keyref`` (DITA 1.3 part 3, 2.3.4.9). ``title`` and the shortdesc hold the
    template filled with no key text meanwhile. Empty when no such field names a key.
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
    ids: list[str] = field(default_factory=list)
    map_tree: dict[str, Any] = field(default_factory=dict)
    key_texts: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def fingerprint(self) -> Fingerprint:
        return Fingerprint(self.size, self.mtime, self.checksum)

    @property
    def broken_count(self) -> int:
        return sum(1 for ref in self.references if ref.broken)


# The error of a file that is not there (any more): the engine checks whether its whole folder went.
NOT_FOUND = "file not found"
