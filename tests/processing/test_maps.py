"""Maps: title, topicref counts, references and key definitions."""

from guides_processor.processing import DITAMAP, LINK_MAP, LINK_TOPIC, SUCCESS

from .conftest import Process, Write
from .documents import a_map, topic


def test_it_extracts_a_maps_title_counts_and_references(write: Write, run: Process) -> None:
    write("topics/a.dita", topic())
    write("sub.ditamap", a_map())
    write(
        "guide.ditamap",
        a_map(
            "<title>User <ph>guide</ph></title>\n"
            '<topicref href="topics/a.dita"><topicref href="topics/b.dita"/></topicref>\n'
            '<topichead navtitle="Group">'
            '<chapter href="sub.ditamap" format="ditamap"/></topichead>\n'
            '<mapref href="sub.ditamap"/>',
            attrs='xml:lang="fr-FR"',
        ),
    )
    result = run("guide.ditamap")
    assert result.status == SUCCESS, result.error
    assert result.asset_type == DITAMAP
    assert result.title == "User guide"
    assert result.metadata == {
        "id": "",
        "root_element": "map",
        "lang": "fr-FR",
        "topicref_count": 3,
        "mapref_count": 2,
    }
    assert [(ref.value, ref.link_type, ref.target, ref.broken) for ref in result.references] == [
        ("topics/a.dita", LINK_TOPIC, "topics/a.dita", False),
        ("topics/b.dita", LINK_TOPIC, "topics/b.dita", True),
        ("sub.ditamap", LINK_MAP, "sub.ditamap", False),
        ("sub.ditamap", LINK_MAP, "sub.ditamap", False),
    ]


def test_it_takes_a_title_attribute_when_there_is_no_title_element(
    write: Write, run: Process
) -> None:
    write("m.ditamap", a_map(attrs='title="Old  style"'))
    assert run("m.ditamap").title == "Old style"


def test_it_takes_a_bookmaps_main_book_title(write: Write, run: Process) -> None:
    write(
        "b.bookmap",
        a_map(
            "<booktitle><booklibrary>Lib</booklibrary><mainbooktitle>The Book</mainbooktitle>"
            "</booktitle><chapter href='c.dita'/>",
            root="bookmap",
        ),
    )
    result = run("b.bookmap")
    assert (result.asset_type, result.title, result.metadata["root_element"]) == (
        DITAMAP,
        "The Book",
        "bookmap",
    )
    assert result.metadata["topicref_count"] == 1


def test_it_recognises_xml_files_with_map_roots(write: Write, run: Process) -> None:
    write("scheme.xml", a_map("<subjectdef keys='os'/>", root="subjectScheme"))
    write("learning.xml", a_map(root="learningMap"))
    assert run("scheme.xml").asset_type == DITAMAP
    assert run("learning.xml").asset_type == DITAMAP


def test_it_defines_one_key_per_name_in_keys(write: Write, run: Process) -> None:
    write("topics/install.dita", topic())
    write(
        "keys.ditamap",
        a_map(
            '<keydef keys="install setup" href="topics/install.dita"/>\n'
            '<keydef keys="site" href="https://www.dita-ot.org" scope="external" format="html"/>\n'
            '<keydef keys="product"><topicmeta><keywords><keyword>DITA-OT</keyword>'
            "</keywords></topicmeta></keydef>\n"
            '<keydef keys="gone" href="topics/gone.dita"/>'
        ),
    )
    result = run("keys.ditamap")
    # ["k", scope, key, local target, text, target missing]
    assert [item for item in result.map_tree["items"] if item[0] == "k"] == [
        ["k", 0, "install", "topics/install.dita", "", False],
        ["k", 0, "setup", "topics/install.dita", "", False],
        ["k", 0, "site", None, "", False],
        ["k", 0, "product", None, "DITA-OT", False],
        ["k", 0, "gone", "topics/gone.dita", "", True],
    ]
    # The keydef hrefs are references too, checked like any other.
    assert [(ref.value, ref.broken) for ref in result.references] == [
        ("topics/install.dita", False),
        ("https://www.dita-ot.org", False),
        ("topics/gone.dita", True),
    ]


def test_it_counts_a_lightweight_maps_navtitle_as_its_title(write: Write, run: Process) -> None:
    write(
        "lw.ditamap",
        a_map('<topicmeta><navtitle>Input formats</navtitle></topicmeta><topicref keyref="md"/>'),
    )
    result = run("lw.ditamap")
    assert result.title == "Input formats"
    assert [(ref.attribute, ref.key) for ref in result.references] == [("keyref", "md")]


def test_it_defines_no_keys_in_a_topic(write: Write, run: Process) -> None:
    write("t.dita", topic('<body><p keys="not-a-definition"/></body>'))
    assert run("t.dita").map_tree == {}


def test_a_maps_title_and_navtitle_with_key_references_are_templates(
    write: Write, run: Process
) -> None:
    write("m.ditamap", a_map('<title><ph keyref="product"/> Guide</title>'))
    write(
        "l.ditamap",
        a_map('<topicmeta><navtitle>All <keyword keyref="p"/></navtitle></topicmeta>'),
    )
    assert run("m.ditamap").key_texts == {"title": [["product"], " Guide"]}
    assert run("l.ditamap").key_texts == {"title": ["All ", ["p"]]}
