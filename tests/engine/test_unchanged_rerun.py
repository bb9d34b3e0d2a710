"""filterProcessedAssets: a file whose size and mtime are those of its last successful processing
is skipped without being read, unless GUIDES_VERIFY_CHECKSUM asks for its checksum."""

import math
import os

import pytest

from guides_processor import executions, selectors
from guides_processor.engine import calculation
from guides_processor.engine.sql import vanished
from guides_processor.models import Asset, Execution, ExecutionItem, LogLine
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


@pytest.mark.django_db
def test_a_file_deleted_then_put_back_unchanged_is_read_and_live_again(write_tree):
    root = write_tree({"docs/a.dita": topic("a", "Alpha"), "docs/b.dita": topic("b", "Beta")})
    assert run(skip_processed=False).processed_count == 2
    # Moved out and back: the same size and modification time as when it was processed.
    (root / "docs/a.dita").rename(root / "a.dita.away")
    run(skip_processed=True)
    assert Asset.objects.get(relpath="docs/a.dita").deleted_at is not None
    (root / "a.dita.away").rename(root / "docs/a.dita")

    back = run(skip_processed=True)

    # Unchanged since its last success, but deleted since: read (its checksum is the same, so it
    # is skipped), not left out unread, or it would stay deleted.
    assert (back.total_files, back.processed_count, back.skipped_count) == (2, 0, 2)
    assert Asset.objects.get(relpath="docs/a.dita").deleted_at is None
    assert ExecutionItem.objects.filter(execution=back, relpath="docs/a.dita").exists()


class _Later:
    """A clock past every deadline: each task of the calculation writes one chunk and stops."""

    @staticmethod
    def monotonic() -> float:
        return math.inf


@pytest.mark.django_db
def test_a_calculation_cut_into_many_tasks_reads_the_fingerprints_once(write_tree, monkeypatch):
    root = write_tree({f"docs/t{index}.dita": topic(f"t{index}", "T") for index in range(6)})
    assert run(skip_processed=False).processed_count == 6
    os.utime(root / "docs/t3.dita", (1_700_000_000, 1_700_000_000))
    reads = []

    def success_fingerprints(relfolders, **options):
        reads.append(list(relfolders))
        return real(relfolders, **options)

    real = calculation.success_fingerprints
    monkeypatch.setattr(calculation, "success_fingerprints", success_fingerprints)
    monkeypatch.setattr(calculation, "_CALCULATION_CHUNK", 1)
    monkeypatch.setattr(calculation, "time", _Later)

    rerun = run(skip_processed=True)

    assert (rerun.total_files, rerun.processed_count, rerun.skipped_count) == (6, 1, 5)
    # One task per file walked, all in this process: the fingerprints were read by the first.
    assert reads == [["docs"]]
    assert LogLine.objects.filter(
        execution=rerun, message__startswith="Skipped 5 assets unchanged"
    ).exists()


class _NoLookOnDisk:
    """Stands in for ``vanished._OnDisk``: fails the test if any asset is looked at on disk."""

    def __init__(self, *args: object) -> None:
        raise AssertionError("the assets were looked at on disk")


@pytest.mark.django_db
def test_an_unchanged_rerun_deletes_nothing_without_looking_on_disk_again(write_tree, monkeypatch):
    # Three files under docs/ (one in a sub-folder), one outside: the rerun of docs/ leaves the
    # three out as unchanged, and the three live assets its manifest lacks are those three.
    write_tree(
        {
            "docs/a.dita": topic("a", "Alpha"),
            "docs/b.dita": topic("b", "Beta"),
            "docs/sub/c.dita": topic("c", "Gamma"),
            "other/d.dita": topic("d", "Delta"),
        }
    )
    assert run(skip_processed=False).processed_count == 3
    monkeypatch.setattr(vanished, "_OnDisk", _NoLookOnDisk)

    rerun = run(skip_processed=True)

    assert (rerun.total_files, rerun.skipped_count, rerun.status) == (3, 3, "SUCCESS")
    assert not Asset.objects.filter(deleted_at__isnull=False).exists()


@pytest.mark.django_db
def test_an_unchanged_rerun_still_finds_a_deleted_file(write_tree):
    # Four processed, one deleted: three unchanged files against four live assets lacking from
    # the manifest, so each is looked at and the missing one is marked deleted.
    root = write_tree({f"docs/t{index}.dita": topic(f"t{index}", "T") for index in range(4)})
    assert run(skip_processed=False).processed_count == 4
    (root / "docs/t2.dita").unlink()

    rerun = run(skip_processed=True)

    assert (rerun.total_files, rerun.skipped_count) == (3, 3)
    assert list(
        Asset.objects.filter(deleted_at__isnull=False).values_list("relpath", flat=True)
    ) == ["docs/t2.dita"]


