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


def test_a_walk_before_a_folder_yields_exactly_what_sorts_before_it_from_any_cursor(
    tmp_path: Path,
):
    """Every folder of the tree as the stop, every file's cursor (and none) as the start: the
    files between them in the whole walk's order, by their parts."""
    make(tmp_path, TREE)
    entries = list(content.walk(tmp_path, ""))
    folders = [("a",), ("a", "b"), ("a-b",), ("z",), ("z", "y"), ("z", "y", "x")]
    for stop in folders:
        for start in [b"", *(entry.cursor for entry in entries)]:
            walked = [
                entry.relpath for entry in content.walk(tmp_path, "", after=start, before=stop)
            ]
            expected = [
                entry.relpath for entry in entries if content.parts_of(start) < entry.parts < stop
            ]
            assert walked == expected, (stop, start)


def test_a_sub_folder_walked_before_a_folder_is_walked_whole_in_part_or_not_at_all(
    tmp_path: Path,
):
    make(tmp_path, TREE)

    def walked(relfolder: str, before: tuple[str, ...]) -> list[str]:
        return [entry.relpath for entry in content.walk(tmp_path, relfolder, before=before)]

    assert walked("a", ("a-b",)) == ["a/1.dita", "a/2.dita", "a/b/3.dita"]
    assert walked("a", ("a", "b")) == ["a/1.dita", "a/2.dita"]
    assert walked("z", ("a-b",)) == []
    assert walked("a", ("a",)) == []


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


def test_resuming_at_a_folder_yields_its_files_and_all_that_follow(tmp_path: Path):
    """The cursor of a folder's parts (``cursor_of``), as a part of a cut walk starts: the files
    inside it, then the rest. Files with names that are not plain ASCII come after it, so the walk
    that stops comparing with the cursor once past it still reports them."""
    make(tmp_path, [*TREE, "z/é.dita"])
    os.symlink(tmp_path / "a.dita", tmp_path / "z/link.dita")
    full = [entry.relpath for entry in content.walk(tmp_path, "")]
    for folder in ("a", "a/b", "a-b", "z", "z/y", "z/y/x"):
        parts = tuple(folder.split("/"))
        first = next(
            index for index, relpath in enumerate(full) if tuple(relpath.split("/")) > parts
        )
        cursor = content.cursor_of(parts)
        rest = [entry.relpath for entry in content.walk(tmp_path, "", after=cursor)]
        assert rest == full[first:], folder
    assert full[-4:] == ["z/6.dita", "z/link.dita", "z/y/x/5.dita", "z/é.dita"]


def test_cut_points_are_the_folders_of_the_first_level_with_enough_of_them(tmp_path: Path):
    make(
        tmp_path,
        [
            *TREE,
            "c/d/e/f/g/deep.dita",
            "ex/e.dita",
            ".hidden/h.dita",
        ],
    )
    os.symlink(tmp_path / "a", tmp_path / "l")

    def cuts(least: int, *, relfolder: str = "", after: bytes = b"") -> list[str]:
        found = content.cut_points(
            tmp_path, relfolder, excluded=frozenset({"ex"}), least=least, after=after
        )
        return ["/".join(parts) for parts in found]

    # A level down: a, a-b, c, z (ex excluded, .hidden hidden, l a link).
    assert cuts(2) == ["a", "a-b", "c", "z"]
    # Two levels down there are fewer (a/b, c/d, z/y): the first level cuts it best.
    assert cuts(5) == ["a", "a-b", "c", "z"]
    # Below z, one folder (y), then one (x): no level is larger than the first.
    assert cuts(2, relfolder="z") == ["z/y"]
    # After a cursor, only the cut points that follow it.
    assert cuts(2, after=content.cursor_of(("a", "b", "3.dita"))) == ["a-b", "c", "z"]
    assert cuts(2, after=content.cursor_of(("c",))) == ["z"]
    # A file, a folder with no sub-folder, and what cannot be listed have none.
    assert cuts(2, relfolder="a.dita") == []
    assert cuts(2, relfolder="a/b") == []
    assert cuts(2, relfolder="missing") == []
