"""The endpoints under ``/bin/guides/v1/assets/process`` (DESIGN section 4).

Every endpoint is a few lines over ``executions`` (the services, for writes) and ``selectors``
(reads), so the console, the API and the command line cannot disagree. Path validation lives in
the services; their errors are mapped to the one error shape by ``errors``. A status object is
``selectors.execution_status``, whose schema ``StatusOut`` is built from the same dataclass.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router

from .. import executions as services
from .. import selectors
from ..executions.preview import execution_preview
from ..models import Execution
from .auth import RUN_AUTH, username
from .errors import METHODS, close_other_methods, unknown
from .logzip import iso, zipped_log
from .schemas import (
    HISTORY_LIMIT_MAX,
    DryRunOut,
    FilterIn,
    HistoryOut,
    HistoryQuery,
    LogsOut,
    LogsQuery,
    OptionalProcessingIdQuery,
    ProcessingIdBody,
    ProcessingIdQuery,
    StartIn,
    StartOut,
    StatusOut,
    responses,
)

router = Router()


@router.post(
    "/assets/process",
    auth=RUN_AUTH,
    response=responses(StartOut | DryRunOut, 400, 401, 403, 409, 413, 415),
    summary="Start processing a folder",
    description="Queues an execution over path and paths (minus excludedPaths) and returns its "
    "processingId at once; the work runs in the background. 400 when paths overlap each other; "
    "409 when one of them overlaps a waiting or running execution. With dryRun, creates nothing "
    "and answers what it would process.",
)
def process_start(request: HttpRequest, payload: StartIn) -> dict[str, Any]:
    options = payload.filter or FilterIn.model_validate({})
    if payload.dryRun:
        return execution_preview(
            path=payload.path,
            paths=payload.paths or [],
            excluded_paths=payload.excludedPaths,
            file_types=options.fileTypes or [],
            filter_processed_assets=options.filterProcessedAssets,
            start_time=options.startTime,
            end_time=options.endTime,
            processing_type=payload.type,
            notify_url=payload.notify.url if payload.notify else None,
        )
    execution = services.execution_create(
        path=payload.path,
        paths=payload.paths or [],
        created_by=username(request),
        excluded_paths=payload.excludedPaths,
        file_types=options.fileTypes or [],
        filter_processed_assets=options.filterProcessedAssets,
        start_time=options.startTime,
        end_time=options.endTime,
        processing_type=payload.type,
        notify_url=payload.notify.url if payload.notify else None,
    )
    return {"processingId": str(execution.processing_id)}


@router.get(
    "/assets/process/status",
    response=responses(StatusOut, 400, 401, 403, 404),
    summary="The status of an execution",
)
def process_status(request: HttpRequest, query: Query[ProcessingIdQuery]) -> dict[str, Any]:
    return selectors.execution_status(services.execution_get(processing_id=query.processingId))


@router.get(
    "/assets/process/logs",
    response=responses(LogsOut, 400, 401, 403, 404),
    summary="A page of an execution's log",
    description=(
        "Pages by line number. `offset` is the first line to return (0-based, default 0) and "
        f"`limit` the most lines (default {selectors.LOG_LIMIT_DEFAULT}; larger values are capped "
        f"at {selectors.LOG_LIMIT_MAX}, and the response's `limit` is the one applied). "
        f"`tail=N` returns the last N lines instead (capped at {selectors.LOG_LIMIT_MAX}); the "
        "response's `offset` is then the number of the first of them, so earlier lines are "
        "fetched with `offset=max(0, offset - limit)`. `tail` cannot be combined with `offset` or "
        "`limit`. `hasMore` is true when lines exist after the returned page; `total` is the "
        "number of lines when the page was read. Numbers may be sent as numeric strings. Each "
        "request reads only the lines it returns, whatever the size of the log."
    ),
)
def process_logs(request: HttpRequest, query: Query[LogsQuery]) -> dict[str, Any]:
    execution = services.execution_get(processing_id=query.processingId)
    if query.tail is not None:
        if query.offset is not None or query.limit is not None:
            raise services.InvalidInput(
                "tail cannot be combined with offset or limit: ask for the last lines (tail) or "
                "for a page (offset and limit).",
                field="tail",
            )
        page = selectors.log_tail(execution, lines=query.tail)
    else:
        page = selectors.log_page(
            execution,
            offset=query.offset or 0,
            limit=selectors.LOG_LIMIT_DEFAULT if query.limit is None else query.limit,
        )
    removed = int(execution.pruned_at.timestamp() * 1000) if execution.pruned_at else None
    return {
        "removedAt": removed,
        "lines": [f"{iso(line.time)} {line.level} {line.message}" for line in page.lines],
        "limit": page.limit,
        "offset": page.offset,
        "hasMore": page.has_more,
        "total": page.total,
        "entries": [
            {
                "line": line.line,
                "time": int(line.time.timestamp() * 1000),
                "level": line.level,
                "message": line.message,
            }
            for line in page.lines
        ],
    }


@router.get(
    "/assets/process/logs/download",
    response=responses(None, 400, 401, 403, 404),
    summary="Download an execution's whole log as a ZIP",
    description=(
        "A ZIP archive holding one text file, `<processingId>.log`, with one line per log line: "
        "`line<TAB>ISO time<TAB>LEVEL<TAB>message`. It is streamed as it is read, so its size "
        "is not limited by the server's memory. A running execution's log is taken up to the "
        "line written last when the download starts."
    ),
    openapi_extra={
        # The same key as the responses above (an int), so that it is merged into their 200
        # rather than written beside it as a second "200".
        "responses": {
            200: {
                "description": "The ZIP archive.",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def process_logs_download(
    request: HttpRequest, query: Query[ProcessingIdQuery]
) -> StreamingHttpResponse:
    execution = services.execution_get(processing_id=query.processingId)
    if execution.pruned_at:
        raise services.NotFound(
            f"The log of execution {execution.processing_id} was removed by retention on "
            f"{execution.pruned_at.date().isoformat()}."
        )
    response = StreamingHttpResponse(zipped_log(execution), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{execution.processing_id}.zip"'
    return response


# --- cancel, resume, restart: one implementation, three operations ----------------------------


@dataclass(frozen=True)
class _Action:
    """A write on an existing execution: the service that makes it, and its documentation."""

    run: Callable[..., Execution]
    summary: str
    description: str


_ACTIONS = {
    "cancel": _Action(
        services.execution_cancel,
        "Cancel a waiting or running execution",
        "A waiting execution is cancelled at once; a running one becomes CANCELLING and is "
        "CANCELLED within seconds. Returns the execution's status. 409 when it is finished.",
    ),
    "resume": _Action(
        services.execution_resume,
        "Resume a cancelled or failed execution",
        "The same execution continues with the assets it had not processed. Returns its status. "
        "409 when it is not cancelled or failed, or its path overlaps an active execution.",
    ),
    "restart": _Action(
        services.execution_restart,
        "Restart a finished execution",
        "Starts a new execution with the path, exclusions and filter of a finished one and "
        "returns the new execution's status (its restartedFrom names the old one). 409 when it "
        "is not finished, its path overlaps an active execution, or its folder is gone.",
    ),
    "retry": _Action(
        services.execution_retry_failed,
        "Retry the assets that failed in an execution",
        "Starts a new execution over exactly the assets that failed in a finished one (its "
        "restartedFrom names it) and returns its status. 409 when the execution is not "
        "finished, failed nothing, or its path overlaps an active execution.",
    ),
}


def _target(payload: ProcessingIdBody | None, query: OptionalProcessingIdQuery) -> str:
    given = {value for value in (payload and payload.processingId, query.processingId) if value}
    if not given:
        raise services.InvalidInput(
            'processingId is required, in the JSON body ({"processingId": "..."}) or in the '
            "query string (?processingId=...).",
            field="processingId",
        )
    if len(given) > 1:
        raise services.InvalidInput(
            "processingId differs between the JSON body and the query string.",
            field="processingId",
        )
    return given.pop()


def _action_view(name: str, run: Callable[..., Execution]) -> Callable[..., dict[str, Any]]:
    def view(
        request: HttpRequest,
        query: Query[OptionalProcessingIdQuery],
        payload: ProcessingIdBody | None = None,
    ) -> dict[str, Any]:
        return selectors.execution_status(
            run(processing_id=_target(payload, query), by=username(request))
        )

    # The operation's id and URL name come from the function's name, as for the others.
    view.__name__ = view.__qualname__ = f"process_{name}"
    return view


for _name, _action in _ACTIONS.items():
    router.post(
        f"/assets/process/{_name}",
        auth=RUN_AUTH,
        response=responses(StatusOut, 400, 401, 403, 404, 409, 413, 415),
        summary=_action.summary,
        description=_action.description,
    )(_action_view(_name, _action.run))


@router.get(
    "/assets/process/history",
    response=responses(HistoryOut, 400, 401, 403),
    summary="The last executions, newest first",
)
def process_history(request: HttpRequest, query: Query[HistoryQuery]) -> dict[str, Any]:
    executions = selectors.executions_recent(limit=min(query.limit, HISTORY_LIMIT_MAX))
    return {"executionHistory": [selectors.execution_status(execution) for execution in executions]}


# --- the one error shape for a wrong method or an unknown URL ---------------------------------

# The methods each endpoint's URL answers, taken from the operations above; any other gets 405.
ALLOWED = close_other_methods(router)

# Mounted last: anything under the API that is no endpoint.
fallback = Router()
fallback.api_operation(METHODS, "/{path:rest}", auth=None, include_in_schema=False)(unknown)
