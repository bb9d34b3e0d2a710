"""The broken-links report of a folder: every broken reference of the assets below it.

One query shape serves the console's page, its CSV download and (later) an API endpoint: the
folder is a range of the asset relpath index, broken references come through
reference_broken_idx (asset, broken). Rows are ordered by source path then reference id, and paged
by that pair (keyset), so a page costs O(page) however large the report.

Reasons are the codes processing and the finishing pass store on each reference
(``processing.REASONS``); references of deleted assets are left out.
"""

import csv
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When

from .. import content, processing
from ..models import Reference, below
from .asset_detail import used_by_counts
from .asset_status import first_unknown_path

LINK_TYPES = {
    processing.LINK_TOPIC: "Topic",
    processing.LINK_MAP: "Map",
    processing.LINK_FILE: "File",
    processing.LINK_KEY: "Key",
    processing.LINK_CONTENT: "Content",
    processing.LINK_CONTENT_KEY: "Content key",
    processing.LINK_IMAGE: "Image",
    processing.LINK_MULTIMEDIA: "Multimedia",
}

# The file type of a source, as people sort the repository (from the asset type, and for assets
# typed Others from the extension).
FILE_TYPES = {
    "topic": "Topic",
    "map": "Map",
    "document": "Document",
    "image": "Image",
    "video": "Video",
    "audio": "Audio",
    "others": "Others",
}
_DOCUMENT_TYPES = (processing.MARKDOWN, processing.HTML_CSS)
_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".ico", ".avif",
                     ".tif", ".tiff")  # fmt: skip
_VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".webm", ".ogv", ".avi", ".mkv", ".mpg", ".mpeg")
_AUDIO_EXTENSIONS = (".mp3", ".m4a", ".wav", ".ogg", ".oga", ".flac", ".aac", ".weba")

# Why a link is broken: the codes processing stores on the reference, with their sentences.
REASONS = {
    code: label
    for code, label in processing.VERDICT_LABELS.items()
    if code not in processing.WARNINGS
}

BROKEN_LINKS_PAGE_SIZE = 50
BROKEN_LINKS_API_LIMIT_MAX = 500
# Rows per query of the CSV: memory stays bounded by this, whatever the report holds.
EXPORT_CHUNK = 2000


def _ends_with_any(field: str, extensions: tuple[str, ...]) -> Q:
    condition = Q()
    for suffix in extensions:
        condition |= Q(**{f"{field}__iendswith": suffix})
    return condition


def _file_type_expression() -> Case:
    return Case(
        When(asset__asset_type=processing.DITATOPIC, then=Value("topic")),
        When(asset__asset_type=processing.DITAMAP, then=Value("map")),
        When(asset__asset_type__in=_DOCUMENT_TYPES, then=Value("document")),
        When(_ends_with_any("asset__relpath", _IMAGE_EXTENSIONS), then=Value("image")),
        When(_ends_with_any("asset__relpath", _VIDEO_EXTENSIONS), then=Value("video")),
        When(_ends_with_any("asset__relpath", _AUDIO_EXTENSIONS), then=Value("audio")),
        default=Value("others"),
        output_field=CharField(),
    )


@dataclass(frozen=True)
class BrokenLinksFilter:
    """What the report shows: a virtual folder (and everything below it), and any of the link
    types, source file types and reasons (all when empty)."""

    folder: str
    link_types: tuple[str, ...] = ()
    file_types: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()


def broken_links_folder_check(*, root: Path, folder: str, field: str = "folder") -> None:
    """Raise ``content.ContentPathError`` (naming ``field``) when the report's ``folder`` names
    nothing: neither on disk nor a path at or below which an asset was processed, live or
    deleted (``asset_status.first_unknown_path``). Its report would be empty, which reads as
    "no broken links" where a CI job looks. A folder gone from disk whose assets were processed
    is accepted."""
    unknown = first_unknown_path(root=root, paths=[folder])
    if unknown is not None:
        raise content.ContentPathError(field, unknown[1])


def _base(folder: str) -> QuerySet[Reference]:
    relfolder = content.to_relpath(folder)
    # References of deleted assets are history, not broken links.
    queryset = Reference.objects.filter(
        below(relfolder, "asset__relpath"), broken=True, asset__deleted_at__isnull=True
    )
    return queryset.annotate(source_file_type=_file_type_expression())


