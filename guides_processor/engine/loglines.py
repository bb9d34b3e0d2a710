"""The log levels of the engine and the log line of one processed asset."""

from .. import content, processing

INFO, WARN, ERROR = "INFO", "WARN", "ERROR"

# Broken references named in an asset's log line; the rest are counted (the execution's report
# lists every one of them).
_BROKEN_NAMED = 3


def log_lines(result: processing.AssetResult) -> list[tuple[str, str]]:
    """The (level, message) line that says what processing one asset found.

    One line per asset, whatever it holds: a file with a million references must not make a
    million log lines.
    """
    where = content.to_virtual(result.relpath)
    if result.status == processing.FAILURE:
        return [(ERROR, f"Failed {where} ({result.asset_type}): {result.error}")]
    if result.status == processing.SKIPPED:
        return [(INFO, f"Skipped {where}: {result.error}.")]
    refs = len(result.references)
    broken = [ref for ref in result.references if ref.broken]
    title = f' "{result.title}"' if result.title else ""
    summary = (
        f"Processed {where} ({result.asset_type}{title}): "
        f"{refs:,} reference{'' if refs == 1 else 's'}"
    )
    if not broken:
        return [(INFO, summary + ".")]
    named = [
        f'{ref.attribute}="{ref.value}"'
        + (f" line {ref.line}" if ref.line else "")
        + (f" ({ref.reason})" if ref.reason else "")
        for ref in broken[:_BROKEN_NAMED]
    ]
    more = len(broken) - len(named)
    listing = ", ".join(named) + (f" and {more:,} more" if more else "")
    return [(WARN, f"{summary}, {len(broken):,} broken: {listing}.")]
