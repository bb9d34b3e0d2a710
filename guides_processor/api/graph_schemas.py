"""Requests and answers of ``graph``: per-asset status, references and the broken-links report."""

from typing import Annotated, Literal, TypeVar

from ninja import Field
from pydantic import BeforeValidator

from ..selectors import asset_detail, asset_status, broken_links
from .schemas import OFFSET_MAX, BodyIn, In, Out, _absent_not_null, _as_list

T = TypeVar("T")

# Offsets beyond this are refused: skipping is O(offset), and no folder holds that many assets.
SKIP_MAX = 10_000_000


class StatusJobIn(BodyIn):
    paths: Annotated[list[str], BeforeValidator(_as_list)] = Field(
        description="Folders or files under /content/dam whose assets are reported (a missing "
        "leading slash is added; '.' and '..' segments are refused). A single string is taken as "
        "a list of one.",
        examples=[["/content/dam/guide"]],
    )
    excludedPaths: Annotated[list[str], BeforeValidator(_as_list)] = Field(
        default_factory=list,
        description="Folders whose assets are left out.",
        examples=[["/content/dam/guide/drafts"]],
    )


class StatusJobStartOut(Out):
    jobId: str = Field(description="The job to read with GET /assets/status?jobId=...")
    status: str = Field(description="WAITING: the job is computed when it is read.")


class StatusJobQuery(In):
    jobId: str = Field(description="The jobId returned by POST /assets/status.")
    after: str | None = Field(
        None,
        json_schema_extra=_absent_not_null,
        max_length=4096,
        description="The `next` of the previous page: the page starts after this path.",
    )
    offset: int = Field(0, ge=0, le=SKIP_MAX, description="Assets to skip (after `after`).")
    limit: int = Field(
        asset_status.STATUS_LIMIT_DEFAULT,
        ge=1,
        le=OFFSET_MAX,
        description=f"The most assets to return: default {asset_status.STATUS_LIMIT_DEFAULT}, "
        f"capped at {asset_status.STATUS_LIMIT_MAX}.",
    )
    counts: bool = Field(True, description="Whether to count the job's assets by status.")


class AssetStatusOut(Out):
    path: str = Field(description="The asset's path under /content/dam.")
    uuid: str | None = Field(description="The asset's id, kept across processing; null if never.")
    status: Literal["SUCCESS", "FAILURE", "PROCESSING", "PENDING"] = Field(
        description="SUCCESS or FAILURE: its last processing, the file unchanged since; "
        "PROCESSING: an active execution holds it; PENDING: never processed, or changed since."
    )
    exists: bool = Field(description="Whether the file is on disk now.")


class StatusCountsOut(Out):
    SUCCESS: int = Field(description="Assets processed successfully, unchanged since.")
    FAILURE: int = Field(description="Assets whose last processing failed, unchanged since.")
    PROCESSING: int = Field(description="Assets an active execution holds.")
    PENDING: int = Field(description="Assets never processed, or changed since.")


class StatusJobOut(Out):
    jobId: str = Field(description="The job.")
    status: str = Field(description="COMPLETED: the page was computed when it was read.")
    assets: list[AssetStatusOut] = Field(description="A page of the job's assets, by path.")
    offset: int = Field(description="Assets skipped before this page.")
    limit: int = Field(description="The limit applied.")
    hasMore: bool = Field(description="Whether assets follow this page.")
    next: str | None = Field(description="Pass as `after` for the next page; null on the last.")
    counts: StatusCountsOut | None = Field(
        description="Assets of the whole job by status (null with counts=false)."
    )


class ReferencesQuery(In):
    path: str = Field(max_length=4096, description="A file under /content/dam.")
    direction: Literal["incoming", "outgoing"] = Field(
        description="incoming: where the file is used (Used in); outgoing: what it uses (Uses)."
    )
    after: str | None = Field(
        None,
        json_schema_extra=_absent_not_null,
        max_length=32,
        description="The `next` of the previous page.",
    )
    offset: int = Field(0, ge=0, le=SKIP_MAX, description="References to skip (after `after`).")
    limit: int = Field(
        asset_detail.REFERENCES_PAGE_SIZE,
        ge=1,
        le=OFFSET_MAX,
        description=f"The most references: default {asset_detail.REFERENCES_PAGE_SIZE}, capped at "
        f"{asset_detail.REFERENCES_API_LIMIT_MAX}.",
    )


