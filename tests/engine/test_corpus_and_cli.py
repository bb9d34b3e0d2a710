"""The DITA-OT documentation (content nobody here wrote) through the command line."""

import json
import os
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from guides_processor.models import Asset, Execution, ExecutionItem, Reference
from tests import corpus_truth

PROJECT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def process(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command(
        "process_assets",
        *args,
        "--wait",
        "--json",
        "--cluster-wait",
        "0",
        stdout=out,
        stderr=StringIO(),
    )
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def files_under(folder: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(folder))


def test_the_corpus_processes_to_success_with_the_broken_references_it_really_has(corpus, settings):
    settings.GUIDES_CONTENT_ROOT = corpus

    status = process("/content/dam")

    assert status["status"] == "SUCCESS"
    assert status["migrationSet"]["totalFiles"] == files_under(corpus) == corpus_truth.FILES
    assert status["failedCount"] == 0
    broken_files = Reference.objects.filter(broken=True, attribute__in=["href", "conref"])
    assert broken_files.count() == corpus_truth.MISSING_HREF_AND_CONREF - len(corpus_truth.PEER)
    assert broken_files.filter(reason="OUTSIDE_ROOT").count() == corpus_truth.OUTSIDE_ROOT
    assert broken_files.exclude(reason="OUTSIDE_ROOT").exclude(reason="FILE_MISSING").count() == 0
    # Both conrefends sit beside a conkeyref: the key's target replaces their file, so they are
    # key references to defined keys, not broken (SOURCE.md's "two more" counts their files).
    assert Reference.objects.filter(broken=True, attribute="conrefend").count() == 0
    assert Reference.objects.filter(attribute="conrefend").exclude(key="").count() == 2
    # Key references are resolved per root map (see corpus_truth.ROOT_MAPS): the 11 keys SOURCE.md
    # finds defined nowhere, and four that the only root map reaching their topics lacks.
    undefined = set(Reference.objects.filter(reason="KEY_UNDEFINED").values_list("key", flat=True))
    assert len(undefined - corpus_truth.UNDEFINED_IN_THEIR_ROOT_MAP) == corpus_truth.UNDEFINED_KEYS
    assert {"dita-ot-spec", "log-files", "migrating-to-2-4"} <= undefined
    assert undefined >= corpus_truth.UNDEFINED_IN_THEIR_ROOT_MAP
    # A key whose effective definition points at a file SOURCE.md lists as missing (generated
    # parameter and extension-point topics, Markdown left out) is KEY_TARGET_MISSING: each
    # stored target is checked to be absent from the folder.
    missing_targets = set(
        Reference.objects.filter(reason="KEY_TARGET_MISSING").values_list("target", flat=True)
    )
    assert missing_targets
    assert not any((corpus / target).exists() for target in missing_targets)
    assert [
        (r.asset.relpath, r.value)
        for r in Reference.objects.filter(reason="ELEMENT_MISSING").select_related("asset")
    ] == corpus_truth.ELEMENT_MISSING
    # Every broken reference says why, and only with a code of the vocabulary.
    reasons = set(Reference.objects.filter(broken=True).values_list("reason", flat=True))
    assert reasons == {
        "FILE_MISSING", "OUTSIDE_ROOT", "KEY_UNDEFINED", "KEY_TARGET_MISSING", "ELEMENT_MISSING"
    }  # fmt: skip
    assert status["brokenReferenceCount"] == Reference.objects.filter(broken=True).count()
    # The command's JSON says how many are broken for each reason, as the references do.
    by_reason = dict(
        Counter(Reference.objects.filter(broken=True).values_list("reason", flat=True))
    )
    assert status["brokenReferencesByReason"] == by_reason
    assert by_reason["OUTSIDE_ROOT"] == corpus_truth.OUTSIDE_ROOT
    assert by_reason[
        "FILE_MISSING"
    ] == corpus_truth.MISSING_HREF_AND_CONREF - corpus_truth.OUTSIDE_ROOT - len(corpus_truth.PEER)
    roots: dict[str, int] = {}
    for root in Asset.objects.exclude(metadata__root_element=None).values_list(
        "metadata__root_element", flat=True
    ):
        roots[root] = roots.get(root, 0) + 1
    assert roots == corpus_truth.ROOT_ELEMENTS


def test_excluded_folders_leave_exactly_their_files_out(corpus, settings):
    settings.GUIDES_CONTENT_ROOT = corpus

    status = process(
        "/content/dam",
        "--exclude",
        "content/dam/release-notes",
        "--exclude",
        "/content/dam/topics/",
    )

    expected = (
        files_under(corpus) - files_under(corpus / "release-notes") - files_under(corpus / "topics")
    )
    assert status["migrationSet"]["totalFiles"] == expected
    assert status["excludedPaths"] == ["/content/dam/release-notes", "/content/dam/topics"]
    execution = Execution.objects.get(processing_id=status["processingId"])
    assert not ExecutionItem.objects.filter(
        execution=execution, relpath__startswith="topics/"
    ).exists()


def test_file_types_and_skip_processed_options(corpus, settings):
    settings.GUIDES_CONTENT_ROOT = corpus
    maps = process("/content/dam", "--file-types", "DITAMAP,DITAVAL")
    assert maps["migrationSet"]["totalFiles"] == 57 + 6
    assert maps["filter"]["fileTypes"] == ["DITAMAP", "DITAVAL"]

    again = process("/content/dam", "--file-types", "DITAMAP", "--skip-processed")
    assert (again["skippedCount"], again["processedCount"]) == (57, 0)


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/content/dam/../x", "'..'"),
        ("/tmp", "outside /content/dam"),
        ("/content/dam/not-there", "does not exist"),
    ],
)
def test_invalid_input_exits_2_with_one_line(path, words, tmp_path):
    done = subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), "process_assets", path],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT,
        env={
            **os.environ,
            "GUIDES_CONTENT_ROOT": str(tmp_path),
            "GUIDES_DATA_DIR": str(tmp_path / "data"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]
