"""The executions table, the New Process dialog and the row actions."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling, retarget

from .. import content, permissions, selectors
from .. import executions as services
from ..executions.preview import execution_preview as dry_run
from ..models import ACTIVE_STATUSES, RUNNING_STATUSES, AssetType, Execution, ExecutionStatus
from ..text import plural
from .access import HtmxHttpRequest, bad_request, console_view, safe_next, with_toast
from .forms import ExecutionsQuery, FoldersQuery, NewProcessForm

# Sub-folders sent per request of the folder picker; a folder with more shows "Show more".
FOLDER_PAGE = 200

CREATED_MESSAGE = "Process triggered successfully"
LOG_DOWNLOAD_URL = "/bin/guides/v1/assets/process/logs/download"


@dataclass(frozen=True)
class Row:
    """An execution as the table shows it: the model for words, the status object for flags."""

    execution: Execution
    status: selectors.ExecutionStatusView
    # 1 for the next to start; only for a WAITING execution, and only where it is shown.
    queue_place: int | None = None

    @property
    def active(self) -> bool:
        return self.execution.status in ACTIVE_STATUSES

    @property
    def running(self) -> bool:
        return self.execution.status in RUNNING_STATUSES

    @property
    def download_url(self) -> str:
        # The API streams the log as a ZIP; the console links to it (session auth works there).
        return f"{LOG_DOWNLOAD_URL}?processingId={self.execution.processing_id}"

    @property
    def percent(self) -> int:
        total = self.status.migration_set.total_files
        return min(100, self.status.triggered_count * 100 // total) if total else 0


def row_of(execution: Execution) -> Row:
    """The row of ``execution``, with its place in the queue when it waits (one index probe)."""
    place = (
        selectors.execution_queue_place(execution)
        if execution.status == ExecutionStatus.WAITING
        else None
    )
    return Row(execution, selectors.execution_status_view(execution), place)


def rows_of(executions: list[Execution]) -> list[Row]:
    return [row_of(execution) for execution in executions]


def _folder_filter(raw: str) -> tuple[str, str]:
    """The folder filter as a virtual path, and the reason when it is not one.

    A path without the ``/content/dam`` prefix is taken as relative to it.
    """
    text = raw.strip()
    if not text:
        return "", ""
    if not text.lstrip("/").startswith("content/") and text.strip("/") != "content":
        text = f"{content.VIRTUAL_ROOT}/{text.lstrip('/')}"
    try:
        return content.normalize_path(text, field="folder"), ""
    except content.ContentPathError as exc:
        return "", f"Folder filter ignored: {exc.message}"


def _url(name: str, **params: Any) -> str:
    query = urlencode({key: value for key, value in params.items() if value not in ("", None)})
    return reverse(name) + (f"?{query}" if query else "")


@vary_on_headers("HX-Request")
@console_view()
@require_GET
def executions(request: HtmxHttpRequest) -> HttpResponse:
    """The executions page, or (to htmx) its table alone, which stops polling when idle.

    A status, folder filter or cursor that is not one is a 400 that says which.
    """
    query = ExecutionsQuery(request.GET)
    if not query.is_valid():
        return bad_request(request, query.error_message())
    status: str = query.cleaned_data["status"]
    raw_folder: str = query.cleaned_data["folder"]
    folder, folder_error = _folder_filter(raw_folder)
    page = selectors.executions_page(
        status=status,
        folder=folder,
        before=query.cleaned_data["before"],
        after=query.cleaned_data["after"],
    )
    # A row read as running keeps the table polling even if its run ends before the probe below:
    # a stop-polling answer must never carry a status that is not final.
    rows = rows_of(page.executions)
    live = any(row.active for row in rows) or selectors.executions_active_exist()
    name = "guides_processor:executions"
    filters = {"status": status, "folder": raw_folder}
    first = page.newer_than is None
    context = {
        "rows": rows,
        "live": live,
        "status": status,
        "folder": raw_folder,
        "folder_error": folder_error,
        "filtered": bool(status or folder),
        "statuses": ExecutionStatus.choices,
        "asset_types": AssetType.choices,
        # The dialog's dates are read in this zone unless the page sends the browser's.
        "server_time_zone": settings.TIME_ZONE,
        "can_run": permissions.can_run(request.user),
        # The page refreshes itself by this URL: the newest page, or the same older rows.
        "self_url": _url(name, **filters, before=None if first else page.executions[0].pk + 1),
        "newest_url": None if first else _url(name, **filters),
        "newer_url": None if first else _url(name, **filters, after=page.newer_than),
        "older_url": _url(name, **filters, before=page.older_than) if page.older_than else None,
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "guides_processor/_executions.html", context)
        if not live:
            # The final state is in this answer; htmx swaps it and stops polling.
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "guides_processor/executions.html", context)


@console_view()
@require_GET
def folders(request: HtmxHttpRequest) -> HttpResponse:
    """Tree items for the sub-folders of ``path`` (the folder picker), a page at a time.

    A path that cannot be listed is said in the tree; an offset that is not one is a 400.
    """
    query = FoldersQuery(request.GET)
    if not query.is_valid():
        return render(
            request,
            "guides_processor/_folder_children.html",
            {"error": query.error_message()},
            status=400,
        )
    offset: int = query.cleaned_data["offset"] or 0
    try:
        path = content.normalize_path(query.cleaned_data["path"] or content.VIRTUAL_ROOT)
        children = content.list_folders(Path(settings.GUIDES_CONTENT_ROOT), path)
    except content.ContentPathError as exc:
        return render(request, "guides_processor/_folder_children.html", {"error": exc.message})
    if offset > len(children):
        return render(
            request,
            "guides_processor/_folder_children.html",
            {"error": f"Offset: {path} has only {len(children)} sub-folders."},
            status=400,
        )
    shown = children[offset : offset + FOLDER_PAGE]
    remaining = len(children) - offset - len(shown)
    level = path.count("/")  # /content/dam is level 1, its sub-folders level 2
    return render(
        request,
        "guides_processor/_folder_children.html",
        {
            "folders": shown,
            "level": level,
            "empty": not children,
            "remaining": remaining,
            "more_url": _url("guides_processor:folders", path=path, offset=offset + len(shown))
            if remaining
            else None,
        },
    )


_FIELD_LABELS = {"path": "Folder", "type": "Type", "filter.fileTypes": "Asset types"}


def _in_words(error: services.ServiceError) -> str:
    """A service error as the dialog says it: the field's label instead of its API name."""
    message = error.message
    field = error.field or ""
    if field and message.startswith(f"{field}: "):
        message = message[len(field) + 2 :]
        message = message[:1].upper() + message[1:]
    label = "Excluded folder" if field.startswith("excludedPaths") else _FIELD_LABELS.get(field)
    return f"{label}: {message}" if label and not message.startswith(label) else message


