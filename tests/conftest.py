"""Fixtures shared by the whole suite: content roots built in tmp_path, users, the corpus."""

from collections.abc import Callable
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT.parent / "shared" / "corpus" / "dita-ot-docs"


@pytest.fixture
def corpus() -> Path:
    """The DITA-OT documentation corpus beside the project (read-only; never copied)."""
    if not (CORPUS / "SOURCE.md").is_file():
        pytest.skip(f"the DITA-OT corpus is not at {CORPUS} (it sits in ../shared beside the checkout)")
    return CORPUS


@pytest.fixture
def content_root(tmp_path: Path, settings) -> Path:
    """An empty content root, made the server's GUIDES_CONTENT_ROOT."""
    root = tmp_path / "content"
    root.mkdir()
    settings.GUIDES_CONTENT_ROOT = root
    return root


WriteTree = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture
def write_tree(content_root: Path) -> WriteTree:
    """Write files (relpath -> text or bytes) under the content root; returns the root."""

    def write(files: dict[str, str | bytes]) -> Path:
        for relpath, data in files.items():
            path = content_root / relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data, encoding="utf-8")
        return content_root

    return write
