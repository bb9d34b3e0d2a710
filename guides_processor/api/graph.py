"""The endpoints over the processed repository: per-asset status, Uses / Used in, the
broken-links report, and retrying an execution's failed assets.

Each is a few lines over ``selectors`` (reads) and ``executions`` (writes), as in ``endpoints``.
Lists are keyset-paged: ``next`` is handed back as ``after`` for the next page, which costs
O(page) however long the list; ``offset`` skips rows (O(offset)) for clients that count.
"""

import uuid
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Query, Router

from .. import content
from .. import executions as services
from ..models import StatusJob
from ..selectors import asset_detail, asset_status, broken_links
from ..selectors.broken_links import broken_links_csv, broken_links_junit
from .auth import username
from .errors import close_other_methods
from .graph_schemas import (
    BrokenLinksOut,
    BrokenLinksQuery,
    ReferencesOut,
    ReferencesQuery,
    StatusJobIn,
    StatusJobOut,
    StatusJobQuery,
    StatusJobStartOut,
)
from .schemas import responses

router = Router()


# What a path that names nothing (``asset_status.first_unknown_path``) is told beside its why.
_NOTHING_PROCESSED = "No asset was ever processed under it either; check the path."


def _root() -> Path:
    return Path(settings.GUIDES_CONTENT_ROOT)


def _path(raw: str, field: str) -> str:
    try:
        return content.normalize_path(raw, field=field)
    except content.ContentPathError as exc:
        raise services.InvalidInput(f"{field}: {exc.message}", field=field) from None


def _cursor(raw: str | None, field: str = "after") -> int:
    if not raw:
        return 0
    if not raw.isdigit() or len(raw) > 15:
        raise services.InvalidInput(
            "after must be the next value of a previous page (a reference id).", field=field
        )
    return int(raw)


# --- per-asset status ---------------------------------------------------------------------------


@router.post(
    "/assets/status",
    response=responses(StatusJobStartOut, 400, 401, 403, 413, 415),
    summary="Ask for the processing status of assets",
    description="Stores a status job over paths (folders or files under /content/dam, minus "
    "excludedPaths) and returns its jobId, to read with GET /assets/status. A path that is no "
    "longer on disk is accepted: the assets processed under it are listed with exists false. "
    "A path neither on disk nor with any asset ever processed at or under it (a typo) is a 400 "
    "naming it (paths[i]): its job would count nothing, which reads as fully processed. So "
    "is an excluded path that names nothing or lies inside none of the paths. "
    "Reading the job needs the same access as reading executions.",
)
def assets_status_start(request: HttpRequest, payload: StatusJobIn) -> dict[str, Any]:
    if not payload.paths:
        raise services.InvalidInput("paths must name at least one folder or file.", field="paths")
    for name, given in (("paths", payload.paths), ("excludedPaths", payload.excludedPaths)):
        if len(given) > asset_status.STATUS_PATHS_MAX:
            raise services.InvalidInput(
                f"{name}: {len(given):,} given, at most {asset_status.STATUS_PATHS_MAX:,} are "
                "taken; name their folders instead, or ask in several jobs.",
                field=name,
            )
    paths = [_path(path, f"paths[{index}]") for index, path in enumerate(payload.paths)]
    excluded = [
        _path(path, f"excludedPaths[{index}]") for index, path in enumerate(payload.excludedPaths)
    ]
    for name, named in (("paths", paths), ("excludedPaths", excluded)):
        unknown = asset_status.first_unknown_path(root=_root(), paths=named)
        if unknown is not None:
            index, why = unknown
            raise services.InvalidInput(
                f"{name}[{index}]: {why} {_NOTHING_PROCESSED}", field=f"{name}[{index}]"
            )
    # As a start request refuses them: an excluded path that leaves nothing out is a mistake.
    inside = content.PathSet(paths)
    for index, path in enumerate(excluded):
        if inside.above(path) is None:
            raise services.InvalidInput(
                f"excludedPaths[{index}]: {path} is not inside any of the paths; an excluded "
                "path must lie below one of them.",
                field=f"excludedPaths[{index}]",
            )
    job = StatusJob.objects.create(
        created_by=username(request), paths=paths, excluded_paths=excluded
    )
    return {"jobId": str(job.job_id), "status": "WAITING"}


def _job(raw: str) -> StatusJob:
    try:
        key = uuid.UUID(raw)
    except ValueError:
        raise services.NotFound(f"No status job has the jobId {raw!r}.") from None
    job = StatusJob.objects.filter(job_id=key).first()
    if job is None:
        raise services.NotFound(f"No status job has the jobId {raw}.")
    return job


@router.get(
    "/assets/status",
    response=responses(StatusJobOut, 400, 401, 403, 404),
    summary="The processing status of a job's assets",
    description="A page of the job's assets in path order, each SUCCESS or FAILURE (its last "
    "processing, the file unchanged since), PROCESSING (an active execution holds it) or "
    "PENDING (never processed, or changed on disk since: size or modification time), computed "
    "when it is read. `counts` gives the number of assets in each status over the whole job "
    "(one pass over it; `counts=false` leaves it out, and a page read with `after` then costs "
    "O(page)). The job is answered at once: its status is COMPLETED.",
)
def assets_status(request: HttpRequest, query: Query[StatusJobQuery]) -> dict[str, Any]:
    job = _job(query.jobId)
    after = content.to_relpath(_path(query.after, "after")) if query.after else ""
    page = asset_status.asset_status_page(
        root=_root(),
        paths=job.paths,
        excluded_paths=job.excluded_paths,
        after=after,
        offset=query.offset,
        limit=query.limit,
        with_counts=query.counts,
    )
    return {
        "jobId": str(job.job_id),
        "status": "COMPLETED",
        "assets": [item.as_json() for item in page.assets],
        "offset": page.offset,
        "limit": page.limit,
        "hasMore": page.has_more,
        "next": content.to_virtual(page.next_after) if page.next_after else None,
        "counts": page.counts,
    }