def _dialog_request(request: HtmxHttpRequest) -> dict[str, Any]:
    """The New Process dialog's request as service arguments; InvalidInput in the dialog's words
    when the form refuses it or no folder is selected."""
    form = NewProcessForm(request.POST)
    if not form.is_valid():
        raise services.InvalidInput(form.error_message())
    arguments = form.request()
    if not arguments["path"]:
        raise services.InvalidInput("Select the folder to process.", field="path")
    return arguments


def _dialog_error(
    request: HtmxHttpRequest, exc: services.ServiceError, *, preview: bool = False
) -> HttpResponse:
    error = _in_words(exc)
    if not request.htmx:
        messages.error(request, error)
        return redirect("guides_processor:executions")
    status = 409 if isinstance(exc, services.Conflict) else 422
    return render(
        request,
        "guides_processor/_new_process_errors.html",
        {"error": error, "preview": preview},
        status=status,
    )


@console_view(run=True)
@require_POST
def execution_create(request: HtmxHttpRequest) -> HttpResponse:
    """Create an execution from the New Process dialog.

    To htmx: 201 with the toast and the ``process-created`` event, or the dialog's error in words
    (422 for input, 409 for an overlapping execution).
    """
    try:
        execution = services.execution_create(
            **_dialog_request(request), created_by=request.user.get_username()
        )
    except services.ServiceError as exc:
        return _dialog_error(request, exc)
    if not request.htmx:
        messages.success(request, CREATED_MESSAGE)
        return redirect("guides_processor:executions")
    response = render(request, "guides_processor/_new_process_errors.html", {}, status=201)
    return with_toast(
        response,
        CREATED_MESSAGE,
        events={
            "executions-changed": {},
            "process-created": {"processingId": str(execution.processing_id)},
        },
    )


