"""The log levels of the engine and the log lines of one processed asset."""

from .. import content, processing
from ..text import plural

INFO, WARN, ERROR = "INFO", "WARN", "ERROR"


def log_lines(result: processing.AssetResult) -> list[tuple[str, str]]:
    """The (level, message) lines that say what processing one asset found."""
    where = content.to_virtual(result.relpath)
    if result.status == processing.FAILURE:
        return [(ERROR, f"Failed {where} ({result.asset_type}): {result.error}")]
    if result.status == processing.SKIPPED:
        return [(INFO, f"Skipped {where}: {result.error}.")]
    refs = len(result.references)
    broken = [ref for ref in result.references if ref.broken]
    title = f' "{result.title}"' if result.title else ""
    lines = [
        (
            INFO,
            f"Processed {where} ({result.asset_type}{title}): {plural(refs, 'reference')}"
            + (f", {len(broken)} broken." if broken else "."),
        )
    ]
    for ref in broken:
        at = f" line {ref.line}" if ref.line else ""
        lines.append(
            (
                WARN,
                f"Broken {ref.link_type} reference in {where}{at}: "
                f'{ref.attribute}="{ref.value}" (not found).',
            )
        )
    return lines
