"""Ids of topic files and the DITA fragment of each reference (``topicid/elementid``)."""

import pytest

from guides_processor.processing import (
    BROKEN_ELEMENT,
    DITAMAP,
    SUCCESS,
    AssetResult,
    Ref,
)

from .conftest import Process, Write
from .documents import a_map

NESTED = """<?xml version="1.0"?>
<topic id="a"><title>A</title>
  <body><p id="p1">one</p><section id="s1"><p id="p2"/></section></body>
  <topic id="b"><title>B</title><body><p id="p1"/></body>
    <concept id="c"><title>C</title><conbody><note id="n"/></conbody></concept>
  </topic>
  <myTopic id="d"><title>D</title><body><p id="q"/></body></myTopic>
  <anything id="e" class="- topic/topic anything/anything "><shortdesc id="sd"/></anything>
</topic>
"""


def processed(write: Write, run: Process, relpath: str, text: str) -> AssetResult:
    write(relpath, text)
    result = run(relpath)
    assert result.status == SUCCESS, result.error
    return result


def test_it_records_topic_ids_and_element_ids_under_their_nearest_topic(
    write: Write, run: Process
) -> None:
    # Counted by hand: topic a holds p1, s1 and p2; b (nested in a) its own p1; c (in b) n;
    # d is a topic because its first child is <title>; e because its @class says topic/topic.
    result = processed(write, run, "t.dita", NESTED)
    assert result.ids == [
        "a",
        "a/p1",
        "a/s1",
        "a/p2",
        "b",
        "b/p1",
        "c",
        "c/n",
        "d",
        "d/q",
        "e",
        "e/sd",
    ]


def test_it_records_the_topics_of_a_dita_composite(write: Write, run: Process) -> None:
    text = (
        '<dita id="whole"><concept id="x"><title>X</title><conbody><p id="q"/></conbody>'
        '</concept><task id="y"><title>Y</title></task></dita>'
    )
    assert processed(write, run, "c.dita", text).ids == ["x", "x/q", "y"]


def test_a_map_records_no_ids(write: Write, run: Process) -> None:
    result = processed(write, run, "m.ditamap", a_map('<topicref id="r" href="t.dita"/>'))
    assert (result.asset_type, result.ids) == (DITAMAP, [])


@pytest.mark.parametrize(
    ("element", "topic_id", "element_id"),
    [
        ('<xref href="other.dita#o/e1"/>', "o", "e1"),
        ('<xref href="other.dita#o"/>', "o", None),
        ('<xref href="other.dita"/>', None, None),
        ('<xref href="other.dita#"/>', None, None),
        ('<p conref="lib.dita#lib/x"/>', "lib", "x"),
        ('<p conref="lib.dita#lib/x" conrefend="lib.dita#lib/y"/>', "lib", "x"),
        ('<xref keyref="k/e"/>', None, "e"),
        ('<p conkeyref="k/e"/>', None, "e"),
        ('<p conkeyref="k"/>', None, None),
        # Not DITA fragments: a web page's anchor, a file link, a "." with a file name.
        ('<xref href="page.html#top"/>', None, None),
        ('<xref href="other.dita#o/e1" format="html"/>', None, None),
        ('<xref href="other.dita#./e1"/>', None, None),
    ],
)
def test_it_splits_the_fragment_of_a_reference(
    write: Write, run: Process, element: str, topic_id: str | None, element_id: str | None
) -> None:
    text = f'<topic id="t"><title>T</title><body>{element}</body></topic>'
    first = processed(write, run, "t.dita", text).references[0]
    assert (first.topic_id, first.element_id) == (topic_id, element_id)


def test_it_checks_a_same_file_fragment_right_away(write: Write, run: Process) -> None:
    links = (
        '<xref href="#./p1"/>'  # b/p1: the "." is the topic holding the link
        '<xref href="#./s1"/>'  # s1 is a's, not b's
        '<xref href="#a/p2"/><xref href="#a/nope"/><xref href="#nope"/><xref href="#b"/>'
        '<xref href="#a/n"/>'  # n belongs to c, not to a
        '<xref href="t.dita#c/n"/><p conref="#./p1"/>'
    )
    text = NESTED.replace('<body><p id="p1"/></body>', f'<body><p id="p1"/>{links}</body>')
    refs = processed(write, run, "t.dita", text).references
    assert [(r.value, r.topic_id, r.element_id, r.broken, r.reason) for r in refs] == [
        ("#./p1", "b", "p1", False, ""),
        ("#./s1", "b", "s1", True, BROKEN_ELEMENT),
        ("#a/p2", "a", "p2", False, ""),
        ("#a/nope", "a", "nope", True, BROKEN_ELEMENT),
        ("#nope", "nope", None, True, BROKEN_ELEMENT),
        ("#b", "b", None, False, ""),
        ("#a/n", "a", "n", True, BROKEN_ELEMENT),
        ("t.dita#c/n", "c", "n", False, ""),
        ("#./p1", "b", "p1", False, ""),
    ]


def test_it_leaves_other_files_fragments_to_be_checked_later(write: Write, run: Process) -> None:
    write("other.dita", '<topic id="o"><title>O</title></topic>')
    text = '<topic id="t"><title>T</title><body><xref href="other.dita#o/none"/></body></topic>'
    [ref] = processed(write, run, "t.dita", text).references
    assert ref == Ref(
        attribute="href",
        value="other.dita#o/none",
        link_type="topic",
        scope="local",
        element="xref",
        line=1,
        target="other.dita",
        broken=False,
        topic_id="o",
        element_id="none",
    )
    # What the check needs is recorded on the target's own result.
    assert run("other.dita").ids == ["o"]
