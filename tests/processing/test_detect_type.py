"""detect_type: the asset type from a name and the first bytes, as the fileTypes filter uses it."""

from pathlib import Path

import pytest

from guides_processor.processing import (
    DITAMAP,
    DITATOPIC,
    DITAVAL,
    HEAD_BYTES,
    HTML_CSS,
    MARKDOWN,
    OTHERS,
    SUCCESS,
    detect_type,
    file_type,
)

from .conftest import Process, Write

PROLOG = b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- a licence comment that mentions <map> -->\n'


@pytest.mark.parametrize(
    ("relpath", "expected"),
    [
        ("a/b.dita", DITATOPIC),
        ("a/B.DITA", DITATOPIC),
        ("m.ditamap", DITAMAP),
        ("m.Bookmap", DITAMAP),
        ("f.ditaval", DITAVAL),
        ("r.md", MARKDOWN),
        ("r.markdown", MARKDOWN),
        ("p.html", HTML_CSS),
        ("p.HTM", HTML_CSS),
        ("s.css", HTML_CSS),
        ("i.png", OTHERS),
        ("doc.pdf", OTHERS),
        ("README", OTHERS),
        (".hidden", OTHERS),
    ],
)
def test_it_tells_the_type_from_the_extension(relpath: str, expected: str) -> None:
    assert detect_type(relpath) == expected


@pytest.mark.parametrize(
    ("root", "expected"),
    [
        ("concept", DITATOPIC),
        ("task", DITATOPIC),
        ("reference", DITATOPIC),
        ("glossentry", DITATOPIC),
        ("troubleshooting", DITATOPIC),
        ("learningContent", DITATOPIC),
        ("dita", DITATOPIC),
        ("map", DITAMAP),
        ("bookmap", DITAMAP),
        ("subjectScheme", DITAMAP),
        ("learningMap", DITAMAP),
        ("project", OTHERS),
        ("plugin", OTHERS),
        ("val", OTHERS),
    ],
)
def test_it_tells_an_xml_file_by_its_root_element(root: str, expected: str) -> None:
    head = PROLOG + f'<!DOCTYPE {root} PUBLIC "-//X//EN" "{root}.dtd">\n<{root} id="x">'.encode()
    assert detect_type("topics/file.xml", head) == expected


def test_it_calls_an_xml_file_without_a_head_others() -> None:
    assert detect_type("topics/file.xml") == OTHERS
    assert detect_type("topics/file.xml", b"") == OTHERS


def test_it_makes_a_dita_file_with_a_map_root_a_map() -> None:
    assert detect_type("x.dita", PROLOG + b"<map>") == DITAMAP
    assert detect_type("x.dita", PROLOG + b"<val>") == DITATOPIC
    assert detect_type("x.dita") == DITATOPIC


def test_it_skips_a_doctype_internal_subset_and_a_byte_order_mark() -> None:
    head = (
        b"\xef\xbb\xbf<?xml version='1.0'?>"
        b'<!DOCTYPE x [ <!ENTITY a "<map>"> <!-- ] > --> <!ELEMENT x ANY> ]>'
        b"<?pi <map>?><ns:concept xmlns:ns='urn:x'>"
    )
    assert detect_type("a.xml", head) == DITATOPIC


def test_it_uses_the_doctype_name_when_the_root_is_beyond_the_head() -> None:
    head = b'<?xml version="1.0"?>\n<!DOCTYPE bookmap PUBLIC "x" "bookmap.dtd">\n<!-- long'
    assert detect_type("a.xml", head) == DITAMAP


def test_it_calls_text_that_is_not_xml_others() -> None:
    assert detect_type("a.xml", b"hello <map>") == OTHERS
    assert detect_type("a.xml", b"\x89PNG\r\n\x1a\n") == OTHERS


@pytest.mark.parametrize(
    ("root_tag", "expected"),
    [
        # A name ending in "Map" is not a map (oXygen's contentCompletionElementsMap.xml).
        ("<contentCompletionElementsMap>", OTHERS),
        ("<siteMap>", OTHERS),
        # @class decides, whatever the name.
        ('<apiRef id="a" class="- topic/topic reference/reference apiRef/apiRef ">', DITATOPIC),
        ("<myMap class='- map/map myMap/myMap '>", DITAMAP),
        ('<map class="- topic/topic concept/concept ">', DITATOPIC),
        ('<widget outputclass="- map/map ">', OTHERS),
        ('<concept class="+ topic/ph hi-d/b ">', OTHERS),
        ("<classifyMap>", DITAMAP),
    ],
)
def test_an_xml_file_is_dita_only_when_its_root_says_so(
    write: Write, run: Process, root_tag: str, expected: str
) -> None:
    name = root_tag[1:].split()[0].rstrip(">")
    text = f"<?xml version='1.0'?>\n{root_tag}<title>x</title></{name}>"
    write("f.xml", text)
    assert detect_type("f.xml", text.encode()) == expected
    result = run("f.xml")
    assert (result.status, result.asset_type) == (SUCCESS, expected), result.error


def test_file_type_reads_the_head_as_processing_does(
    root: Path, write: Write, run: Process
) -> None:
    write("m.dita", '<?xml version="1.0"?>\n<map><topicref href="t.dita"/></map>')
    write("t.xml", "<concept id='c'><title>C</title></concept>")
    write("o.xml", "<project name='build'/>")
    # The root is beyond the head and there is no DOCTYPE: the extension decides, for both.
    write("far.dita", "<!--" + "x" * HEAD_BYTES + "-->\n<map/>")
    for relpath, expected in [
        ("m.dita", DITAMAP),
        ("t.xml", DITATOPIC),
        ("o.xml", OTHERS),
        ("far.dita", DITATOPIC),
    ]:
        assert file_type(root, relpath) == expected, relpath
        assert run(relpath).asset_type == expected, relpath


def test_file_type_does_not_open_what_its_name_decides(root: Path) -> None:
    assert file_type(root, "missing.png") == OTHERS
    assert file_type(root, "missing.ditamap") == DITAMAP


def test_file_type_is_none_when_the_head_cannot_be_read(root: Path) -> None:
    (root / "folder.xml").mkdir()
    assert file_type(root, "missing.dita") is None
    assert file_type(root, "folder.xml") is None
