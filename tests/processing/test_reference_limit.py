"""One asset may produce at most ``max_references`` references; beyond, it fails with none, and
the references are counted while streaming so that memory stays bounded."""

import tracemalloc
from pathlib import Path

from guides_processor.processing import FAILURE, MAX_REFERENCES, SUCCESS, process
from guides_processor.processing.dita import count_references
from guides_processor.processing.xmlparser import iter_finished_elements

from .conftest import Process, Write
from .documents import a_map, topic


def xrefs(count: int) -> str:
    return "<body><p>" + '<xref href="t.dita"/>' * count + "</p></body>"


def test_the_default_limit_is_ten_thousand() -> None:
    assert MAX_REFERENCES == 10_000


def test_it_fails_an_asset_with_more_references_than_the_limit(write: Write, run: Process) -> None:
    write("t.dita", topic(xrefs(6)))
    result = run("t.dita", max_references=5)
    assert (result.status, result.error) == (
        FAILURE,
        "has more than 5 references, the limit (counted up to it)",
    )
    assert (result.references, result.ids) == ([], [])
    assert result.checksum  # still fingerprinted


def test_it_accepts_an_asset_at_the_limit(write: Write, run: Process) -> None:
    write("t.dita", topic(xrefs(5)))
    result = run("t.dita", max_references=5)
    assert (result.status, len(result.references)) == (SUCCESS, 5)


def test_it_names_a_large_limit_with_separators(write: Write, run: Process) -> None:
    write("t.dita", topic(xrefs(3)))
    assert run("t.dita", max_references=2).error == (
        "has more than 2 references, the limit (counted up to it)"
    )
    write("m.md", "[a](a.md) " * 12_001)
    assert run("m.md").error == "has 12,001 references, more than the limit of 10,000"


def test_text_that_looks_like_attributes_does_not_count(write: Write, run: Process) -> None:
    # 8 ' href=' in text and comments push the byte bound over the limit; the streaming count
    # finds the 2 real ones.
    body = "<body><p>" + " href= conref=" * 3 + '<xref href="t.dita"/></p>'
    body += "<!-- href= keyref= -->" + '<p conref="#t/x"/></body>'
    write("t.dita", topic(body))
    result = run("t.dita", max_references=2)
    assert (result.status, len(result.references)) == (SUCCESS, 2), result.error


def test_the_streaming_count_agrees_with_the_references_found(
    root: Path, write: Write, run: Process
) -> None:
    body = (
        '<body><p id="x" conref="a.dita#a/b" conrefend="a.dita#a/c" keyref="k" href="h.dita"/>'
        '<p conref="a.dita#a/b" conrefend="-dita-use-conref-target"/>'
        '<p conkeyref="k/b" conrefend="a.dita#a/c"/>'
        '<object data="m.swf"/><foreign data="not-a-reference"/>'
        '<ph mapref="x.ditamap"/><xref href="-dita-use-conref-target" conref="#t/x"/></body>'
    )
    write("t.dita", topic(body))
    write("m.ditamap", a_map('<keydef keys="a b" href="a.dita"/><topicref href="t.dita"/>'))
    for relpath in ("t.dita", "m.ditamap"):
        result = run(relpath)
        data = (root / relpath).read_bytes()
        counted = count_references(iter_finished_elements(data), stop_after=10**9)
        assert counted == len(result.references), relpath
    # By hand: 4 on the first <p>, 1 on the second (its conrefend is reserved), 2 on the third,
    # 1 <object data>, 1 mapref, 1 conref on the <xref> (its href is reserved): 10.
    assert len(run("t.dita").references) == 10


def test_a_malformed_file_over_the_byte_bound_fails_with_its_line(
    write: Write, run: Process
) -> None:
    # Text pushes the byte bound over the limit, so the streaming count runs and meets the error.
    write("t.dita", topic("<body><p>href= href= href=</p></body>") + "<extra/>")
    result = run("t.dita", max_references=2)
    assert result.status == FAILURE
    assert result.error.startswith("line 7: "), result.error


def test_it_refuses_a_file_of_many_links_in_bounded_memory(write: Write, root: Path) -> None:
    # 100,000 links (2.1 MB): as reference objects they weigh tens of MB; streamed and refused
    # at the limit, little more than the bytes of the file itself.
    path = write("t.dita", topic(xrefs(100_000)))
    size = path.stat().st_size
    tracemalloc.start()
    try:
        result = process(root, "t.dita", max_references=1_000)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status == FAILURE
    assert peak < 2 * size + 1024 * 1024, (peak, size)
