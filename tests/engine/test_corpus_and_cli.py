"""The DITA-OT documentation (content nobody here wrote) through the command line."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from guides_processor.models import Asset, Execution, ExecutionItem, Reference
from tests import corpus_truth

PROJECT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def process(*args: str) -> dict:
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
    return json.loads(out.getvalue())


def files_under(folder: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(folder))


def test_the_corpus_processes_to_success_with_the_broken_references_it_really_has(corpus, settings):
    settings.GUIDES_CONTENT_ROOT = corpus

    status = process("/content/dam")

    assert status["status"] == "SUCCESS"
    assert status["migrationSet"]["totalFiles"] == files_under(corpus) == corpus_truth.FILES
    assert status["failedCount"] == 0
    broken_files = Reference.objects.filter(broken=True, attribute__in=["href", "conref"]).count()
    assert broken_files == corpus_truth.MISSING_HREF_AND_CONREF
    # Both conrefends sit beside a conkeyref: the key's target replaces their file, so they are
    # key references to defined keys, not broken (SOURCE.md's "two more" counts their files).
    assert Reference.objects.filter(broken=True, attribute="conrefend").count() == 0
    assert Reference.objects.filter(attribute="conrefend").exclude(key="").count() == 2
    undefined = set(
        Reference.objects.filter(broken=True).exclude(key="").values_list("key", flat=True)
    )
    assert len(undefined) == corpus_truth.UNDEFINED_KEYS
    assert {"dita-ot-spec", "log-files", "migrating-to-2-4"} <= undefined
    assert status["brokenReferenceCount"] == Reference.objects.filter(broken=True).count()
    roots = {}
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