def _filtered(flt: BrokenLinksFilter, *, skip: str = "") -> QuerySet[Reference]:
    queryset = _base(flt.folder)
    if flt.link_types and skip != "link_type":
        queryset = queryset.filter(link_type__in=flt.link_types)
    if flt.file_types and skip != "file_type":
        # The django-stubs plugin does not see annotations; the names are those of ``_base``.
        queryset = queryset.filter(source_file_type__in=flt.file_types)  # type: ignore[misc]
    if flt.reasons and skip != "reason":
        queryset = queryset.filter(reason__in=flt.reasons)
    return queryset


@dataclass(frozen=True)
class BrokenLink:
    """One broken reference, as the report, the CSV and the API show it."""

    id: int
    source: str  # virtual path of the asset holding the reference
    value: str
    target: str  # virtual path of the file it names (a key's resolved file; "" when none)
    link_type: str
    file_type: str
    reason: str
    line: int | None
    key: str
    attribute: str
    # How many references (in any asset) name the source file: how far the broken link reaches.
    used_by: int = 0

    @property
    def reason_label(self) -> str:
        return REASONS.get(self.reason, self.reason)

    @property
    def file_type_label(self) -> str:
        return FILE_TYPES.get(self.file_type, self.file_type)

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "value": self.value,
            "target": self.target,
            "linkType": self.link_type,
            "fileType": self.file_type,
            "reason": self.reason,
            "line": self.line,
            "usedBy": self.used_by,
        }


_FIELDS = ("id", "asset__relpath", "value", "target", "link_type", "source_file_type",
           "reason", "line", "key", "attribute")  # fmt: skip


def _link(row: tuple[Any, ...]) -> BrokenLink:
    pk, relpath, value, target, link_type, file_type, reason, line, key, attribute = row
    shown = content.to_virtual(target) if target and not target.startswith(("../", "/")) else target
    return BrokenLink(
        pk, content.to_virtual(relpath), value, shown, link_type, file_type, reason, line, key,
        attribute,
    )  # fmt: skip


def _with_used_by(links: list[BrokenLink]) -> list[BrokenLink]:
    """Fill ``used_by`` for these rows with one grouped query through UsedIn's target index."""
    sources = {content.to_relpath(link.source) for link in links}
    if not sources:
        return links
    counts = used_by_counts(relpaths=sources)
    return [replace(link, used_by=counts.get(content.to_relpath(link.source), 0)) for link in links]


def _after(queryset: QuerySet[Reference], after: tuple[str, int] | None) -> QuerySet[Reference]:
    if after is None:
        return queryset
    relpath, pk = after
    # The first condition says nothing the second does not; alone, it is the one both databases
    # start the relpath index's range at. Without it the OR was a filter over the folder's range,
    # and a page after the middle of 100,000 assets read the 50,000 before its cursor first
    # (PostgreSQL 102 ms, SQLite 23 ms; the same page of 100 assets: 7 ms and 5 ms).
    return queryset.filter(
        Q(asset__relpath__gte=relpath),
        Q(asset__relpath__gt=relpath) | Q(asset__relpath=relpath, id__gt=pk),
    )


@dataclass(frozen=True)
class BrokenLinksPage:
    """A page of the report, with its counts on the first page.

    ``total`` counts every row the filter matches; each of ``by_link_type``, ``by_file_type`` and
    ``by_reason`` counts with the other two filters applied (so each facet says what choosing one
    of its values would show). Counting reads every matching row (O(report)), so it is done for
    the first page only: on a page after a cursor ``total`` is None and the facets are empty, and
    the page costs O(page) however large the report. ``next_cursor`` is passed back as ``after``.
    """

    filter: BrokenLinksFilter
    total: int | None
    links: list[BrokenLink]
    by_link_type: dict[str, int]
    by_file_type: dict[str, int]
    by_reason: dict[str, int]
    next_cursor: tuple[str, int] | None

    @property
    def counted(self) -> bool:
        return self.total is not None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None

    def as_json(self) -> dict[str, Any]:
        """The shape an API answer takes."""
        return {
            "path": self.filter.folder,
            "total": self.total,
            "links": [link.as_json() for link in self.links],
            "hasMore": self.has_more,
        }


def _counts(queryset: QuerySet[Reference], field: str) -> dict[str, int]:
    rows = queryset.order_by().values_list(field).annotate(count=Count("id"))
    return {name: count for name, count in rows}