@console_view(run=True)
@require_POST
def execution_preview(request: HtmxHttpRequest) -> HttpResponse:
    """What Create would process now (the API's dry run), for the dialog: counts, counts by
    type, files left out and skipped, the first paths; nothing is created.

    Bad input is refused in Create's words (422); an overlapping execution is no reason to
    refuse a preview.
    """
    try:
        preview = dry_run(**_dialog_request(request))
    except services.ServiceError as exc:
        # Said where Create says it; the preview of an earlier request goes (see the fragment).
        return retarget(_dialog_error(request, exc, preview=True), "#new-process-errors")
    if not request.htmx:
        # The dialog needs htmx for this; without it there is nothing to show it in.
        return redirect("guides_processor:executions")
    return render(
        request,
        "guides_processor/_new_process_preview.html",
        {
            "preview": preview,
            "by_type": sorted(preview["byType"].items(), key=lambda item: (-item[1], item[0])),
            "more": max(
                0,
                preview["totalFiles"]
                - preview["skippedAsProcessed"]
                - preview["skippedFiles"]
                - len(preview["sample"]),
            ),
        },
    )


def _short(execution: Execution) -> str:
    return str(execution.processing_id)[:8]


def _cancel(processing_id: str, by: str) -> str:
    execution = services.execution_cancel(processing_id=processing_id, by=by)
    if execution.status == ExecutionStatus.CANCELLED:
        return f"Execution {_short(execution)} cancelled."
    return f"Cancelling execution {_short(execution)}; it stops within seconds."


def _resume(processing_id: str, by: str) -> str:
    execution = services.execution_resume(processing_id=processing_id, by=by)
    return f"Execution {_short(execution)} resumed."


def _restart(processing_id: str, by: str) -> str:
    execution = services.execution_restart(processing_id=processing_id, by=by)
    return f"Restarted as execution {_short(execution)}."


def _retry(processing_id: str, by: str) -> str:
    execution = services.execution_retry_failed(processing_id=processing_id, by=by)
    failed = plural(execution.total_files, "failed asset")
    return f"Retrying {failed} as execution {_short(execution)}."


ACTIONS = {"cancel": _cancel, "resume": _resume, "restart": _restart, "retry": _retry}


@console_view(run=True)
@require_POST
def execution_action(request: HtmxHttpRequest, processing_id: str, action: str) -> HttpResponse:
    """Cancel, resume, restart or retry the failed assets; a toast says what happened and the
    table refreshes.

    Errors of the service keep their status (404, 409, 400) and are said in the toast.
    """
    run = ACTIONS[action]
    try:
        message = run(str(processing_id), request.user.get_username())
    except services.ServiceError as exc:
        if not request.htmx:
            messages.error(request, exc.message)
            return redirect(safe_next(request, reverse("guides_processor:executions")))
        response = HttpResponse(exc.message, status=exc.status, content_type="text/plain")
        return with_toast(response, exc.message, level="error", events={"executions-changed": {}})
    if not request.htmx:
        messages.success(request, message)
        return redirect(safe_next(request, reverse("guides_processor:executions")))
    return with_toast(HttpResponse(status=204), message, events={"executions-changed": {}})
