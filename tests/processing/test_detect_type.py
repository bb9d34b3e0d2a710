"""detect_type: the asset type from a name and the first bytes, as the fileTypes filter uses it."""

import pytest

from guides_processor.processing import (
    DITAMAP,
    DITATOPIC,
    DITAVAL,
    HTML_CSS,
    MARKDOWN,
    OTHERS,
    detect_type,
)

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
