"""Fixtures for the pure processing package: small content roots in tmp_path, no database."""

from collections.abc import Callable
from pathlib import Path

import pytest

from guides_processor.processing import AssetResult, process

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "dita-ot-docs"

Write = Callable[[str, str | bytes], Path]
Process = Callable[..., AssetResult]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An empty content root."""
    content = tmp_path / "content"
    content.mkdir()
    return content


@pytest.fixture
def write(root: Path) -> Write:
    """Write one file (text as UTF-8, or bytes) at a relpath under the root; returns its path."""

    def write_file(relpath: str, data: str | bytes) -> Path:
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        return path

    return write_file


@pytest.fixture
def run(root: Path) -> Process:
    """``process`` bound to the root: ``run("a/b.dita", previous=...)``."""

    def run_process(relpath: str, **options: object) -> AssetResult:
        return process(root, relpath, **options)  # type: ignore[arg-type]

    return run_process


@pytest.fixture(scope="session")
def dita_ot_docs() -> Path:
    """The DITA-OT documentation corpus in ../shared beside the project (read-only)."""
    corpus = CORPUS.resolve()
    if not (corpus / "SOURCE.md").is_file():
        pytest.skip(f"corpus not found at {corpus}")
    return corpus
