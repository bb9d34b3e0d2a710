"""The broken-links report of a folder: counts, pages of rows, and the whole report as CSV."""

import re
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from .. import content
from ..selectors import broken_links as selectors
from .access import HtmxHttpRequest, bad_request, console_view, with_toast
from .forms import BrokenLinksQuery

CSV_HEADER = selectors.CSV_HEADER


def _query(request: HtmxHttpRequest) -> BrokenLinksQuery:
    return BrokenLinksQuery(request.GET)


def _filter(data: dict[str, Any]) -> selectors.BrokenLinksFilter:
    return selectors.BrokenLinksFilter(
        folder=data["folder"],
        link_types=tuple(data["link_type"]),
        file_types=tuple(data["file_type"]),
        reasons=tuple(data["reason"]),
    )


def _unknown_folder(request: HtmxHttpRequest, folder: str) -> HttpResponse | None:
    """A folder neither on disk nor processed is a 404 in the Assets page's words ("... does not
    exist."): its report would say "No broken links". To htmx (the Folder field applied), the
    sentence comes as an error toast, the report on the page left as it was: retrying cannot
    help a typo. None for a folder that is known."""
    try:
        selectors.broken_links_folder_check(root=Path(settings.GUIDES_CONTENT_ROOT), folder=folder)
    except content.ContentPathError as exc:
        if request.htmx:
            response = HttpResponse(exc.message, status=404, content_type="text/plain")
            return with_toast(response, exc.message, level="error", title="No such folder")
        raise Http404(exc.message) from None
    return None


def _url(name: str, flt: selectors.BrokenLinksFilter, **extra: Any) -> str:
    params: list[tuple[str, Any]] = [("folder", flt.folder)]
    params += [("link_type", value) for value in flt.link_types]
    params += [("file_type", value) for value in flt.file_types]
    params += [("reason", value) for value in flt.reasons]
    params += [(key, value) for key, value in extra.items() if value not in ("", None)]
    return reverse(name) + "?" + urlencode(params)


def _facet(
    labels: dict[str, str], counts: dict[str, int], chosen: tuple[str, ...]
) -> list[dict[str, Any]]:
    return [
        {"value": value, "label": label, "count": counts.get(value, 0), "chosen": value in chosen}
        for value, label in labels.items()
    ]


@vary_on_headers("HX-Request")
@console_view()
@require_GET
def broken_links(request: HtmxHttpRequest) -> HttpResponse:
    """The report page, or (to htmx) its counts and table alone. Bad parameters are a 400; a
    folder neither on disk nor processed, a 404."""
    query = _query(request)
    if not query.is_valid():
        return bad_request(request, query.error_message())
    data = query.cleaned_data
    flt = _filter(data)
    unknown = _unknown_folder(request, flt.folder)
    if unknown is not None:
        return unknown
    after = (content.to_relpath(data["after_path"]), data["after"]) if data["after_path"] else None
    page = selectors.broken_links_page(flt=flt, after=after)
    name = "guides_processor:broken_links"
    context = {
        "page": page,
        "folder": flt.folder,
        "link_types": _facet(selectors.LINK_TYPES, page.by_link_type, flt.link_types),
        "file_types": _facet(selectors.FILE_TYPES, page.by_file_type, flt.file_types),
        "reasons": _facet(selectors.REASONS, page.by_reason, flt.reasons),
        "link_type_labels": selectors.LINK_TYPES,
        "file_type_labels": selectors.FILE_TYPES,
        "reason_labels": selectors.REASONS,
        "paged": after is not None,
        "first_url": _url(name, flt),
        "next_url": _url(
            name,
            flt,
            after_path=content.to_virtual(page.next_cursor[0]),
            after=page.next_cursor[1],
        )
        if page.next_cursor
        else None,
        "csv_url": _url("guides_processor:broken_links_csv", flt),
        "assets_url": reverse("guides_processor:assets") + "?" + urlencode({"folder": flt.folder}),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "guides_processor/_broken_links.html", context)
    return render(request, "guides_processor/broken_links.html", context)


@console_view()
@require_GET
def broken_links_csv(request: HtmxHttpRequest) -> HttpResponse:
    """Every row of the report as CSV, streamed (memory bounded by one chunk of rows)."""
    query = _query(request)
    if not query.is_valid():
        return bad_request(request, query.error_message())
    flt = _filter(query.cleaned_data)
    unknown = _unknown_folder(request, flt.folder)
    if unknown is not None:
        return unknown
    # Header-safe: the folder's name in ASCII letters, digits, dots and dashes.
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", content.to_relpath(flt.folder)).strip("-") or "dam"
    response = StreamingHttpResponse(
        selectors.broken_links_csv(flt=flt), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="broken-links-{name}.csv"'
    # Streamed, so not an HttpResponse; the console's views are typed as answering one.
    return cast(HttpResponse, response)
