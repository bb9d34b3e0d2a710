"""Checking a processing request: the paths, the exclusions, the file types and the time window."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from .. import content, processing
from ..models import PROCESSING_TYPE
from .errors import InvalidInput

# Paths (and excluded paths) one request may name: every one is checked on disk, and an
# execution's paths are compared with those of every active one.
PATHS_MAX = 10_000


def content_root() -> Path:
    return Path(settings.GUIDES_CONTENT_ROOT)


@dataclass(frozen=True)
class ProcessingRequest:
    # ``path`` first when it was given, then ``paths``, without duplicates; none inside another.
    paths: tuple[str, ...]
    excluded_paths: tuple[str, ...]
    file_types: tuple[str, ...]
    filter_processed_assets: bool
    modified_after: datetime | None
    modified_before: datetime | None

    @property
    def path(self) -> str:
        """The first path: the one an execution stores as ``path``."""
        return self.paths[0]


def _targets(root: Path, path: object, paths: Iterable[object]) -> list[str]:
    """The request's ``path`` and ``paths`` as normalised virtual paths of folders or files,
    ``path`` first, duplicates dropped; raises InvalidInput naming the field at fault."""
    given = [] if path is None else [(path, "path")]
    given += [(raw, f"paths[{index}]") for index, raw in enumerate(paths)]
    if not given:
        raise InvalidInput(
            "path is required, or paths: the folders or files to process.", field="path"
        )
    if len(given) > PATHS_MAX:
        raise InvalidInput(
            f"paths: {len(given):,} paths given, at most {PATHS_MAX:,} are taken; give their "
            "folders instead (with excludedPaths for what to leave out).",
            field="paths",
        )
    targets: list[str] = []
    seen = content.PathSet()
    for raw, field in given:
        try:
            vpath = content.normalize_path(raw, field=field)
            # A folder, or one file: an execution of a single asset.
            content.resolve_target(root, vpath, field=field)
        except content.ContentPathError as exc:
            raise InvalidInput(str(exc), field=exc.field) from None
        if vpath in seen:
            continue
        # Overlapping paths would walk (and process) the same files twice, and break the one
        # walk cursor of the execution, which needs paths that sort apart.
        other = seen.overlapping(vpath)
        if other is not None:
            raise InvalidInput(
                f"{field}: {vpath} overlaps {other}, also given; give the outer folder "
                "alone, or paths that do not contain each other.",
                field=field,
            )
        seen.add(vpath)
        targets.append(vpath)
    return targets


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
    path: object = None,
    paths: Iterable[object] = (),
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
    targets = _targets(root, path, paths)
    excluded_paths = list(excluded_paths)
    if len(excluded_paths) > PATHS_MAX:
        raise InvalidInput(
            f"excludedPaths: {len(excluded_paths):,} given, at most {PATHS_MAX:,} are taken.",
            field="excludedPaths",
        )
    within = content.PathSet(targets)
    excluded: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(excluded_paths):
        field = f"excludedPaths[{index}]"
        try:
            vexcluded = content.normalize_path(raw, field=field)
        except content.ContentPathError as exc:
            raise InvalidInput(str(exc), field=field) from None
        # The targets never contain each other: the one at or above it, if any, is the only one.
        if within.containing(vexcluded) in {None, vexcluded}:
            inside = " or ".join(targets) if len(targets) <= 3 else f"any of the {len(targets):,}"
            raise InvalidInput(
                f"{field}: {vexcluded} is not a folder inside {inside}; only "
                f"sub-folders of {'the' if len(targets) == 1 else 'a'} processed folder can be "
                "excluded.",
                field=field,
            )
        try:
            content.resolve_folder(root, vexcluded, field=field)
        except content.ContentPathError as exc:
            raise InvalidInput(str(exc), field=field) from None
        if vexcluded not in seen:
            seen.add(vexcluded)
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
        paths=tuple(targets),
        excluded_paths=tuple(excluded),
        file_types=tuple(types),
        filter_processed_assets=bool(filter_processed_assets),
        modified_after=after,
        modified_before=before,
    )


def epoch_ms(value: datetime | None) -> int | None:
    """A stored time as the milliseconds since the epoch a request gives it in (``start_time``
    and ``end_time``): what a restart passes on."""
    return None if value is None else int(value.timestamp() * 1000)
