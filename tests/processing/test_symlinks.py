"""A symbolic link is never a valid reference target: checking one must not reveal what it points
to, so a link to an existing file outside the root and a dangling link get the same answer."""

import os
from pathlib import Path

import pytest

from guides_processor.processing import (
    BROKEN_NOT_FOUND,
    BROKEN_SYMLINK,
    SUCCESS,
    AssetResult,
    TargetChecks,
)
from tests.files import write_file

from .conftest import Process, Write
from .documents import topic

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")


def checks(result: AssetResult) -> list[tuple[str | None, bool, str]]:
    assert result.status == SUCCESS, result.error
    return [(ref.target, ref.broken, ref.reason) for ref in result.references]


def test_a_link_to_an_outside_file_and_a_dangling_link_get_the_same_answer(
    tmp_path: Path, root: Path, write: Write, run: Process
) -> None:
    secret = write_file(tmp_path / "secret.dita", topic())
    (root / "topics").mkdir()
    os.symlink(secret, root / "topics" / "exists.dita")
    os.symlink(tmp_path / "nothing.dita", root / "topics" / "dangling.dita")
    write(
        "topics/t.dita",
        topic('<body><p><xref href="exists.dita"/><xref href="dangling.dita"/></p></body>'),
    )
    assert checks(run("topics/t.dita")) == [
        ("topics/exists.dita", True, BROKEN_SYMLINK),
        ("topics/dangling.dita", True, BROKEN_SYMLINK),
    ]


def test_a_linked_folder_on_the_way_breaks_the_reference(
    tmp_path: Path, root: Path, write: Write, run: Process
) -> None:
    write_file(tmp_path / "elsewhere" / "there.dita", topic())
    os.symlink(tmp_path / "elsewhere", root / "linked")
    os.symlink(tmp_path / "no-such-folder", root / "dangling")
    write(
        "t.dita",
        topic(
            "<body><p>"
            '<xref href="linked/there.dita"/><xref href="linked/missing.dita"/>'
            '<xref href="dangling/x.dita"/><image href="linked/sub/pic.png"/>'
            "</p></body>"
        ),
    )
    assert checks(run("t.dita")) == [
        ("linked/there.dita", True, BROKEN_SYMLINK),
        ("linked/missing.dita", True, BROKEN_SYMLINK),
        ("dangling/x.dita", True, BROKEN_SYMLINK),
        ("linked/sub/pic.png", True, BROKEN_SYMLINK),
    ]


def test_a_link_inside_the_root_is_not_a_target_either(
    root: Path, write: Write, run: Process
) -> None:
    write("real.dita", topic())
    os.symlink(root / "real.dita", root / "alias.dita")
    write(
        "t.dita",
        topic(
            '<body><p><xref href="real.dita"/><xref href="alias.dita"/>'
            '<xref href="gone.dita"/></p></body>'
        ),
    )
    assert checks(run("t.dita")) == [
        ("real.dita", False, ""),
        ("alias.dita", True, BROKEN_SYMLINK),
        ("gone.dita", True, BROKEN_NOT_FOUND),
    ]


def test_html_and_markdown_links_are_checked_the_same_way(
    tmp_path: Path, root: Path, write: Write, run: Process
) -> None:
    secret = write_file(tmp_path / "secret.png", b"\x89PNG")
    os.symlink(secret, root / "pic.png")
    write("page.html", '<html><body><img src="pic.png"></body></html>')
    write("readme.md", "![x](pic.png)\n")
    assert checks(run("page.html")) == [("pic.png", True, BROKEN_SYMLINK)]
    assert checks(run("readme.md")) == [("pic.png", True, BROKEN_SYMLINK)]


def test_files_sharing_target_checks_get_the_verdicts_each_would_alone(
    tmp_path: Path, root: Path, write: Write, run: Process
) -> None:
    """Files processed with one ``TargetChecks`` (as a batch is) look at each target and each
    folder on the way once, and still say of every reference what each file alone says."""
    write_file(tmp_path / "elsewhere" / "there.dita", topic())
    (root / "shared").mkdir()
    os.symlink(tmp_path / "elsewhere", root / "shared" / "linked")
    write("shared/real/ok.dita", topic())
    links = (
        '<body><p><xref href="../shared/real/ok.dita"/><xref href="../shared/linked/there.dita"/>'
        '<xref href="../shared/none/x.dita"/><xref href="../shared/real/gone.dita"/></p></body>'
    )
    for name in ("a", "b", "c"):
        write(f"topics/{name}.dita", topic(links))
    alone = [checks(run(f"topics/{name}.dita")) for name in ("a", "b", "c")]

    shared = TargetChecks()
    together = [checks(run(f"topics/{name}.dita", checks=shared)) for name in ("a", "b", "c")]

    assert together == alone
    assert alone[0] == [
        ("shared/real/ok.dita", False, ""),
        ("shared/linked/there.dita", True, BROKEN_SYMLINK),
        ("shared/none/x.dita", True, BROKEN_NOT_FOUND),
        ("shared/real/gone.dita", True, BROKEN_NOT_FOUND),
    ]
    # Each was looked at once, for the three files (a target behind a broken folder is not).
    assert shared.folders == {
        "shared": "",
        "shared/real": "",
        "shared/linked": BROKEN_SYMLINK,
        "shared/none": BROKEN_NOT_FOUND,
    }
    assert shared.files == {
        "shared/real/ok.dita": "",
        "shared/linked/there.dita": BROKEN_SYMLINK,
        "shared/none/x.dita": BROKEN_NOT_FOUND,
        "shared/real/gone.dita": BROKEN_NOT_FOUND,
    }
