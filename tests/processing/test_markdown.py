"""Markdown topics: the first heading and the links and images."""

from guides_processor.processing import (
    FAILURE,
    LINK_FILE,
    LINK_IMAGE,
    LINK_TOPIC,
    MARKDOWN,
    SCOPE_EXTERNAL,
    SCOPE_LOCAL,
    SUCCESS,
)

from .conftest import Process, Write


def test_it_takes_the_first_atx_heading_as_the_title(write: Write, run: Process) -> None:
    write("docs/a.md", "Intro text.\n\n# The *real*  `title`\n\n## Second\n")
    result = run("docs/a.md")
    assert (result.status, result.asset_type, result.title) == (
        SUCCESS,
        MARKDOWN,
        "The real title",
    )


def test_it_takes_a_setext_heading_as_the_title(write: Write, run: Process) -> None:
    write("a.markdown", "Setext title\n============\n\n# Later\n")
    assert run("a.markdown").title == "Setext title"


def test_it_does_not_take_front_matter_for_a_heading(write: Write, run: Process) -> None:
    write("a.md", "---\nauthor: someone\n---\n\n# Real\n\n[l](x.md)\n")
    result = run("a.md")
    assert result.title == "Real"
    assert [ref.line for ref in result.references] == [7]


def test_it_extracts_links_and_images_but_not_code(write: Write, run: Process) -> None:
    write("docs/other.md", "# Other\n")
    write(
        "docs/a.md",
        "# A\n\n"
        "See [other](other.md#part) and [the topic](../topics/t.dita),\n"
        'a ![diagram](img/flow.svg "Flow") and [a PDF](files/guide.pdf).\n'
        "Visit <https://www.dita-ot.org> and [anchor](#a).\n\n"
        "`[not a link](code.md)`\n\n"
        "```\n[nor this](fenced.md)\n```\n\n"
        "    [nor this](indented.md)\n\n"
        "[ref]: reference.md\n[by reference][ref]\n",
    )
    result = run("docs/a.md")
    assert result.status == SUCCESS, result.error
    assert [
        (ref.attribute, ref.element, ref.link_type, ref.scope, ref.target, ref.broken, ref.line)
        for ref in result.references
    ] == [
        ("href", "a", LINK_TOPIC, SCOPE_LOCAL, "docs/other.md", False, 3),
        ("href", "a", LINK_TOPIC, SCOPE_LOCAL, "topics/t.dita", True, 3),
        ("src", "img", LINK_IMAGE, SCOPE_LOCAL, "docs/img/flow.svg", True, 4),
        ("href", "a", LINK_FILE, SCOPE_LOCAL, "docs/files/guide.pdf", True, 4),
        ("href", "a", LINK_FILE, SCOPE_EXTERNAL, None, False, 5),
        ("href", "a", LINK_FILE, SCOPE_LOCAL, "docs/a.md", False, 5),
        ("href", "a", LINK_TOPIC, SCOPE_LOCAL, "docs/reference.md", True, 16),
    ]


def test_it_fails_a_file_that_is_not_utf8(write: Write, run: Process) -> None:
    write("a.md", b"# Title\n\ncaf\xe9 au lait\n")
    result = run("a.md")
    assert result.status == FAILURE
    assert result.error.startswith("line 3: not valid UTF-8 (byte 0xE9")
    assert result.checksum  # read, so fingerprinted


def test_it_accepts_an_empty_markdown_file(write: Write, run: Process) -> None:
    write("empty.md", b"")
    result = run("empty.md")
    assert (result.status, result.title, result.references) == (SUCCESS, "", [])