class ReferenceOut(Out):
    source: str = Field(description="The asset holding the reference.")
    target: str = Field(description="The file it names (a key's resolved file); '' when none.")
    value: str = Field(description="The attribute's value as written.")
    attribute: str = Field(description="The attribute holding it: href, conref, keyref...")
    linkType: str = Field(description="topic, map, file, key, content, image, multimedia...")
    scope: str = Field(description="local, peer or external.")
    key: str = Field(description="The key it uses, '' for a file reference.")
    broken: bool = Field(description="Whether the reference is broken.")
    reason: str = Field(description="Why it is broken (a stable code), '' when it is not.")
    warning: str = Field(
        description="A note on a reference that is not broken (KEY_UNDEFINED_IN_SOME_MAPS, "
        "FALLBACK_USED, NOT_IN_ANY_MAP), '' when there is none."
    )
    note: str = Field(
        description="What the warning concerns: for KEY_UNDEFINED_IN_SOME_MAPS, the root maps "
        "that lack the key; '' otherwise."
    )
    line: int | None = Field(description="The line of the source it is on, when known.")


class ReferencesOut(Out):
    path: str = Field(description="The asset asked about.")
    direction: str = Field(description="incoming or outgoing, as asked.")
    references: list[ReferenceOut] = Field(description="A page of references, by id.")
    offset: int = Field(description="References skipped before this page.")
    limit: int = Field(description="The limit applied.")
    hasMore: bool = Field(description="Whether references follow this page.")
    next: str | None = Field(description="Pass as `after` for the next page; null on the last.")


def _choices(values: dict[str, str]) -> str:
    return ", ".join(values) + "."


# The facets' values, as enums of the document (the lists of the selectors).
LinkType = Literal[tuple(broken_links.LINK_TYPES)]  # type: ignore[valid-type]
FileType = Literal[tuple(broken_links.FILE_TYPES)]  # type: ignore[valid-type]
Reason = Literal[tuple(broken_links.REASONS)]  # type: ignore[valid-type]
_Many = Annotated[list[T], BeforeValidator(_as_list)]


class BrokenLinksQuery(In):
    path: str = Field(
        "/content/dam", max_length=4096, description="The folder whose report is wanted."
    )
    linkType: _Many[LinkType] = Field(  # type: ignore[valid-type]
        default_factory=list, description="Any of " + _choices(broken_links.LINK_TYPES)
    )
    fileType: _Many[FileType] = Field(  # type: ignore[valid-type]
        default_factory=list, description="Any of " + _choices(broken_links.FILE_TYPES)
    )
    reason: _Many[Reason] = Field(  # type: ignore[valid-type]
        default_factory=list, description="Any of " + _choices(broken_links.REASONS)
    )
    format: Literal["json", "csv", "junit"] = Field("json", description="json, csv or junit.")
    after: str | None = Field(
        None,
        json_schema_extra=_absent_not_null,
        max_length=4200,
        description="The `next` of the previous page (JSON only).",
    )
    offset: int = Field(0, ge=0, le=SKIP_MAX, description="Rows to skip (JSON only).")
    limit: int = Field(
        broken_links.BROKEN_LINKS_PAGE_SIZE,
        ge=1,
        le=OFFSET_MAX,
        description=f"The most rows (JSON only): default {broken_links.BROKEN_LINKS_PAGE_SIZE}, "
        f"capped at {broken_links.BROKEN_LINKS_API_LIMIT_MAX}.",
    )


class BrokenLinkOut(Out):
    source: str = Field(description="The asset holding the broken reference.")
    value: str = Field(description="The attribute's value as written.")
    target: str = Field(description="The file it names, '' when none.")
    linkType: str = Field(description="topic, map, file, key, content, image, multimedia...")
    fileType: str = Field(description="The source's kind: topic, map, document, image...")
    reason: str = Field(description="Why it is broken (a stable code).")
    line: int | None = Field(description="The line of the source it is on, when known.")
    usedBy: int = Field(description="How many references of live assets name the source.")


class BrokenLinksOut(Out):
    path: str = Field(description="The folder of the report.")
    total: int | None = Field(
        description="Broken links matching the filters, counted on the first page (no `after`: "
        "one pass over the matching rows); null on a page after a cursor, which costs O(page)."
    )
    links: list[BrokenLinkOut] = Field(description="A page of broken links, by source path.")
    hasMore: bool = Field(description="Whether links follow this page.")
    next: str | None = Field(description="Pass as `after` for the next page; null on the last.")
