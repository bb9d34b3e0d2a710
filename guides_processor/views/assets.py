"""The Assets pages: the repository as last processed, folder by folder, and one asset's page
(metadata, what it uses, where it is used, its broken links, its history, Reprocess)."""

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from .. import content, permissions
from .. import executions as services
from ..models import AssetType
from ..selectors import asset_detail as detail
from ..selectors import assets as selectors
from .access import HtmxHttpRequest, bad_request, console_view
from .forms import AssetQuery, AssetsQuery


def _root() -> Path:
    return Path(settings.GUIDES_CONTENT_ROOT)


def _url(name: str, **params: Any) -> str:
    query = urlencode(
        {key: value for key, value in params.items() if value not in ("", None, False)}
    )
    return reverse(name) + (f"?{query}" if query else "")


def crumbs(path: str) -> list[tuple[str, str]]:
    """(name, virtual path) of each folder from /content/dam down to ``path``."""
    parts = content.to_relpath(path).split("/") if path != content.VIRTUAL_ROOT else []
    trail = [("dam", content.VIRTUAL_ROOT)]
    for index in range(len(parts)):
        trail.append((parts[index], content.to_virtual("/".join(parts[: index + 1]))))
    return trail


@vary_on_headers("HX-Request")
@console_view()
@require_GET
def assets(request: HtmxHttpRequest) -> HttpResponse:
    """The Assets page of a folder, or (to htmx) its table alone.

    A filter or cursor that is not one is a 400; a folder neither on disk nor processed, a 404.
    """
    query = AssetsQuery(request.GET)
    if not query.is_valid():
        return bad_request(request, query.error_message())
    data = query.cleaned_data
    folder: str = data["folder"]
    filters = {"status": data["status"], "type": data["type"], "broken": data["broken"]}
    try:
        listing = selectors.assets_listing(
            root=_root(),
            folder=folder,
            status=filters["status"],
            asset_type=filters["type"],
            has_broken=filters["broken"],
            after=data["after"],
        )
    except content.ContentPathError as exc:
        raise Http404(exc.message) from None
    name = "guides_processor:assets"
    context = {
        "listing": listing,
        "folder": folder,
        "crumbs": crumbs(folder),
        "filters": filters,
        "filtered": any(filters.values()),
        "statuses": list(selectors.STATUS_LABELS.items()),
        "asset_types": AssetType.choices,
        "type_labels": dict(AssetType.choices),
        "paged": bool(data["after"]),
        "first_url": _url(name, folder=folder, **filters),
        "next_url": _url(name, folder=folder, **filters, after=listing.next_cursor)
        if listing.next_cursor
        else None,
        "broken_links_url": _url("guides_processor:broken_links", folder=folder),
        "can_run": permissions.can_run(request.user),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "guides_processor/_assets_table.html", context)
    return render(request, "guides_processor/assets.html", context)


def _asset_or_404(path: str) -> detail.AssetView:
    view = detail.asset_view(root=_root(), relpath=content.to_relpath(path))
    if view is None:
        raise Http404(f"{path} is neither on disk nor processed.")
    return view


@console_view()
@require_GET
def asset_detail(request: HtmxHttpRequest) -> HttpResponse:
    """One asset's page. A path that names nothing is a 404 that says so."""
    query = AssetQuery(request.GET)
    if not query.is_valid():
        return bad_request(request, query.error_message())
    path: str = query.cleaned_data["path"]
    view = _asset_or_404(path)
    asset = view.asset
    context: dict[str, Any] = {
        "view": view,
        "asset": asset,
        "crumbs": crumbs(view.folder),
        "type_label": dict(AssetType.choices).get(asset.asset_type, "") if asset else "",
        "keys": detail.keys_defined_as(relpath=view.relpath),
        "history": detail.asset_history(relpath=view.relpath),
        "used_in": _list_context("used_in", path, 0),
        "broken_links_url": _url("guides_processor:broken_links", folder=view.folder),
        "can_run": permissions.can_run(request.user),
    }
    if asset is not None:
        context["uses"] = _list_context("uses", path, 0, asset=asset)
        context["broken"] = _list_context("broken", path, 0, asset=asset)
    return render(request, "guides_processor/asset_detail.html", context)


def _list_context(kind: str, path: str, after: int, *, asset: Any = None) -> dict[str, Any]:
    """Rows of one of the asset's reference lists, and the URL of its next page."""
    if kind == "used_in":
        page = detail.asset_used_in(relpath=content.to_relpath(path), after=after)
    else:
        page = detail.asset_uses(asset=asset, after=after, broken_only=kind == "broken")
    more = (
        _url("guides_processor:asset_references", path=path, list=kind, after=page.next_cursor)
        if page.next_cursor
        else None
    )
    return {"kind": kind, "references": page.references, "more_url": more}


@console_view()
@require_GET
def asset_references(request: HtmxHttpRequest) -> HttpResponse:
    """The next rows of Uses, Used in or Broken links (table rows, and a new Show more row)."""
    query = AssetQuery(request.GET)
    kind = request.GET.get("list", "")
    if kind not in {"uses", "used_in", "broken"}:
        return bad_request(request, "List: choose uses, used_in or broken.")
    if not query.is_valid():
        return bad_request(request, query.error_message())
    path: str = query.cleaned_data["path"]
    view = _asset_or_404(path)
    if kind != "used_in" and view.asset is None:
        raise Http404(f"{path} was never processed.")
    context = _list_context(kind, path, query.cleaned_data["after"] or 0, asset=view.asset)
    return render(request, "guides_processor/_reference_rows.html", context)


REPROCESS_STARTED = "Reprocessing started"


@console_view(run=True)
@require_POST
def asset_reprocess(request: HtmxHttpRequest) -> HttpResponse:
    """Start an execution for the asset (``scope=asset``) or its folder (``scope=folder``).

    To htmx: 201 and a toast that links to the execution, or a 4xx toast that says why (409 for an
    overlapping execution, 422 for a path processing refuses).
    """
    query = AssetQuery(request.POST)
    scope = request.POST.get("scope", "asset")
    if not query.is_valid() or scope not in {"asset", "folder"}:
        message = query.error_message() if query.errors else "Scope: choose asset or folder."
        return bad_request(request, message)
    path: str = query.cleaned_data["path"]
    target = path if scope == "asset" else path.rpartition("/")[0]
    back = _url("guides_processor:asset_detail", path=path)
    try:
        execution = services.execution_create(path=target, created_by=request.user.get_username())
    except services.ServiceError as exc:
        if not request.htmx:
            messages.error(request, exc.message)
            return redirect(back)
        status = 409 if isinstance(exc, services.Conflict) else 422
        response = HttpResponse(exc.message, status=status, content_type="text/plain")
        response["HX-Trigger"] = json.dumps(
            {"toast": {"message": exc.message, "level": "error", "title": "Not started"}}
        )
        return response
    detail = reverse("guides_processor:execution_detail", args=[execution.processing_id])
    message = f"{REPROCESS_STARTED} for {target}."
    if not request.htmx:
        messages.success(request, message)
        return redirect(detail)
    response = HttpResponse(status=201)
    response["HX-Trigger"] = json.dumps(
        {
            "toast": {
                "message": message,
                "level": "success",
                "title": "Success",
                "url": detail,
                "link": "View the execution",
            }
        }
    )
    return response
