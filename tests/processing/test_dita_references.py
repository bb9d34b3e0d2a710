"""References in DITA: attribute, link type, scope, target, key and broken, rule by rule."""

import pytest

from guides_processor.processing import (
    LINK_CONTENT,
    LINK_CONTENT_KEY,
    LINK_FILE,
    LINK_IMAGE,
    LINK_KEY,
    LINK_MAP,
    LINK_MULTIMEDIA,
    LINK_TOPIC,
    SCOPE_EXTERNAL,
    SCOPE_LOCAL,
    SCOPE_PEER,
    SUCCESS,
    Ref,
)

from .conftest import Process, Write
from .documents import topic


@pytest.fixture
def refs_of(write: Write, run: Process):
    """Write ``topics/t.dita`` with ``body`` and return its references."""

    def refs(body: str, relpath: str = "topics/t.dita") -> list[Ref]:
        write(relpath, topic(f"<body>{body}</body>"))
        result = run(relpath)
        assert result.status == SUCCESS, result.error
        return result.references

    return refs


def test_it_resolves_a_local_href_relative_to_the_topic(write: Write, refs_of) -> None:
    write("topics/other.dita", topic())
    [ref] = refs_of('<p><xref href="other.dita#other/p1">x</xref></p>')
    assert ref == Ref(
        attribute="href",
        value="other.dita#other/p1",
        link_type=LINK_TOPIC,
        scope=SCOPE_LOCAL,
        element="xref",
        line=5,
        target="topics/other.dita",
        key=None,
        broken=False,
        reason="",
        topic_id="other",
        element_id="p1",
    )


def test_it_marks_a_missing_target_broken(refs_of) -> None:
    [ref] = refs_of('<p><xref href="../reference/gone.dita"/></p>')
    assert (ref.target, ref.broken) == ("reference/gone.dita", True)


def test_it_takes_a_bare_fragment_for_the_topic_itself(refs_of) -> None:
    [ref] = refs_of('<p id="p2"><xref href="#t/p2"/></p>')
    assert (ref.target, ref.broken, ref.scope) == ("topics/t.dita", False, SCOPE_LOCAL)


def test_it_percent_decodes_a_target(write: Write, refs_of) -> None:
    write("topics/my file.dita", topic())
    [ref] = refs_of('<p><xref href="my%20file.dita"/></p>')
    assert (ref.value, ref.target, ref.broken) == ("my%20file.dita", "topics/my file.dita", False)


def test_it_normalises_dot_segments(write: Write, refs_of) -> None:
    write("a/c/x.dita", topic())
    [ref] = refs_of('<p><xref href="./../c/./x.dita"/></p>', relpath="a/b/t.dita")
    assert (ref.target, ref.broken) == ("a/c/x.dita", False)


def test_it_marks_a_target_that_leaves_the_content_root_broken(write: Write, refs_of) -> None:
    # The file exists beside the root, but it is not in it.
    write("../outside.dita", topic())
    [ref] = refs_of('<p><xref href="../../outside.dita"/></p>')
    assert ref.broken is True
    assert ref.target == "../outside.dita"


@pytest.mark.parametrize(
    "element",
    [
        '<xref href="https://www.dita-ot.org/dev/" scope="external" format="html"/>',
        '<xref href="http://example.com/a.dita"/>',
        '<xref href="mailto:docs@example.com"/>',
        '<xref href="missing.html" scope="external"/>',
    ],
)
def test_it_never_resolves_an_external_reference(refs_of, element: str) -> None:
    [ref] = refs_of(f"<p>{element}</p>")
    assert (ref.scope, ref.target, ref.broken) == (SCOPE_EXTERNAL, None, False)


def test_a_peer_reference_is_neither_resolved_nor_checked(write: Write, refs_of) -> None:
    """DITA 1.3 part 2, "The @scope attribute": a peer resource is part of the same set of
    content but might not be accessible at build time, so, as an external one, it is not
    checked: missing or there, it is not broken (DITA-OT does not resolve it either)."""
    write("api/index.html", "<html></html>")
    there, missing = refs_of(
        '<p><xref href="../api/index.html" scope="peer" format="html"/>'
        '<xref href="../api/gone.html" scope="peer" format="html"/></p>'
    )
    assert (there.scope, there.target, there.broken, there.link_type) == (
        SCOPE_PEER,
        None,
        False,
        LINK_FILE,
    )
    assert (missing.scope, missing.target, missing.broken) == (SCOPE_PEER, None, False)


