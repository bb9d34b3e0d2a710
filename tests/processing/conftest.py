"""Fixtures for the pure processing package: small content roots in tmp_path, no database."""

from collections.abc import Callable
from pathlib import Path

import pytest

from guides_processor.processing import AssetResult, process
from tests.files import write_file

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

    def write_one(relpath: str, data: str | bytes) -> Path:
        return write_file(root / relpath, data)

    return write_one


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
