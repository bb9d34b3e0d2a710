"""An execution from start to finish, run in this process (no cluster)."""

import pytest
from django.db import connection

from guides_processor import executions, selectors
from guides_processor.engine import calculation
from guides_processor.engine.slot import execution_work
from guides_processor.models import (
    Asset,
    ExecutionItem,
    ExecutionStatus,
    ItemState,
    LogLine,
    Reference,
)

from .steps import run
from .trees import guide, many, topic

pytestmark = pytest.mark.django_db


def test_it_processes_every_asset_of_the_folder_and_reports_broken_references(write_tree):
    write_tree(guide())
    execution = run(executions.execution_create(path="/content/dam/guide", created_by="admin"))

    assert execution.status == ExecutionStatus.SUCCESS
    assert execution.total_files == 5
    assert (execution.processed_count, execution.failed_count, execution.skipped_count) == (5, 0, 0)
    # missing.dita (a file) and "nowhere" (a key no map defines).
    assert execution.broken_reference_count == 2
    broken = Reference.objects.filter(broken=True).order_by("attribute")
    assert [(r.attribute, r.value) for r in broken] == [
        ("href", "missing.dita"),
        ("keyref", "nowhere"),
    ]
    assert not Reference.objects.filter(key="setup", broken=True).exists()
    intro = Asset.objects.get(relpath="guide/topics/intro.dita")
    assert (intro.asset_type, intro.title, intro.status) == ("DITATOPIC", "Introduction", "SUCCESS")
    assert len(intro.checksum) == 64
    items = Asset.objects.get(relpath="guide/guide.ditamap").map_tree["items"]
    assert [item[2] for item in items if item[0] == "k"] == ["intro", "setup"]
    # Key definitions live in the map's tree alone: no row per key.
    assert not any("keydefinition" in name for name in connection.introspection.table_names())


def test_it_logs_one_line_per_asset_with_dense_line_numbers(write_tree):
    write_tree(guide())
    execution = run(executions.execution_create(path="/content/dam/guide", created_by="admin"))

    lines = list(LogLine.objects.filter(execution=execution).order_by("line"))
    assert [line.line for line in lines] == list(range(execution.log_line_count))
    messages = [line.message for line in lines]
    for relpath in ("guide/guide.ditamap", "guide/topics/faq.dita", "guide/images/logo.png"):
        assert sum(f"Processed /content/dam/{relpath} " in m for m in messages) == 1
    assert any('Undefined key "nowhere"' in m for m in messages)
    assert any(
        'href="missing.dita"' in m and line.level == "WARN"
        for m, line in zip(messages, lines, strict=True)
    )
    assert "Execution completed" in messages[-1]


def test_the_status_object_has_every_field_of_the_seed(write_tree):
    write_tree(guide())
    execution = run(executions.execution_create(path="content/dam/guide/", created_by="admin"))
    status = selectors.execution_status(execution)

    seed_fields = {
        "processingId",
        "path",
        "excludedPaths",
        "status",
        "triggeredCount",
        "startedAt",
        "completedAt",
        "hasLogs",
        "createdBy",
        "type",
        "migrationSet",
        "eta",
        "comments",
        "restartable",
        "resumable",
        "cancellable",
    }
    assert seed_fields <= status.keys()
    assert status["path"] == "/content/dam/guide"
    assert status["status"] == "SUCCESS"
    assert status["triggeredCount"] == 5
    assert status["migrationSet"] == {"totalFiles": 5, "calculationStatus": "SUCCESS"}
    assert status["eta"] == {"value": 0, "unit": "SECONDS"}
    assert status["completedAt"] >= status["startedAt"] > 0
    assert (status["restartable"], status["resumable"], status["cancellable"]) == (
        True,
        False,
        False,
    )
    assert status["filter"] == {
        "fileTypes": [],
        "filterProcessedAssets": False,
        "startTime": None,
        "endTime": None,
    }
    assert status["brokenReferenceCount"] == 2


def test_excluded_folders_are_left_out_of_the_manifest(write_tree):
    write_tree({**guide(), **many(3, "guide/archive"), **many(2, "guide/archive2")})
    execution = run(
        executions.execution_create(
            path="/content/dam/guide",
            excluded_paths=["content/dam/guide/archive", "/content/dam/guide/topics"],
            created_by="admin",
        )
    )
    relpaths = set(
        ExecutionItem.objects.filter(execution=execution).values_list("relpath", flat=True)
    )
    # archive2 shares a prefix with archive but is a different folder.
    assert relpaths == {
        "guide/guide.ditamap",
        "guide/images/logo.png",
        "guide/archive2/t00000.dita",
        "guide/archive2/t00001.dita",
    }
    assert execution.total_files == 4


