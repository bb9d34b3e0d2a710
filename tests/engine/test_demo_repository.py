"""A generated repository through the engine: what it finds must equal what was put there."""

import pytest

from guides_processor import executions
from guides_processor.devtools.demo import generate_demo_content
from guides_processor.models import ExecutionItem, ItemState, Reference

pytestmark = pytest.mark.django_db


def test_the_engine_finds_exactly_the_defects_the_generator_planted(content_root):
    summary = generate_demo_content(content_root / "demo", files=1500, seed=7)

    created = executions.execution_create(path="/content/dam/demo", created_by="admin")
    execution = executions.execution_run_inline(processing_id=created.processing_id)

    assert execution.status == "SUCCESS"
    assert execution.total_files == summary.files
    failed = ExecutionItem.objects.filter(execution=execution, state=ItemState.FAILED)
    assert sorted(item.relpath.removeprefix("demo/") for item in failed) == summary.malformed
    broken_files = Reference.objects.filter(broken=True, key="").count()
    assert broken_files == summary.broken_file_refs
    broken_keys = Reference.objects.filter(broken=True).exclude(key="")
    undefined = sorted(set(broken_keys.values_list("key", flat=True)))
    assert undefined == summary.undefined_keys
    assert execution.broken_reference_count == summary.broken_file_refs + summary.undefined_key_refs
