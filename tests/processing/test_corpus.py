"""The DITA-OT documentation corpus: processing every file gives what SOURCE.md says."""

import os
from collections import Counter
from pathlib import Path

import pytest

from guides_processor.processing import (
    DITAMAP,
    DITATOPIC,
    DITAVAL,
    MARKDOWN,
    OTHERS,
    SUCCESS,
    AssetResult,
    detect_type,
    process,
)
from tests import corpus_truth


def relpaths(root: Path) -> list[str]:
    found = []
    for folder, folders, files in os.walk(root):
        folders.sort()
        for name in sorted(files):
            found.append(Path(folder, name).relative_to(root).as_posix())
    return found


@pytest.fixture(scope="module")
def results(dita_ot_docs: Path) -> list[AssetResult]:
    return [process(dita_ot_docs, relpath) for relpath in relpaths(dita_ot_docs)]


def test_it_processes_every_file_of_the_corpus_successfully(results: list[AssetResult]) -> None:
    assert len(results) == corpus_truth.FILES
    assert [(r.relpath, r.error) for r in results if r.status != SUCCESS] == []


def test_it_types_the_corpus_files(results: list[AssetResult]) -> None:
    assert Counter(r.asset_type for r in results) == {
        DITATOPIC: 268,
        DITAMAP: 57,
        DITAVAL: 6,
        MARKDOWN: 2,
        OTHERS: 3,
    }
    by_path = {r.relpath: r.asset_type for r in results}
    assert by_path["topics/error-messages-details.xml"] == DITATOPIC
    assert {p for p, t in by_path.items() if t == OTHERS} == {
        "reference/images/dita-ot-docs-nav-ia-reorg_v4.3.svg",
        "reference/images/processing-flow.svg",
        "reference/images/sample-project-filtering-scenario.svg",
    }


def test_it_agrees_with_detect_type_on_every_file(
    results: list[AssetResult], dita_ot_docs: Path
) -> None:
    for result in results:
        head = (dita_ot_docs / result.relpath).read_bytes()[:8192]
        assert detect_type(result.relpath, head) == result.asset_type, result.relpath


def test_it_counts_the_root_elements_of_source_md(results: list[AssetResult]) -> None:
    roots = Counter(r.metadata["root_element"] for r in results if "root_element" in r.metadata)
    assert roots == corpus_truth.ROOT_ELEMENTS


def test_it_finds_the_broken_file_references_of_source_md(results: list[AssetResult]) -> None:
    broken = Counter(ref.attribute for r in results for ref in r.references if ref.broken)
    assert broken["href"] + broken["conref"] == corpus_truth.MISSING_HREF_AND_CONREF - len(
        corpus_truth.PEER
    )
    peer = [
        (r.relpath, ref.value)
        for r in results
        for ref in r.references
        if ref.scope == "peer" and not ref.broken
    ]
    assert peer == corpus_truth.PEER
    # SOURCE.md's "conrefend adds two more" counts conrefend's own file. Both conrefends of the
    # corpus sit beside a conkeyref, whose key replaces that file (DITA 1.3, "The @conkeyref
    # attribute"), so they are key references, left unbroken until keys are resolved.
    assert broken == {"href": 95, "conref": 145}
    assert {
        r.relpath: ref.key for r in results for ref in r.references if ref.attribute == "conrefend"
    } == {
        "topics/migrating-to-3.5.dita": "reusable-components",
        "topics/migration.dita": "conref-task",
    }
    targets = {
        ref.target
        for r in results
        for ref in r.references
        if ref.broken and ref.attribute in ("href", "conref")
    }
    assert {
        "topics/error-messages.xml",
        "resources/dita-ot-doc.css",
        "reference/markdown/MDITA-syntax.md",
    } <= targets


def test_it_counts_the_reference_attributes_of_source_md(results: list[AssetResult]) -> None:
    attributes = Counter(ref.attribute for r in results for ref in r.references)
    assert attributes == {
        "href": 2554,
        "keyref": 1351,
        "conkeyref": 356,
        "conref": 198,
        "conrefend": 2,
    }
    assert sum(_key_count(r) for r in results) >= 606
    images = [ref for r in results for ref in r.references if ref.link_type == "image"]
    assert len(images) == 3
    assert not any(ref.broken for ref in images)


def test_it_records_the_ids_of_every_topic_file(results: list[AssetResult]) -> None:
    # SOURCE.md counts 1,856 elements with @id; 12 of them are in maps, whose ids are not recorded.
    ids = [i for r in results if r.asset_type == DITATOPIC for i in r.ids]
    assert len(ids) == corpus_truth.ELEMENTS_WITH_ID - 12
    # Every same-file fragment of the corpus names an id that exists.
    same_file = [
        ref for r in results for ref in r.references if ref.target == r.relpath and ref.topic_id
    ]
    assert len(same_file) == 56
    assert not any(ref.broken for ref in same_file)


def test_it_leaves_exactly_the_eleven_undefined_keys(results: list[AssetResult]) -> None:
    used = {ref.key for r in results for ref in r.references if ref.key is not None}
    defined = {item[2] for r in results for item in r.map_tree.get("items", ()) if item[0] == "k"}
    assert (len(used), len(defined)) == (547, 608)
    assert sorted(used - defined) == [
        "adding-plugins",
        "building-output",
        "dita-ot-spec",
        "extending-the-ot",
        "features-in-docs",
        "installing-client",
        "languages",
        "log-files",
        "markdown-dita-syntax-reference",
        "migrating-to-2-4",
        "migrating-to-2-5",
    ]


def _key_count(result: AssetResult) -> int:
    return sum(1 for item in result.map_tree.get("items", ()) if item[0] == "k")
