"""Writing the small trees tests are made of."""

from pathlib import Path


def write_file(path: Path, data: str | bytes) -> Path:
    """Write text (as UTF-8) or bytes to ``path``, making its folders; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path
