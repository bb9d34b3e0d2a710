"""Topics: title, shortdesc, id, language and root element."""

import hashlib

from guides_processor.processing import DITAMAP, DITATOPIC, SUCCESS

from .conftest import Process, Write
from .documents import topic


def test_it_extracts_a_topics_metadata(write: Write, run: Process) -> None:
    write(
        "topics/intro.dita",
        topic(
            "<shortdesc>A   short\n   description with <ph>inline</ph> text.</shortdesc>",
            root="concept",
            attrs='id="intro" xml:lang="en-US"',
            title="Getting <b>started</b>\n   with  <keyword>DITA</keyword>",
        ),
    )
    result = run("topics/intro.dita")
    assert result.status == SUCCESS, result.error
    assert result.asset_type == DITATOPIC
    assert result.title == "Getting started with DITA"
    assert result.metadata == {
        "id": "intro",
        "root_element": "concept",
        "shortdesc": "A short description with inline text.",
        "lang": "en-US",
    }
    assert result.error == ""


def test_it_takes_the_title_from_the_roots_own_title_only(write: Write, run: Process) -> None:
    write(
        "t.dita",
        "<topic id='t'><body><section><title>Section</title></section></body></topic>",
    )
    assert run("t.dita").title == ""


def test_it_reads_a_shortdesc_inside_an_abstract(write: Write, run: Process) -> None:
    write("t.dita", topic("<abstract><shortdesc>In abstract</shortdesc></abstract>"))
    assert run("t.dita").metadata["shortdesc"] == "In abstract"


def test_it_leaves_comments_and_processing_instructions_out_of_a_title(
    write: Write, run: Process
) -> None:
    write("t.dita", topic(title="Visible<!-- hidden --><?oxy hidden?> text"))
    assert run("t.dita").title == "Visible text"


def test_it_uses_the_glossterm_of_a_glossentry(write: Write, run: Process) -> None:
    write(
        "g.dita",
        "<glossentry id='g'><glossterm>Key  reference</glossterm>"
        "<glossdef>d</glossdef></glossentry>",
    )
    result = run("g.dita")
    assert (result.title, result.metadata["root_element"]) == ("Key reference", "glossentry")


def test_it_describes_a_composite_by_its_first_topic(write: Write, run: Process) -> None:
    write(
        "c.dita",
        "<dita><concept id='one'><title>One</title><shortdesc>S</shortdesc></concept>"
        "<task id='two'><title>Two</title></task></dita>",
    )
    result = run("c.dita")
    assert result.asset_type == DITATOPIC
    assert (result.title, result.metadata["id"], result.metadata["root_element"]) == (
        "One",
        "one",
        "dita",
    )
    assert result.metadata["shortdesc"] == "S"


def test_it_recognises_an_xml_file_with_a_topic_root(write: Write, run: Process) -> None:
    write("topics/messages.xml", topic(root="reference", title="Messages"))
    result = run("topics/messages.xml")
    assert (result.status, result.asset_type, result.title) == (SUCCESS, DITATOPIC, "Messages")


def test_it_treats_a_dita_file_with_a_map_root_as_a_map(write: Write, run: Process) -> None:
    write("odd.dita", "<map><title>A map</title><topicref href='odd.dita'/></map>")
    result = run("odd.dita")
    assert (result.asset_type, result.title, result.metadata["topicref_count"]) == (
        DITAMAP,
        "A map",
        1,
    )


def test_it_fills_size_mtime_and_checksum(write: Write, run: Process) -> None:
    data = topic().encode()
    path = write("t.dita", data)
    result = run("t.dita")
    assert result.size == len(data)
    assert result.mtime == path.stat().st_mtime
    assert result.checksum == hashlib.sha256(data).hexdigest()
    assert result.fingerprint.checksum == result.checksum


def test_titles_with_empty_key_references_are_recorded_as_templates(
    write: Write, run: Process
) -> None:
    # Only empty elements take their text from a key (DITA 1.3 part 3, 2.3.4.9): the <term> with
    # content and the empty <image> stay as they are; "v/x" names the key "v".
    write(
        "t.dita",
        topic(
            '<shortdesc>For <keyword keyref="product"/> users.</shortdesc>',
            title='About <ph keyref="product"/> <keyword keyref="v/x"></keyword>'
            ' <term keyref="t">terms</term><image keyref="logo"/><!-- c -->!',
        ),
    )
    result = run("t.dita")
    assert result.key_texts == {
        "title": ["About ", ["product"], " ", ["v"], " terms!"],
        "shortdesc": ["For ", ["product"], " users."],
    }
    # Until keys are known, the texts hold no key text.
    assert (result.title, result.metadata["shortdesc"]) == ("About terms!", "For users.")


def test_a_title_without_empty_key_references_has_no_template(write: Write, run: Process) -> None:
    write("t.dita", topic(title='About <ph keyref="product"> </ph>it'))
    result = run("t.dita")
    assert (result.title, result.key_texts) == ("About it", {})
