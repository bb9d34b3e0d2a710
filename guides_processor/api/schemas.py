"""The API's requests and answers, as pydantic models: they validate input and are the schemas of
the OpenAPI document.

Field names, casing and nesting are those of the product page (``seeds/asset-processing-api.md``);
fields we add come after the seed's and never rename one. The status object's schema is built
from ``selectors.ExecutionStatusView``, the object the endpoints answer with, so the two cannot
disagree.
"""

import dataclasses
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints

from ninja import Field, Schema
from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool, create_model

from .. import selectors
from ..processing import ASSET_TYPES

# History returns at most this many executions, whatever ``limit`` asks for.
HISTORY_LIMIT_MAX = 500
HISTORY_LIMIT_DEFAULT = 20
# Offsets, limits and tails beyond this are refused: they fit every database's integer (and a
# JSON number), and no log is that long.
OFFSET_MAX = 2**53 - 1


class In(BaseModel):
    """A request: plain pydantic, so that a list or a string is not read as an object's attributes
    (ninja's Schema would)."""


class BodyIn(In):
    """A JSON body: a field it does not know is refused (400 naming it). Ignored, a misspelt
    ``excludePaths`` processed the very folders it meant to leave out, and a misspelt filter
    processed every type. (Query strings still ignore unknown parameters: a cache-busting one is
    common.)"""

    model_config = ConfigDict(extra="forbid")


class Out(Schema):
    """A response object: clients must accept fields added in later versions."""

    model_config = ConfigDict(extra="allow")


