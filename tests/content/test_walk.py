"""The walk: deterministic, resumable from a cursor, and never stopped by what it meets."""

import os
from pathlib import Path

from guides_processor import content


def make(root: Path, relpaths: list[str]) -> None:
    for relpath in relpaths:
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")


TREE = [
    "a/1.dita",
    "a/2.dita",
    "a/b/3.dita",
    "a-b/4.dita",
    "a.dita",
    "z/y/x/5.dita",
    "z/6.dita",
    "B.dita",
]


def test_it_yields_every_file_in_the_same_order_every_time(tmp_path: Path):
    make(tmp_path, TREE)
    first = [entry.relpath for entry in content.walk(tmp_path, "")]
    assert sorted(first) == sorted(TREE)
    assert first == [entry.relpath for entry in content.walk(tmp_path, "")]
    # Byte order of names, depth first.
    assert first == [
        "B.dita",
        "a/1.dita",
        "a/2.dita",
        "a/b/3.dita",
        "a-b/4.dita",
        "a.dita",
        "z/6.dita",
        "z/y/x/5.dita",
    ]


def test_resuming_after_any_cursor_yields_exactly_the_rest(tmp_path: Path):
    make(tmp_path, TREE)
    entries = list(content.walk(tmp_path, ""))
    for index, entry in enumerate(entries):
        rest = [e.relpath for e in content.walk(tmp_path, "", after=entry.cursor)]
        assert rest == [e.relpath for e in entries[index + 1 :]]


def test_it_walks_a_sub_folder_and_leaves_out_excluded_ones(tmp_path: Path):
    make(tmp_path, TREE)
    relpaths = [e.relpath for e in content.walk(tmp_path, "a", excluded=frozenset({"a/b"}))]
    assert relpaths == ["a/1.dita", "a/2.dita"]


def test_it_passes_over_hidden_names_and_reports_links_and_odd_names(tmp_path: Path):
    make(tmp_path, ["ok.dita", ".git/config", ".hidden.dita", "real/t.dita"])
    (tmp_path / "link.dita").symlink_to(tmp_path / "ok.dita")
    (tmp_path / "linked-folder").symlink_to(tmp_path / "real")
    with open(os.path.join(os.fsencode(tmp_path), b"bad\xff.dita"), "wb"):
        pass
    os.mkdir(os.path.join(os.fsencode(tmp_path), b"dir\xfe"))
    os.mkfifo(tmp_path / "pipe.dita")

    found = {e.relpath: e.problem for e in content.walk(tmp_path, "")}

    assert found == {
        "ok.dita": "",
        "real/t.dita": "",
        "link.dita": "symbolic link, not followed",
        "linked-folder": "symbolic link, not followed",
        "bad\\xff.dita": "file name is not valid UTF-8",
        "dir\\xfe/": "folder name is not valid UTF-8; its contents were not processed",
        "pipe.dita": "not a regular file",
    }
    # Resuming after a problem entry does not report it twice.
    entries = list(content.walk(tmp_path, ""))
    for index, entry in enumerate(entries):
        assert [e.relpath for e in content.walk(tmp_path, "", after=entry.cursor)] == [
            e.relpath for e in entries[index + 1 :]
        ]


def test_it_reports_modification_times_when_asked(tmp_path: Path):
    make(tmp_path, ["a.dita"])
    os.utime(tmp_path / "a.dita", (1_500_000_000, 1_500_000_000))
    (entry,) = content.walk(tmp_path, "", with_mtime=True)
    assert entry.mtime == 1_500_000_000
