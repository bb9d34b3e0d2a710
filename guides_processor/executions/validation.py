"""Checking a processing request: the path, the exclusions, the file types and the time window."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from .. import content, processing
from ..models import PROCESSING_TYPE
from .errors import InvalidInput


def content_root() -> Path:
    return Path(settings.GUIDES_CONTENT_ROOT)


@dataclass(frozen=True)
class ProcessingRequest:
    path: str
    excluded_paths: tuple[str, ...]
    file_types: tuple[str, ...]
    filter_processed_assets: bool
    modified_after: datetime | None
    modified_before: datetime | None


def _epoch_ms(value: object, field: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a time in epoch milliseconds.", field=field)
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidInput(
            f"{field}={value} is not a valid time in epoch milliseconds.", field=field
        ) from None


# A flat check of each request field in turn, in the order of the request.
def validate(  # noqa: C901
    *,
    path: object,
    excluded_paths: Iterable[object],
    file_types: Iterable[object],
    filter_processed_assets: bool,
    start_time: object,
    end_time: object,
    processing_type: object,
) -> ProcessingRequest:
    if processing_type != PROCESSING_TYPE:
        raise InvalidInput(
            f"type must be {PROCESSING_TYPE!r}, not {processing_type!r}.", field="type"
        )
    root = content_root()
    try:
        vpath = content.normalize_path(path, field="path")
        # A folder, or one file: an execution of a single asset.
        content.resolve_target(root, vpath, field="path")
    except content.ContentPathError as exc:
        raise InvalidInput(str(exc), field=exc.field) from None
    excluded: list[str] = []
    for index, raw in enumerate(excluded_paths):
        field = f"excludedPaths[{index}]"
        try:
            vexcluded = content.normalize_path(raw, field=field)
        except content.ContentPathError as exc:
            raise InvalidInput(str(exc), field=field) from None
        if vexcluded == vpath or not content.is_within(vexcluded, vpath):
            raise InvalidInput(
                f"{field}: {vexcluded} is not a folder inside {vpath}; only sub-folders of the "
                "processed folder can be excluded.",
                field=field,
            )
        try:
            content.resolve_folder(root, vexcluded, field=field)
        except content.ContentPathError as exc:
            raise InvalidInput(str(exc), field=field) from None
        if vexcluded not in excluded:
            excluded.append(vexcluded)
    types: list[str] = []
    for index, raw in enumerate(file_types):
        name = str(raw).strip().upper() if isinstance(raw, str) else raw
        if name not in processing.ASSET_TYPES:
            raise InvalidInput(
                f"filter.fileTypes[{index}]: {raw!r} is not an asset type; use any of "
                + ", ".join(processing.ASSET_TYPES)
                + ".",
                field="filter.fileTypes",
            )
        if name not in types:
            types.append(str(name))
    after = _epoch_ms(start_time, "filter.startTime")
    before = _epoch_ms(end_time, "filter.endTime")
    if after and before and after > before:
        raise InvalidInput(
            "filter.startTime is later than filter.endTime.", field="filter.startTime"
        )
    return ProcessingRequest(
        path=vpath,
        excluded_paths=tuple(excluded),
        file_types=tuple(types),
        filter_processed_assets=bool(filter_processed_assets),
        modified_after=after,
        modified_before=before,
    )