@pytest.mark.parametrize(
    ("element", "link_type"),
    [
        ('<xref href="x.dita"/>', LINK_TOPIC),
        ('<xref href="x.xml"/>', LINK_TOPIC),
        ('<xref href="x.html" format="dita"/>', LINK_TOPIC),
        ('<xref href="x"/>', LINK_TOPIC),
        ('<xref href="x.ditamap"/>', LINK_MAP),
        ('<xref href="x.BOOKMAP"/>', LINK_MAP),
        ('<xref href="x.dita" format="ditamap"/>', LINK_MAP),
        ('<xref href="x.pdf"/>', LINK_FILE),
        ('<xref href="x.html" format="html"/>', LINK_FILE),
        ('<xref href="x" format="html"/>', LINK_FILE),
        ('<image href="pic.png"/>', LINK_IMAGE),
        ('<video href="clip.mp4"/>', LINK_MULTIMEDIA),
        ('<audio href="a.mp3"/>', LINK_MULTIMEDIA),
        ('<p conref="lib.dita#lib/p"/>', LINK_CONTENT),
        ('<p conkeyref="lib/p"/>', LINK_CONTENT_KEY),
        ('<ph keyref="product"/>', LINK_KEY),
    ],
)
def test_it_classifies_the_link_type(refs_of, element: str, link_type: str) -> None:
    [ref] = refs_of(f"<p>{element}</p>")
    assert ref.link_type == link_type


def test_it_calls_a_url_without_format_or_extension_a_file(refs_of) -> None:
    [ref] = refs_of('<p><xref href="https://www.dita-ot.org"/></p>')
    assert ref.link_type == LINK_FILE


def test_it_takes_an_objects_data_as_multimedia(write: Write, refs_of) -> None:
    write("topics/movie.swf", b"FWS")
    [ref] = refs_of('<object data="movie.swf" type="application/x-shockwave-flash"/>')
    assert (ref.attribute, ref.link_type, ref.target, ref.broken) == (
        "data",
        LINK_MULTIMEDIA,
        "topics/movie.swf",
        False,
    )


def test_it_resolves_conref_and_conrefend_as_files(write: Write, refs_of) -> None:
    write("common/lib.dita", topic())
    start, end = refs_of(
        '<ol><li conref="../common/lib.dita#lib/a" conrefend="../common/gone.dita#lib/c"/></ol>'
    )
    assert (start.attribute, start.link_type, start.target, start.broken) == (
        "conref",
        LINK_CONTENT,
        "common/lib.dita",
        False,
    )
    assert (end.attribute, end.link_type, end.target, end.broken) == (
        "conrefend",
        LINK_CONTENT,
        "common/gone.dita",
        True,
    )


def test_it_keeps_key_references_for_later_resolution(refs_of) -> None:
    keyref, conkeyref = refs_of(
        '<p><xref keyref="install/steps"/></p><p conkeyref="reuse/shared-para"/>'
    )
    assert keyref == Ref(
        attribute="keyref",
        value="install/steps",
        link_type=LINK_KEY,
        scope=SCOPE_LOCAL,
        element="xref",
        line=5,
        target=None,
        key="install",
        broken=False,
        reason="",
        topic_id=None,
        element_id="steps",
    )
    assert (conkeyref.key, conkeyref.link_type, conkeyref.target, conkeyref.broken) == (
        "reuse",
        LINK_CONTENT_KEY,
        None,
        False,
    )


def test_it_gives_two_references_for_a_keyref_with_a_fallback_href(refs_of) -> None:
    refs = refs_of('<p><xref keyref="spec" href="https://example.com/spec" scope="external"/></p>')
    assert sorted((ref.attribute, ref.link_type, ref.scope) for ref in refs) == [
        ("href", LINK_FILE, SCOPE_EXTERNAL),
        ("keyref", LINK_KEY, SCOPE_EXTERNAL),
    ]
    assert [ref.key for ref in refs if ref.attribute == "keyref"] == ["spec"]


def test_it_records_the_element_and_line_of_each_reference(refs_of) -> None:
    refs = refs_of('\n<p>\n<xref href="#t"/>\n<ph conkeyref="k/e"/></p>')
    assert [(ref.attribute, ref.element, ref.line) for ref in refs] == [
        ("href", "xref", 7),
        ("conkeyref", "ph", 8),
    ]


def test_it_checks_a_target_that_is_a_folder_as_broken(write: Write, refs_of) -> None:
    write("topics/folder/inside.dita", topic())
    [ref] = refs_of('<p><xref href="folder"/></p>')
    assert (ref.target, ref.broken) == ("topics/folder", True)