# --- Uses / Used in -----------------------------------------------------------------------------


def _shown(target: str) -> str:
    return content.to_virtual(target) if target and not target.startswith(("../", "/")) else target


@router.get(
    "/assets/references",
    response=responses(ReferencesOut, 400, 401, 403, 404),
    summary="What an asset uses, or where it is used",
    description="`direction=outgoing`: the asset's own references (Uses). `direction=incoming`: "
    "the references of other live assets that name it, key references resolved to it "
    "included (Used in; its links into itself are left out). By reference id; `next` is "
    "passed back as `after`.",
)
def assets_references(request: HttpRequest, query: Query[ReferencesQuery]) -> dict[str, Any]:
    path = _path(query.path, "path")
    if path == content.VIRTUAL_ROOT:
        raise services.InvalidInput("path must name a file below /content/dam.", field="path")
    relpath = content.to_relpath(path)
    view = asset_detail.asset_view(root=_root(), relpath=relpath)
    if view is None:
        if (_root() / relpath).is_dir():
            raise services.InvalidInput(
                f"path {path} is a folder; references are listed for a file.", field="path"
            )
        raise services.NotFound(f"{path} is neither on disk nor processed.")
    after = _cursor(query.after)
    limit = min(query.limit, asset_detail.REFERENCES_API_LIMIT_MAX)
    if query.direction == "incoming":
        page = asset_detail.asset_used_in(
            relpath=relpath, after=after, offset=query.offset, limit=limit
        )
    elif view.asset is None:
        page = asset_detail.ReferencePage([], None)
    else:
        page = asset_detail.asset_uses(
            asset=view.asset, after=after, offset=query.offset, limit=limit
        )
    return {
        "path": path,
        "direction": query.direction,
        "references": [
            {
                "source": content.to_virtual(reference.asset.relpath),
                "target": _shown(reference.target),
                "value": reference.value,
                "attribute": reference.attribute,
                "linkType": reference.link_type,
                "scope": reference.scope,
                "key": reference.key,
                "broken": reference.broken,
                "reason": reference.reason,
                "warning": reference.warning,
                "note": asset_detail.warning_note(reference.warning, reference.note),
                "line": reference.line,
            }
            for reference in page.references
        ],
        "offset": query.offset,
        "limit": limit,
        "hasMore": page.next_cursor is not None,
        "next": str(page.next_cursor) if page.next_cursor is not None else None,
    }


# --- the broken-links report --------------------------------------------------------------------


def _report_cursor(raw: str | None) -> tuple[str, int] | None:
    if not raw:
        return None
    pk, _, path = raw.partition(":")
    if not pk.isdigit() or len(pk) > 15 or not path:
        raise services.InvalidInput(
            "after must be the next value of a previous page.", field="after"
        )
    return content.to_relpath(_path(path, "after")), int(pk)


@router.get(
    "/reports/broken-links",
    response=responses(BrokenLinksOut, 400, 401, 403, 404),
    summary="The broken-links report of a folder",
    description="Every broken reference of the live assets below path, by source path. "
    "A path neither on disk nor with any asset ever processed under it (a typo) is a 404 "
    "naming it, in every format: its report would be empty, which reads as no broken links. "
    "linkType, fileType and reason may be repeated; each narrows the report to those values. "
    "`format=json` (default) answers a page; `format=csv` streams every row (a header, then "
    "one row per broken link); `total` is counted on the first page only (no `after`), so that "
    "a page after a cursor costs O(page) however large the report; `format=junit` streams "
    "JUnit XML, a testsuite per folder of sources and a failed testcase per broken link, for "
    "CI systems.",
    openapi_extra={
        "responses": {
            200: {
                "description": "The page (JSON), or the whole report (CSV or JUnit XML).",
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/xml": {"schema": {"type": "string"}},
                },
            }
        }
    },
)
def reports_broken_links(request: HttpRequest, query: Query[BrokenLinksQuery]) -> Any:
    flt = broken_links.BrokenLinksFilter(
        folder=_path(query.path, "path"),
        link_types=tuple(query.linkType),
        file_types=tuple(query.fileType),
        reasons=tuple(query.reason),
    )
    # The page's cursor is checked first: a bad request is a 400 whatever the folder.
    after = _report_cursor(query.after) if query.format == "json" else None
    try:
        broken_links.broken_links_folder_check(root=_root(), folder=flt.folder, field="path")
    except content.ContentPathError as exc:
        raise services.NotFound(
            f"path: {exc.message} {_NOTHING_PROCESSED}",
            field="path",
        ) from None
    name = content.to_relpath(flt.folder).replace("/", "-") or "dam"
    if query.format == "csv":
        response = StreamingHttpResponse(
            broken_links_csv(flt=flt), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="broken-links-{name}.csv"'
        return cast(HttpResponse, response)
    if query.format == "junit":
        response = StreamingHttpResponse(
            broken_links_junit(flt=flt), content_type="application/xml; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="broken-links-{name}.xml"'
        return cast(HttpResponse, response)
    page = broken_links.broken_links_page(
        flt=flt,
        after=after,
        offset=query.offset,
        limit=min(query.limit, broken_links.BROKEN_LINKS_API_LIMIT_MAX),
    )
    body = page.as_json()
    body["next"] = (
        f"{page.next_cursor[1]}:{content.to_virtual(page.next_cursor[0])}"
        if page.next_cursor
        else None
    )
    return body


# The methods each URL answers; any other is answered in the one error shape.
ALLOWED = close_other_methods(router)