def test_file_types_limit_the_manifest(write_tree):
    write_tree(
        {**guide(), "guide/notes.md": "# Notes\n", "guide/extra.xml": "<map><title>M</title></map>"}
    )
    execution = run(
        executions.execution_create(
            path="/content/dam/guide", file_types=["DITAMAP"], created_by="admin"
        )
    )
    relpaths = set(
        ExecutionItem.objects.filter(execution=execution).values_list("relpath", flat=True)
    )
    assert relpaths == {"guide/guide.ditamap", "guide/extra.xml"}


def test_skip_processed_assets_skips_only_unchanged_ones(write_tree, content_root):
    write_tree(guide())
    run(executions.execution_create(path="/content/dam/guide", created_by="admin"))
    (content_root / "guide/topics/faq.dita").write_text(topic("faq", "Questions, revised"))

    second = run(
        executions.execution_create(
            path="/content/dam/guide", filter_processed_assets=True, created_by="admin"
        )
    )
    assert (second.processed_count, second.skipped_count) == (1, 4)
    assert (
        ExecutionItem.objects.get(execution=second, relpath="guide/topics/faq.dita").state
        == ItemState.DONE
    )
    assert Asset.objects.get(relpath="guide/topics/faq.dita").title == "Questions, revised"


def test_modification_window_limits_the_manifest(write_tree, content_root):
    import os

    write_tree(many(4))
    for index, name in enumerate(sorted(os.listdir(content_root / "bulk"))):
        os.utime(content_root / "bulk" / name, (1_000_000 + index * 100, 1_000_000 + index * 100))
    execution = run(
        executions.execution_create(
            path="/content/dam/bulk",
            start_time=(1_000_000 + 100) * 1000,
            end_time=(1_000_000 + 200) * 1000,
            created_by="admin",
        )
    )
    assert sorted(
        ExecutionItem.objects.filter(execution=execution).values_list("relpath", flat=True)
    ) == [
        "bulk/t00001.dita",
        "bulk/t00002.dita",
    ]


def test_asset_uuid_is_stable_across_executions(write_tree):
    write_tree(guide())
    run(executions.execution_create(path="/content/dam/guide", created_by="admin"))
    first = dict(Asset.objects.values_list("relpath", "uuid"))
    assert {value.version for value in first.values()} == {4}
    run(executions.execution_create(path="/content/dam/guide", created_by="admin"))
    assert dict(Asset.objects.values_list("relpath", "uuid")) == first
    # References are replaced, not piled up.
    assert Reference.objects.filter(asset__relpath="guide/topics/intro.dita").count() == 2


def test_the_calculation_resumes_from_its_cursor_without_duplicates(
    write_tree, settings, monkeypatch
):
    monkeypatch.setattr(calculation, "_CALCULATION_CHUNK", 7)
    write_tree(many(40))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    slot = execution.slots.get(number=0)
    # A zero budget: each task writes one chunk of the manifest (or one batch) and hands over.
    rounds = 0
    while execution.status != ExecutionStatus.SUCCESS and rounds < 100:
        execution_work(
            execution_id=execution.pk,
            slot=0,
            generation=slot.generation,
            seconds=0,
            enqueue_continuation=False,
        )
        execution.refresh_from_db()
        rounds += 1
    assert execution.status == ExecutionStatus.SUCCESS
    assert rounds > 40 // 7
    relpaths = list(
        ExecutionItem.objects.filter(execution=execution).values_list("relpath", flat=True)
    )
    assert sorted(relpaths) == sorted(set(relpaths)) and len(relpaths) == 40
    assert execution.processed_count == 40


def test_key_verdicts_follow_the_maps_both_ways(write_tree, content_root):
    write_tree(guide())
    run(executions.execution_create(path="/content/dam/guide", created_by="admin"))
    assert Reference.objects.get(key="nowhere").broken
    assert not Reference.objects.get(key="setup").broken

    ditamap = content_root / "guide/guide.ditamap"
    text = ditamap.read_text()
    text = text.replace(
        '<keydef keys="setup"',
        '<keydef keys="nowhere" href="topics/faq.dita"/>\n  <keydef keys="retired"',
    )
    ditamap.write_text(text)
    again = run(executions.execution_create(path="/content/dam/guide", created_by="admin"))

    assert not Reference.objects.get(key="nowhere").broken
    assert Reference.objects.get(key="setup").broken
    assert again.broken_reference_count == 2  # missing.dita, and "setup" now
