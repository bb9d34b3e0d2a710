"""filterProcessedAssets: a file whose size and mtime are those of its last successful processing
is skipped without being read, unless GUIDES_VERIFY_CHECKSUM asks for its checksum."""

import os

import pytest

from guides_processor import executions, selectors
from guides_processor.models import Asset, Execution, LogLine
from tests.engine.trees import topic


def run(*, skip_processed: bool) -> Execution:
    execution = executions.execution_create(
        path="/content/dam/docs", created_by="tester", filter_processed_assets=skip_processed
    )
    return executions.execution_run_inline(processing_id=execution.processing_id)


def rewrite_keeping_size_and_mtime(path, old: str, new: str) -> None:
    """Change the file's bytes, then give it back its size and modification time: only reading
    the file can tell that it changed."""
    assert len(old) == len(new)
    before = path.stat()
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime) == (before.st_size, before.st_mtime)


@pytest.mark.django_db
def test_a_rerun_skips_files_with_unchanged_size_and_mtime_without_reading_them(
    write_tree, settings
):
    root = write_tree(
        {"docs/a.dita": topic("a", "Alpha"), "docs/b.dita": topic("b", "Beta"), "other/c.dita": ""}
    )
    assert run(skip_processed=False).processed_count == 2
    rewrite_keeping_size_and_mtime(root / "docs/a.dita", "Alpha", "Gamma")

    rerun = run(skip_processed=True)

    status = selectors.execution_status(rerun)
    assert status["status"] == "SUCCESS"
    assert status["migrationSet"]["totalFiles"] == 2
    assert (status["processedCount"], status["failedCount"], status["skippedCount"]) == (0, 0, 2)
    assert status["triggeredCount"] == 2
    # Not read: what is recorded is still what the first run found.
    assert Asset.objects.get(relpath="docs/a.dita").title == "Alpha"
    assert LogLine.objects.filter(
        execution=rerun, message__startswith="Skipped 2 assets unchanged"
    ).exists()

    # A file whose mtime changed is read again (and processed, its content being new).
    os.utime(root / "docs/b.dita", (1_700_000_000, 1_700_000_000))
    third = run(skip_processed=True)
    assert (third.total_files, third.processed_count, third.skipped_count) == (2, 1, 1)


@pytest.mark.django_db
def test_with_checksum_verification_a_file_changed_behind_its_size_and_mtime_is_processed(
    write_tree, settings
):
    root = write_tree({"docs/a.dita": topic("a", "Alpha"), "docs/b.dita": topic("b", "Beta")})
    assert run(skip_processed=False).processed_count == 2
    rewrite_keeping_size_and_mtime(root / "docs/a.dita", "Alpha", "Gamma")
    settings.GUIDES_VERIFY_CHECKSUM = True

    rerun = run(skip_processed=True)

    assert (rerun.total_files, rerun.processed_count, rerun.skipped_count) == (2, 1, 1)
    assert Asset.objects.get(relpath="docs/a.dita").title == "Gamma"