def test_it_takes_use_conref_target_for_no_reference(refs_of) -> None:
    # A reserved value, never a file: no reference, so nothing broken.
    refs = refs_of(
        '<ol><li conref="#t/a" conrefend="-dita-use-conref-target"/></ol>'
        '<p><xref conref="#t/x" href="-dita-use-conref-target"/></p>'
        '<p id="a"/><p id="x"/>'
    )
    assert [(ref.attribute, ref.value, ref.broken) for ref in refs] == [
        ("conref", "#t/a", False),
        ("conref", "#t/x", False),
    ]


def test_it_makes_a_conrefend_beside_a_conkeyref_a_key_reference(refs_of) -> None:
    # default.dita does not exist, and does not matter: the key's target replaces it.
    conrefend, conkeyref = refs_of(
        '<ul><li conkeyref="xmp/first" conrefend="default.dita#default/last"/></ul>'
    )
    assert conkeyref.key == "xmp"
    assert conrefend == Ref(
        attribute="conrefend",
        value="default.dita#default/last",
        link_type=LINK_CONTENT_KEY,
        scope=SCOPE_LOCAL,
        element="li",
        line=5,
        target=None,
        key="xmp",
        broken=False,
        reason="",
        topic_id=None,
        element_id="last",
    )


@pytest.mark.parametrize("fmt", ["html", "HTML", "pdf", "markdown"])
def test_a_non_dita_format_makes_a_topic_file_a_file_link(write: Write, refs_of, fmt: str) -> None:
    write("topics/page.dita", topic())
    there, missing = refs_of(
        f'<p><xref href="page.dita#t/x" format="{fmt}"/><xref href="gone.xml" format="{fmt}"/></p>'
    )
    assert (there.link_type, there.target, there.broken, there.topic_id) == (
        LINK_FILE,
        "topics/page.dita",
        False,
        None,
    )
    assert (missing.link_type, missing.broken, missing.reason) == (LINK_FILE, True, "FILE_MISSING")


def test_an_external_scope_is_never_checked(refs_of) -> None:
    refs = refs_of(
        '<p><xref href="gone.dita#t/x" scope="external"/>'
        '<xref href="../../etc/passwd" scope="external" format="txt"/></p>'
    )
    assert [(r.scope, r.target, r.broken, r.reason, r.topic_id) for r in refs] == [
        (SCOPE_EXTERNAL, None, False, "", None),
        (SCOPE_EXTERNAL, None, False, "", None),
    ]


def test_a_coderef_is_a_file_link_whatever_its_extension(write: Write, refs_of) -> None:
    write("topics/sample.dita", topic())
    [ref] = refs_of('<pre><coderef href="sample.dita#token=start,end"/></pre>')
    assert (ref.link_type, ref.broken, ref.topic_id) == (LINK_FILE, False, None)


def test_it_says_why_a_reference_is_broken(refs_of) -> None:
    outside, missing = refs_of('<p><xref href="../../x.dita"/><xref href="gone.dita"/></p>')
    assert (outside.reason, missing.reason) == ("OUTSIDE_ROOT", "FILE_MISSING")


def test_scope_and_format_cascade_from_a_maps_ancestors(write: Write, run: Process) -> None:
    """DITA 1.3 part 3, 2.2.4.2 "Cascading of metadata attributes in a DITA map": @scope and
    @format set on a group hold for its topicrefs unless one sets its own. Five topicrefs, none
    of whose files exist: the peer and external ones are not checked, the local one under a peer
    group is, and an html group makes a local target a file link."""
    write(
        "maps/m.ditamap",
        "<map><title>M</title>"
        '<topicgroup scope="peer"><topicref href="../other/peer.dita"/>'
        '<topicref href="mine.dita" scope="local"/></topicgroup>'
        '<topicgroup scope="external" format="html"><topicref href="remote/page"/></topicgroup>'
        '<topicgroup format="html"><topicref href="local.html"/>'
        '<topicref href="t.dita" format="dita"/></topicgroup>'
        "</map>",
    )
    result = run("maps/m.ditamap")

    found = {ref.value: (ref.scope, ref.link_type, ref.broken) for ref in result.references}
    assert found == {
        "../other/peer.dita": (SCOPE_PEER, LINK_TOPIC, False),
        "mine.dita": ("local", LINK_TOPIC, True),
        "remote/page": ("external", LINK_FILE, False),
        "local.html": ("local", LINK_FILE, True),
        "t.dita": ("local", LINK_TOPIC, True),
    }