def _as_list(value: object) -> object:
    """``excludedPaths`` given as one string (the seed types it String) or null."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


class FilterIn(BodyIn):
    fileTypes: list[str] | None = Field(
        None,
        description="Only assets of these types are processed; all types when empty or absent. "
        "Any of " + ", ".join(ASSET_TYPES) + ".",
    )
    # Strict: JSON has true and false; "no" taken as false (pydantic's lax default) would
    # process, and "yes" would not.
    filterProcessedAssets: StrictBool = Field(
        False,
        description="Skip, unread, the files whose size and modification time are those of "
        "their last successful processing (with GUIDES_VERIFY_CHECKSUM on the server, each is "
        "read and its checksum compared instead).",
    )
    startTime: int | None = Field(
        None, description="Only assets modified at or after this time (epoch milliseconds)."
    )
    endTime: int | None = Field(
        None, description="Only assets modified at or before this time (epoch milliseconds)."
    )


class NotifyIn(BodyIn):
    url: str = Field(
        description="An http:// or https:// address that is POSTed the status object, signed, "
        "when the execution ends (see the README's Webhooks section)."
    )


class StartIn(BodyIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "path": "/content/dam/status-fetch1",
                    "excludedPaths": ["content/dam/status-fetch1/excluded-folder"],
                    "type": "ASSET_PROCESSING",
                }
            ]
        }
    )

    path: str | None = Field(
        None,
        description="The folder (or file) to process: /content/dam or a path below it. A missing "
        "leading slash is added; '.' and '..' segments and symbolic links are refused. Required "
        "unless paths is given.",
        examples=["/content/dam/status-fetch1"],
    )
    paths: list[str] | None = Field(
        None,
        description="More folders or files to process in the same execution, beside or instead "
        "of path (path comes first, duplicates are dropped). None may lie inside another; each "
        "is checked as path is, and against the waiting and running executions.",
        examples=[["/content/dam/status-fetch1", "/content/dam/status-fetch2/topic.dita"]],
    )
    excludedPaths: Annotated[list[str], BeforeValidator(_as_list)] = Field(
        default_factory=list,
        description="Sub-folders of path (or of one of paths) that are not processed, with or "
        "without the leading slash. A single string is taken as a list of one.",
        examples=[["content/dam/status-fetch1/excluded-folder"]],
    )
    type: Literal["ASSET_PROCESSING"] = Field(
        description="The kind of processing; ASSET_PROCESSING is the only one."
    )
    filter: FilterIn | None = Field(
        None, description="Optional limits on which assets of the folder are processed."
    )
    notify: NotifyIn | None = Field(
        None, description="Optional: where to be told when the execution ends."
    )
    # Strict: a "no" taken as false would start a real run.
    dryRun: StrictBool = Field(
        False,
        description="When true, nothing is created: the answer says what the execution would "
        "process now (walked and filtered as it would be).",
    )


class ProcessingIdBody(BodyIn):
    processingId: str | None = Field(
        None, description="The execution to act on (or give it in the query string)."
    )


def _absent_not_null(schema: dict[str, Any]) -> None:
    """An optional query parameter is left out, never null: document it as its plain type."""
    kinds = [kind for kind in schema.pop("anyOf", []) if kind.get("type") != "null"]
    if len(kinds) == 1:
        schema.update(kinds[0])


class ProcessingIdQuery(In):
    processingId: str = Field(description="The processingId returned when the job was started.")


class OptionalProcessingIdQuery(In):
    processingId: str | None = Field(
        None,
        description="The execution to act on (or give it in the JSON body).",
        json_schema_extra=_absent_not_null,
    )


class LogsQuery(In):
    processingId: str = Field(description="The processingId returned when the job was started.")
    offset: int | None = Field(
        None,
        json_schema_extra=_absent_not_null,
        ge=0,
        le=OFFSET_MAX,
        description="The line number to start at (0-based). Default 0. Not with tail.",
    )
    limit: int | None = Field(
        None,
        json_schema_extra=_absent_not_null,
        ge=1,
        le=OFFSET_MAX,
        description=f"The most lines to return: default {selectors.LOG_LIMIT_DEFAULT}, larger "
        f"values are capped at {selectors.LOG_LIMIT_MAX}. Not with tail.",
    )
    tail: int | None = Field(
        None,
        json_schema_extra=_absent_not_null,
        ge=1,
        le=OFFSET_MAX,
        description=f"Return the last N lines instead (capped at {selectors.LOG_LIMIT_MAX}); "
        "the response's offset says where they start.",
    )


class HistoryQuery(In):
    limit: int = Field(
        HISTORY_LIMIT_DEFAULT,
        ge=1,
        le=OFFSET_MAX,
        description=f"How many executions, newest first: default {HISTORY_LIMIT_DEFAULT}, "
        f"larger values are capped at {HISTORY_LIMIT_MAX}.",
    )


class ErrorOut(Out):
    error: str = Field(
        description="A stable code: INVALID_INPUT, MALFORMED_JSON, UNAUTHORIZED, FORBIDDEN, "
        "NOT_FOUND, METHOD_NOT_ALLOWED, CONFLICT, TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, "
        "TOO_MANY_REQUESTS or INTERNAL_ERROR."
    )
    message: str = Field(description="What went wrong, in a sentence for a person.")
    field: str | None = Field(
        None, description="The input at fault, such as path or excludedPaths[0], when one is."
    )


class StartOut(Out):
    processingId: str = Field(description="The id of the new execution, to poll its status with.")


class DryRunOut(Out):
    dryRun: bool = Field(description="Always true: no execution was created.")
    path: str = Field(description="The folder, normalised (the first of paths).")
    paths: list[str] = Field(description="Every folder or file of the request, normalised.")
    totalFiles: int = Field(
        description="The files the execution would count (its migrationSet.totalFiles)."
    )
    byType: dict[str, int] = Field(description="The files it would process, by asset type.")
    excludedFiles: int = Field(
        description="Files of the folder left out by the type or time filter."
    )
    skippedAsProcessed: int = Field(
        description="Files it would skip unread, unchanged since their last successful "
        "processing (filterProcessedAssets); counted in totalFiles."
    )
    skippedFiles: int = Field(
        description="Files the walk would pass over and log as skipped (symbolic links, "
        "unreadable entries, names that are not UTF-8); counted in totalFiles."
    )
    sample: list[str] = Field(description="The first 20 files it would process.")


def _schema_of(view: type, name: str, nested: dict[Any, type[Out]]) -> type[Out]:
    """The response schema of a dataclass of ``selectors.status``: a field per dataclass field,
    named and described by its metadata; ``nested`` gives the schemas of nested dataclasses."""
    hints = get_type_hints(view)
    fields: dict[str, Any] = {}
    for item in dataclasses.fields(view):
        kind = nested.get(hints[item.name], hints[item.name])
        if get_origin(kind) is tuple:
            kind = list[get_args(kind)[0]]  # type: ignore[misc]  # frozen, but a JSON array
        fields[item.metadata["json"]] = (
            kind,
            Field(
                description=item.metadata["description"],
                json_schema_extra=item.metadata["schema"] or None,
            ),
        )
    schema: type[Out] = create_model(name, __base__=Out, **fields)
    return schema


MigrationSetOut = _schema_of(selectors.MigrationSet, "MigrationSetOut", {})
EtaOut = _schema_of(selectors.Eta, "EtaOut", {})
FilterOut = _schema_of(selectors.StatusFilter, "FilterOut", {})
StatusOut = _schema_of(
    selectors.ExecutionStatusView,
    "StatusOut",
    {
        selectors.MigrationSet: MigrationSetOut,
        selectors.Eta: EtaOut,
        selectors.StatusFilter: FilterOut,
    },
)


class HistoryOut(Out):
    executionHistory: list[StatusOut] = Field(  # type: ignore[valid-type]
        description="Executions, newest first."
    )


class LogEntryOut(Out):
    line: int = Field(description="The line number, from 0.")
    time: int = Field(description="When the line was written (epoch ms).")
    level: str = Field(description="INFO, WARN or ERROR.")
    message: str = Field(description="The text of the line.")


class LogsOut(Out):
    lines: list[str] = Field(
        description='The lines, each "<ISO time> <LEVEL> <message>", such as '
        '"2026-11-22T10:00:00.123Z INFO Processed /content/dam/a.dita (DITATOPIC): 0 references."'
    )
    limit: int = Field(description="The limit applied (after the cap), or the tail size.")
    offset: int = Field(description="The line number of the first line returned.")
    hasMore: bool = Field(description="Whether lines exist after this page.")
    total: int = Field(
        description="Lines in the log when the page was read (0 once retention removed them)."
    )
    entries: list[LogEntryOut] = Field(description="The same lines as structured entries.")
    removedAt: int | None = Field(
        None,
        description="When retention removed the log's lines (epoch milliseconds); null while "
        "they are kept.",
    )


def responses(ok: Any, *errors: int) -> dict[int, Any]:
    """The documented answers: ``ok`` for 200, the error shape for ``errors`` and for 429 (any
    authenticated request may meet the sign-in throttle)."""
    return {200: ok, **dict.fromkeys((*errors, 429), ErrorOut)}
