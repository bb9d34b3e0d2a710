"""The dry run of a start request: what an execution would process, without creating one.

The request is checked as ``execution_create`` checks it, and the folder is walked and filtered
by the calculation's own ``select`` (``engine.selection``), so the counts are those a real run
would find now.
"""

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from .. import content, processing
from ..engine.calculation import success_fingerprints
from ..engine.selection import PROCESS, UNCHANGED, Fingerprints, select
from ..models import PROCESSING_TYPE
from .validation import content_root, validate
from .webhooks import notify_url_checked

# Paths of files to process listed in a preview.
SAMPLE_SIZE = 20


def execution_preview(
    *,
    path: object = None,
    paths: Iterable[object] = (),
    excluded_paths: Iterable[object] = (),
    file_types: Iterable[object] = (),
    filter_processed_assets: bool = False,
    start_time: object = None,
    end_time: object = None,
    processing_type: object = PROCESSING_TYPE,
    notify_url: object = None,
) -> dict[str, Any]:
    """What an execution of this request would do: ``totalFiles`` (its total, as its status
    would say), ``byType`` (the files to process by asset type), ``excludedFiles`` (left out by
    the type or time filter), ``skippedAsProcessed`` (unchanged since their last successful
    processing, counted in the total), ``skippedFiles`` (what the walk passes over and the run
    logs as skipped: symbolic links, unreadable entries, names that are not UTF-8; counted in
    the total, as the run counts them, but neither typed nor in the sample) and ``sample`` (the
    first files to process, as virtual paths).

    Raises InvalidInput as ``execution_create`` does (a ``notify_url`` it would refuse
    included); an overlap with a running execution is no reason to refuse a preview.
    """
    request = validate(
        path=path,
        paths=paths,
        excluded_paths=excluded_paths,
        file_types=file_types,
        filter_processed_assets=filter_processed_assets,
        start_time=start_time,
        end_time=end_time,
        processing_type=processing_type,
    )
    notify_url_checked(notify_url)
    root = content_root()
    relfolders = [content.to_relpath(p) for p in request.paths]
    previous = (
        success_fingerprints(relfolders, typed=bool(request.file_types))
        if request.filter_processed_assets and not settings.GUIDES_VERIFY_CHECKSUM
        else Fingerprints()
    )
    by_type: Counter[str] = Counter()
    left_out = unchanged = passed_over = total = 0
    sample: list[str] = []
    (judged,) = select(
        root,
        relfolders,
        excluded=frozenset(content.to_relpath(p) for p in request.excluded_paths),
        types=frozenset(request.file_types),
        window=(request.modified_after, request.modified_before),
        previous=previous,
    )
    for entry, verdict, asset_type in judged:
        if verdict == PROCESS and entry.problem:
            # The run writes it skipped ("Skipped ...: symbolic link, not followed.") and
            # counts it in its total, processing none of it (``selection.chunks``).
            total += 1
            passed_over += 1
        elif verdict == PROCESS:
            total += 1
            by_type[
                asset_type or processing.file_type(root, entry.relpath) or processing.OTHERS
            ] += 1
            if len(sample) < SAMPLE_SIZE:
                sample.append(content.to_virtual(entry.relpath))
        elif verdict == UNCHANGED:
            total += entry.count  # a tally of several, as the walk may count them
            unchanged += entry.count
        else:
            left_out += 1
    return {
        "dryRun": True,
        "path": request.path,
        "paths": list(request.paths),
        "totalFiles": total,
        "byType": dict(sorted(by_type.items())),
        "excludedFiles": left_out,
        "skippedAsProcessed": unchanged,
        "skippedFiles": passed_over,
        "sample": sample,
    }
