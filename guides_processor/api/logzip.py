"""An execution's whole log as a ZIP archive, streamed as it is read.

The archive holds one member, ``<processingId>.log``, one line per log line:
``line<TAB>ISO time<TAB>LEVEL<TAB>message``. Its size is not limited by the server's memory.
"""

import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime

from .. import selectors
from ..models import Execution


def iso(value: datetime) -> str:
    """A time as the API writes it in log lines: UTC, to the millisecond, with a Z."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Sink:
    """A write-only, unseekable file for ZipFile: it keeps what was written until drained."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def zipped_log(execution: Execution) -> Iterator[bytes]:
    """The ZIP archive of the log, yielded piece by piece as chunks of lines are read."""
    sink = _Sink()
    stamp = (execution.completed_at or datetime.now(UTC)).astimezone(UTC)
    member = zipfile.ZipInfo(f"{execution.processing_id}.log", date_time=stamp.timetuple()[:6])
    member.compress_type = zipfile.ZIP_DEFLATED
    member.external_attr = 0o644 << 16
    # The size is not known in advance: ZIP64 sizes keep a log over 4 GiB valid.
    with (
        zipfile.ZipFile(sink, "w") as archive,  # type: ignore[call-overload]
        archive.open(member, "w", force_zip64=True) as entry,
    ):
        for chunk in selectors.log_chunks(execution):
            text = "".join(
                f"{line}\t{iso(time)}\t{level}\t{' '.join(message.splitlines())}\n"
                for line, time, level, message in chunk
            )
            entry.write(text.encode("utf-8"))
            yield sink.drain()
    yield sink.drain()  # the end of the member and the archive's directory