def broken_links_page(
    *,
    flt: BrokenLinksFilter,
    after: tuple[str, int] | None = None,
    offset: int = 0,
    limit: int = BROKEN_LINKS_PAGE_SIZE,
    with_counts: bool | None = None,
) -> BrokenLinksPage:
    """A page of the report after cursor ``after`` (source relpath, reference id), ``offset``
    more rows skipped. ``with_counts`` (by default: on the first page, no ``after``) adds the
    total and the facet counts, fresh: one grouped pass over the matching rows each."""
    queryset = _filtered(flt)
    rows = list(
        _after(queryset, after)
        .order_by("asset__relpath", "id")
        .values_list(*_FIELDS)[offset : offset + limit + 1]
    )
    links = _with_used_by([_link(row) for row in rows[:limit]])
    more = len(rows) > limit
    cursor = (content.to_relpath(links[-1].source), links[-1].id) if more and links else None
    if with_counts is None:
        with_counts = after is None
    if not with_counts:
        return BrokenLinksPage(flt, None, links, {}, {}, {}, cursor)
    return BrokenLinksPage(
        filter=flt,
        total=queryset.count(),
        links=links,
        by_link_type=_counts(_filtered(flt, skip="link_type"), "link_type"),
        by_file_type=_counts(_filtered(flt, skip="file_type"), "source_file_type"),
        by_reason=_counts(_filtered(flt, skip="reason"), "reason"),
        next_cursor=cursor,
    )


def broken_links_all(*, flt: BrokenLinksFilter, chunk: int = EXPORT_CHUNK) -> Iterator[BrokenLink]:
    """Every row of the report in order, read ``chunk`` rows per query (bounded memory)."""
    queryset = _filtered(flt).order_by("asset__relpath", "id")
    after: tuple[str, int] | None = None
    while True:
        rows = list(_after(queryset, after).values_list(*_FIELDS)[:chunk])
        yield from _with_used_by([_link(row) for row in rows])
        if len(rows) < chunk:
            return
        after = (rows[-1][1], rows[-1][0])


CSV_HEADER = ("source", "value", "target", "linkType", "fileType", "reason", "line", "usedBy")


class _Line:
    """A file-like object that hands back what the csv writer writes (one row at a time)."""

    def write(self, value: str) -> str:
        return value


# What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A value as a CSV cell that a spreadsheet shows as text: a string that would start a
    formula (an href written ``=HYPERLINK(...)``: the file's author chose it) gets a leading
    ``'``, which spreadsheets take as "text" and do not show."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def broken_links_csv(*, flt: BrokenLinksFilter) -> Iterator[str]:
    """The whole report as CSV lines: the header, then one row per broken link (bounded
    memory: ``broken_links_all``)."""
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_HEADER)
    for link in broken_links_all(flt=flt):
        row = link.as_json()
        yield writer.writerow([_cell(row[column]) for column in CSV_HEADER])


def _suite(folder: str, links: list[BrokenLink]) -> bytes:
    suite = ElementTree.Element(
        "testsuite", name=folder, tests=str(len(links)), failures=str(len(links)), errors="0"
    )
    for link in links:
        where = f" (line {link.line})" if link.line else ""
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=link.source,
            name=f"{posixpath.basename(link.source)}{where}: {link.attribute}={link.value}",
            file=link.source,
        )
        if link.line:
            case.set("line", str(link.line))
        failure = ElementTree.SubElement(
            case,
            "failure",
            type=link.reason,
            message=f"{link.attribute}={link.value}: {link.reason_label}{where}",
        )
        failure.text = (
            f"{link.source}{where}: {link.attribute}={link.value!r} -> "
            f"{link.target or '(no target)'}: {link.reason_label}."
        )
    return ElementTree.tostring(suite, encoding="unicode").encode("utf-8") + b"\n"


def broken_links_junit(*, flt: BrokenLinksFilter) -> Iterator[bytes]:
    """The report as JUnit XML, so that CI systems show it: a testsuite per folder of sources, a
    testcase per broken link, failed (JUnit counts failed testcases: with a testcase per source
    file and a failure per link, a suite said 7 tests and 71 failures, and CI totals came out
    wrong). Streamed a testsuite at a time: memory is bounded by one folder's broken links."""
    yield b'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="Broken links">\n'
    folder = ""
    links: list[BrokenLink] = []
    for link in broken_links_all(flt=flt):
        parent = posixpath.dirname(link.source)
        if links and parent != folder:
            yield _suite(folder, links)
            links = []
        folder = parent
        links.append(link)
    if links:
        yield _suite(folder, links)
    yield b"</testsuites>\n"