@pytest.mark.django_db
def test_an_unchanged_rerun_with_an_excluded_folder_keeps_its_assets(write_tree):
    # docs/skip/ is excluded from the rerun: its asset is not walked and not counted unchanged,
    # so the count differs, each asset is looked at, and the one under skip/ is on disk.
    write_tree({"docs/a.dita": topic("a", "Alpha"), "docs/skip/b.dita": topic("b", "Beta")})
    assert run(skip_processed=False).processed_count == 2
    execution = executions.execution_create(
        path="/content/dam/docs",
        created_by="tester",
        filter_processed_assets=True,
        excluded_paths=["/content/dam/docs/skip"],
    )
    rerun = executions.execution_run_inline(processing_id=execution.processing_id)

    assert (rerun.total_files, rerun.skipped_count) == (1, 1)
    assert not Asset.objects.filter(deleted_at__isnull=False).exists()


@pytest.mark.django_db
def test_a_rerun_of_one_unchanged_file_skips_it_unread(write_tree):
    """An execution of one file compares its size too (the walk of a single file once gave it
    none, so a rerun of it was always processed again)."""
    write_tree({"docs/a.dita": topic("a", "Alpha"), "docs/b.dita": topic("b", "Beta")})

    def one_file() -> Execution:
        execution = executions.execution_create(
            path="/content/dam/docs/a.dita", created_by="tester", filter_processed_assets=True
        )
        return executions.execution_run_inline(processing_id=execution.processing_id)

    first = one_file()
    assert (first.total_files, first.processed_count) == (1, 1)
    rerun = one_file()
    assert (rerun.total_files, rerun.processed_count, rerun.skipped_count) == (1, 0, 1)
    assert list(rerun.items.values_list("relpath", "state", "error")) == []


MAP = (
    '<?xml version="1.0"?>\n<!DOCTYPE map PUBLIC "-//OASIS//DTD DITA Map//EN" "map.dtd">\n'
    '<map><title>M</title><topicref href="a.dita"/></map>\n'
)


@pytest.mark.django_db
def test_the_recorded_type_is_read_only_where_a_type_filter_asks_for_it(write_tree, monkeypatch):
    # docs/ holds a topic and a map; the rerun with a type filter keeps the unchanged map as
    # skipped and leaves the unchanged topic out by the type recorded for it, unread.
    write_tree({"docs/a.dita": topic("a", "Alpha"), "docs/m.ditamap": MAP})
    assert run(skip_processed=False).processed_count == 2
    reads = []

    def success_fingerprints(relfolders, *, typed):
        reads.append(typed)
        return real(relfolders, typed=typed)

    real = calculation.success_fingerprints
    monkeypatch.setattr(calculation, "success_fingerprints", success_fingerprints)
    monkeypatch.setattr(
        "guides_processor.processing.file_type",
        lambda *args: pytest.fail("an unchanged file's type was read from the file"),
    )

    maps = executions.execution_run_inline(
        processing_id=executions.execution_create(
            path="/content/dam/docs",
            created_by="tester",
            filter_processed_assets=True,
            file_types=["DITAMAP"],
        ).processing_id
    )
    assert (maps.total_files, maps.processed_count, maps.skipped_count) == (1, 0, 1)

    every = run(skip_processed=True)
    assert (every.total_files, every.processed_count, every.skipped_count) == (2, 0, 2)
    assert reads == [True, False]


def test_fingerprints_without_their_type_know_the_same_files():
    from guides_processor.engine.selection import Fingerprints

    typed, untyped = Fingerprints(), Fingerprints()
    typed.extend([("a.dita", 10, 1.5, "DITATOPIC"), ("m.ditamap", 20, 2.0, "DITAMAP")])
    untyped.extend_untyped([("a.dita", 10, 1.5), ("m.ditamap", 20, 2.0)])

    assert (len(typed), len(untyped)) == (2, 2)
    for relpath, size, mtime in [("a.dita", 10, 1.5), ("m.ditamap", 20, 2)]:
        assert typed.known(relpath, size, mtime) and untyped.known(relpath, size, mtime)
    assert (typed.unchanged("m.ditamap", 20, 2.0), untyped.unchanged("m.ditamap", 20, 2.0)) == (
        "DITAMAP",
        "",
    )
    for relpath, size, mtime in [("a.dita", 11, 1.5), ("a.dita", 10, 1.25), ("b.dita", 10, 1.5)]:
        assert not untyped.known(relpath, size, mtime)
        assert untyped.unchanged(relpath, size, mtime) is None
