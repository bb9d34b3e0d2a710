"""The reference graph agrees with the executions that built it, on content nobody wrote by hand.

For the demo repository and the DITA-OT corpus: the broken-links report's total is the broken
references the execution counted, and "Used in" of every referenced file lists exactly the live
files whose references resolve to it (counted here from the references themselves).
"""

from collections import Counter
from pathlib import Path

import pytest
from django.db.models import F

from guides_processor import executions
from guides_processor.devtools.demo import generate_demo_content
from guides_processor.models import Execution, ExecutionStatus, Reference
from guides_processor.selectors.asset_detail import asset_used_in
from guides_processor.selectors.broken_links import BrokenLinksFilter, broken_links_page

pytestmark = pytest.mark.django_db


def processed(path: str) -> Execution:
    execution = executions.execution_create(path=path, created_by="tester")
    finished = executions.execution_run_inline(processing_id=execution.processing_id)
    assert finished.status == ExecutionStatus.SUCCESS, finished.comments
    return finished


def assert_the_graph_agrees(execution: Execution) -> None:
    report = broken_links_page(flt=BrokenLinksFilter(folder=execution.path), limit=1)
    assert report.total == execution.broken_reference_count > 0

    # Used in is where else a file is used: a file's links into itself are not listed.
    live = (
        Reference.objects.filter(asset__deleted_at__isnull=True)
        .exclude(target="")
        .exclude(asset__relpath=F("target"))
    )
    expected = Counter(live.values_list("target", flat=True))
    # The most used files, and a few used once: Used in lists each referencing reference once.
    chosen = [target for target, _ in expected.most_common(5)]
    chosen += [target for target, count in expected.items() if count == 1][:5]
    for target in chosen:
        listed: list[int] = []
        after = 0
        while True:
            page = asset_used_in(relpath=target, after=after, limit=50)
            listed += [reference.pk for reference in page.references]
            if page.next_cursor is None:
                break
            after = page.next_cursor
        assert sorted(listed) == sorted(live.filter(target=target).values_list("pk", flat=True))
        assert len(listed) == expected[target]


def test_the_demo_repositorys_report_and_used_in_agree_with_its_execution(content_root: Path):
    generate_demo_content(content_root, files=300)
    assert_the_graph_agrees(processed("/content/dam"))


def test_the_corpus_report_and_used_in_agree_with_its_execution(corpus: Path, settings):
    settings.GUIDES_CONTENT_ROOT = corpus
    assert_the_graph_agrees(processed("/content/dam"))


def test_a_file_that_links_only_into_itself_is_used_nowhere(write_tree):
    from guides_processor.selectors.asset_detail import used_by_counts
    from tests.engine.trees import topic

    write_tree(
        {
            "s/self.dita": topic("self", "Self", '<p id="a">x</p> <xref href="#self/a"/>'),
            "s/other.dita": topic("o", "Other", '<xref href="self.dita#self/a"/>'),
            "s/alone.dita": topic("alone", "Alone", '<p id="b">y</p> <xref href="#alone/b"/>'),
        }
    )
    processed("/content/dam/s")

    assert used_by_counts(relpaths=["s/self.dita", "s/alone.dita"]) == {"s/self.dita": 1}
    (only,) = asset_used_in(relpath="s/self.dita").references
    assert only.asset.relpath == "s/other.dita"
    assert asset_used_in(relpath="s/alone.dita").references == []
