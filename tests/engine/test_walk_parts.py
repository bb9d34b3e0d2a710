"""A walk that looks at each file, cut into parts at folders and walked by several processes at
once (``Walk.parts``, ``selection.merged``): the same chunks' contents as one walk, in order."""

import collections
import functools
import os
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from guides_processor import content
from guides_processor.engine import calculation, selection
from guides_processor.engine.ahead import Later, ahead_parts
from guides_processor.engine.selection import Chunk, Fingerprints, Walk, merged
from tests.content.test_walk import make

# 13 files in walk order: 2 loose in the root (before and after the folders), 11 in 4 folders.
TREE = [
    "0.dita",
    "a/1.dita",
    "a/2.dita",
    "a/b/3.dita",
    "a/b/4.dita",
    "c/5.dita",
    "d/6.dita",
    "d/7.dita",
    "d/e/8.dita",
    "f/9.dita",
    "f/g/10.dita",
    "f/g/11.dita",
    "z.dita",
]


def _walk(root: Path) -> Walk:
    # A window that holds every file: the walk stats each one, as an unchanged rerun's does.
    return Walk(root, [""], frozenset(), frozenset(), (None, None))


def _contents(chunks: list[Chunk]) -> tuple[list[str], int]:
    return [relpath for chunk in chunks for relpath in chunk.pending], sum(
        chunk.walked for chunk in chunks
    )


@pytest.mark.parametrize("size", [1, 2, 3, 5, 100])
def test_the_parts_merged_hold_what_one_walk_holds_in_chunks_of_at_least_the_size(
    tmp_path: Path, size: int
):
    make(tmp_path, TREE)
    walk = _walk(tmp_path)
    whole = list(walk.chunks(Fingerprints(), b"", size))
    parts = walk.parts(b"", 2)
    # Cut at a, c, d, f: five parts, the first holding 0.dita alone, the last z.dita after f.
    assert [stop for _, stop in parts] == [("a",), ("c",), ("d",), ("f",), None]
    run = functools.partial(walk.part_chunks, Fingerprints(), size=size)
    with ahead_parts(parts, 2, processes=2, run=run) as read:
        gathered = list(merged(read, size, walked=size))

    assert _contents(gathered) == _contents(whole) == (sorted(TREE, key=lambda r: r.split("/")), 13)
    assert gathered[-1].cursor is None
    assert all(chunk.walked >= size for chunk in gathered[:-1])
    # Each chunk's cursor is that of its last file: resuming there walks the rest.
    walked = 0
    for chunk in gathered[:-1]:
        walked += chunk.walked
        assert chunk.cursor is not None
        rest = [entry.relpath for entry in content.walk(tmp_path, "", after=chunk.cursor)]
        assert len(rest) == 13 - walked


def test_chunks_are_gathered_until_they_hold_the_size_to_write_or_the_files_walked():
    """Files to write are the pending and the skipped ones; unchanged files are only walked."""
    parts = [
        Chunk(["a"], [], 0, b"1", 1),
        Chunk([], [], 3, b"2", 3),
        Chunk([], [("b", "bad")], 0, b"3", 1),  # 2 to write: a, b
        Chunk([], [], 5, b"4", 5),
        Chunk(["c"], [], 0, b"5", 1),  # 6 walked: 5 unchanged and c
        Chunk([], [], 2, b"6", 2),
    ]
    gathered = [
        (chunk.pending, chunk.skipped, chunk.unchanged, chunk.cursor, chunk.walked)
        for chunk in merged(parts, 2, walked=6)
    ]
    assert gathered == [
        (["a"], [("b", "bad")], 3, b"3", 5),
        (["c"], [], 5, b"5", 6),
        ([], [], 2, None, 2),  # the last one has no cursor
    ]


def test_a_resumed_walk_is_cut_after_its_cursor(tmp_path: Path):
    make(tmp_path, TREE)
    walk = _walk(tmp_path)
    cursor = content.cursor_of(("d", "6.dita"))
    parts = walk.parts(cursor, 2)
    assert parts == [(cursor, ("f",)), (content.cursor_of(("f",)), None)]
    run = functools.partial(walk.part_chunks, Fingerprints(), size=100)
    with ahead_parts(parts, 2, processes=2, run=run) as read:
        (chunk,) = list(merged(read, 100, walked=100))
    # The six files after d/6.dita: d/7, d/e/8, f/9, f/g/10, f/g/11, z.
    assert chunk.pending == TREE[7:]


def test_only_a_walk_that_looks_at_each_file_is_cut(tmp_path: Path):
    make(tmp_path, TREE)
    listing = Walk(tmp_path, [""], frozenset(), frozenset(), (None, None))
    assert not listing.reads_files(Fingerprints())
    known = Fingerprints()
    known.add("a/1.dita", 1, 1.0, "DITATOPIC")
    assert listing.reads_files(known)
    typed = Walk(tmp_path, [""], frozenset(), frozenset({"DITATOPIC"}), (None, None))
    assert typed.reads_files(Fingerprints())


@pytest.mark.django_db
def test_an_unchanged_rerun_cut_into_parts_and_tasks_counts_every_file_once(
    write_tree, monkeypatch
):
    """Each task of the calculation writes one chunk of one file (a clock past every deadline),
    so the parts' chunks are read across tasks; one file changed in the middle is processed."""
    from tests.engine.test_unchanged_rerun import _Later, run
    from tests.engine.trees import topic

    root = write_tree({f"docs/{relpath}": topic(f"t{n}", "T") for n, relpath in enumerate(TREE)})
    assert run(skip_processed=False).processed_count == 13
    (root / "docs/d/e/8.dita").write_text(topic("t8", "Changed title"))
    used: list[int] = []

    def counted(parts, depth, *, processes, later, run):
        used.append(len(parts))
        return ahead_parts(parts, depth, processes=processes, later=later, run=run)

    monkeypatch.setattr(calculation, "ahead_parts", counted)
    monkeypatch.setattr(calculation, "_CALCULATION_CHUNK", 1)
    monkeypatch.setattr(calculation, "time", _Later)

    rerun = run(skip_processed=True)

    assert (rerun.total_files, rerun.processed_count, rerun.skipped_count) == (13, 1, 12)
    assert list(rerun.items.values_list("relpath", flat=True)) == ["docs/d/e/8.dita"]
    # Cut at docs' folders in the first task, and after each later task's cursor.
    assert used[0] == 5 and len(used) > 1


def _judged_parts(
    root: Path,
    previous: Fingerprints | Later[Fingerprints],
    parts: Sequence[selection.Part] = selection.WHOLE,
) -> list[list[tuple[str, str, int]]]:
    """(relpath, verdict, files it stands for) of each thing the selection yields, by part."""
    return [
        [(entry.relpath, verdict, entry.count) for entry, verdict, _ in part]
        for part in selection.select(
            root,
            [""],
            excluded=frozenset(),
            types=frozenset(),
            window=(None, None),
            previous=previous,
            parts=parts,
        )
    ]


def _judged(root: Path, previous: Fingerprints | Later[Fingerprints]) -> list[tuple[str, str, int]]:
    """(relpath, verdict, files it stands for) of each thing the selection yields."""
    return [judged for part in _judged_parts(root, previous) for judged in part]


def _known(root: Path, *folders: str) -> Fingerprints:
    known = Fingerprints()
    for entry in content.walk(root, "", with_mtime=True):
        if entry.relpath.startswith(folders):
            known.add(entry.relpath, entry.size, entry.mtime, "DITATOPIC")
    return known


def test_a_walk_with_fingerprints_counts_the_unchanged_files_in_tallies(tmp_path: Path):
    """a/ (4 files) and f/ (3) unchanged: a tally ends before whatever the walk meets next
    that is not a file (a folder: a/b/, c/, f/g/) or before a file to process (z.dita)."""
    make(tmp_path, TREE)
    known = _known(tmp_path, "a/", "f/")
    assert len(known) == 7
    assert _judged(tmp_path, known) == [
        ("0.dita", selection.PROCESS, 1),
        ("", selection.UNCHANGED, 2),  # a/1, a/2
        ("", selection.UNCHANGED, 2),  # a/b/3, a/b/4
        ("c/5.dita", selection.PROCESS, 1),
        ("d/6.dita", selection.PROCESS, 1),
        ("d/7.dita", selection.PROCESS, 1),
        ("d/e/8.dita", selection.PROCESS, 1),
        ("", selection.UNCHANGED, 1),  # f/9
        ("", selection.UNCHANGED, 2),  # f/g/10, f/g/11
        ("z.dita", selection.PROCESS, 1),
    ]
    # Chunks of 3 files walked, each with the cursor of its last one (a tally's last file).
    walked = [
        (chunk.pending, chunk.unchanged, chunk.walked, chunk.cursor)
        for chunk in _walk(tmp_path).chunks(known, b"", 3)
    ]
    assert walked == [
        (["0.dita"], 2, 3, content.cursor_of(("a", "2.dita"))),
        (["c/5.dita"], 2, 3, content.cursor_of(("c", "5.dita"))),
        (["d/6.dita", "d/7.dita", "d/e/8.dita"], 0, 3, content.cursor_of(("d", "e", "8.dita"))),
        ([], 3, 3, content.cursor_of(("f", "g", "11.dita"))),
        (["z.dita"], 0, 1, None),
    ]


def test_a_tally_is_at_most_the_walks_tally_size(tmp_path: Path, monkeypatch):
    make(tmp_path, [f"{number}.dita" for number in range(7)])
    monkeypatch.setattr(content, "_TALLY", 3)
    counts = [count for _, _, count in _judged(tmp_path, _known(tmp_path, ""))]
    assert counts == [3, 3, 1]


def test_a_walk_with_fingerprints_to_come_holds_what_it_walked_and_loses_none(
    tmp_path: Path, monkeypatch
):
    """The walk looks whether they have come every 2 entries (here they come at the first
    look): the 2 entries held are judged one by one, the files walked after are counted in
    tallies, as with the fingerprints in hand."""
    make(tmp_path, TREE)
    known = _known(tmp_path, "a/", "f/")
    monkeypatch.setattr(selection, "_LOOK_EVERY", 2)
    asked: list[int] = []

    def read() -> Fingerprints:
        asked.append(1)
        return known

    late = _judged(tmp_path, Later(read))
    assert late == [
        ("0.dita", selection.PROCESS, 1),
        ("a/1.dita", selection.UNCHANGED, 1),  # held, judged by the selection
        ("", selection.UNCHANGED, 1),  # a/2, counted by the walk from then on
        ("", selection.UNCHANGED, 2),
        ("c/5.dita", selection.PROCESS, 1),
        ("d/6.dita", selection.PROCESS, 1),
        ("d/7.dita", selection.PROCESS, 1),
        ("d/e/8.dita", selection.PROCESS, 1),
        ("", selection.UNCHANGED, 1),
        ("", selection.UNCHANGED, 2),
        ("z.dita", selection.PROCESS, 1),
    ]
    assert asked == [1]


class _SlowLater(Later[Fingerprints]):
    """Fingerprints that have come at the ``looks``-th look, counted."""

    def __init__(self, value: Fingerprints, looks: int) -> None:
        super().__init__(lambda: value)
        self.looks, self.looked = looks, 0

    def ready(self) -> bool:
        self.looked += 1
        return self.looked >= self.looks


def test_a_walk_in_parts_goes_on_into_the_next_parts_while_the_fingerprints_are_to_come(
    tmp_path: Path, monkeypatch
):
    """Five parts: [0], [a/1, a/2, a/b/3, a/b/4], [c/5], [d/6, d/7, d/e/8], [f/9, f/g/10,
    f/g/11, z]. A look every 2 entries, the fingerprints there at the third look: the walk has
    then walked 6 entries over three parts (the first part ended after one). Those held are
    judged one by one (a/* unchanged each, where the fingerprints in hand make a/2 to a/b/4
    tallies); the files walked after are counted in tallies (f/g/*: a part's first file comes
    on its own either way), and each part's verdicts are its own."""
    make(tmp_path, TREE)
    monkeypatch.setattr(selection, "_LOOK_EVERY", 2)
    walk = _walk(tmp_path)
    later = _SlowLater(_known(tmp_path, "a/", "f/"), looks=3)
    judged = _judged_parts(tmp_path, later, walk.parts(b"", 2))
    assert later.looked == 3
    unchanged, process = selection.UNCHANGED, selection.PROCESS
    assert judged == [
        [("0.dita", process, 1)],
        [
            (relpath, unchanged, 1)
            for relpath in ("a/1.dita", "a/2.dita", "a/b/3.dita", "a/b/4.dita")
        ],
        [("c/5.dita", process, 1)],
        [("d/6.dita", process, 1), ("d/7.dita", process, 1), ("d/e/8.dita", process, 1)],
        [("f/9.dita", unchanged, 1), ("", unchanged, 2), ("z.dita", process, 1)],
    ]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="a system that can fork")
def test_walking_processes_walk_their_later_parts_while_the_fingerprints_are_read(
    tmp_path: Path, monkeypatch
):
    """Two processes over the five parts: the first walks parts 0, 2 and 4. Part 0 holds one
    file; the fingerprints are made only once that process has begun a later part (each
    process marks the parts it begins in ``begun``), or after 10 s."""
    root = tmp_path / "tree"
    make(root, TREE)
    begun = tmp_path / "begun"
    begun.mkdir()
    walk_folder = content.walk

    def marking_walk(*args, **kwargs):
        (begun / f"{os.getpid()}-{kwargs.get('after', b'').hex() or 'start'}").touch()
        return walk_folder(*args, **kwargs)

    monkeypatch.setattr(content, "walk", marking_walk)
    known = _known(root, "a/", "f/")
    seen: list[int] = []

    def read() -> Fingerprints:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            by_process = collections.Counter(name.split("-")[0] for name in os.listdir(begun))
            if max(by_process.values(), default=0) >= 2:
                break
            time.sleep(0.01)
        seen.append(max(by_process.values(), default=0))
        return known

    walk = _walk(root)
    parts = walk.parts(b"", 2)
    run = functools.partial(walk.part_chunks, Later(read), size=100)
    later = run.args[0]
    with ahead_parts(parts, 2, processes=2, later=later, run=run) as read_chunks:
        (chunk,) = list(merged(read_chunks, 100, walked=100))
    assert seen and seen[0] >= 2
    assert chunk.pending == ["0.dita", "c/5.dita", "d/6.dita", "d/7.dita", "d/e/8.dita", "z.dita"]
    assert (chunk.unchanged, chunk.walked) == (7, 13)


def test_fingerprints_say_a_file_is_unchanged_only_at_its_size_and_mtime():
    found = Fingerprints()
    found.add("a/1.dita", 120, 1_700_000_000.25, "DITATOPIC")
    found.add("a/2.ditamap", 2**40, 1_700_000_000.5, "DITAMAP")
    found.add("a/3.png", 7, None, "OTHERS")  # no mtime: never unchanged
    assert len(found) == 2
    assert found.unchanged("a/1.dita", 120, 1_700_000_000.25) == "DITATOPIC"
    assert found.unchanged("a/2.ditamap", 2**40, 1_700_000_000.5) == "DITAMAP"
    assert found.unchanged("a/1.dita", 121, 1_700_000_000.25) is None
    # The next float after the mtime: a write within the same second, in finer time.
    assert found.unchanged("a/1.dita", 120, 1_700_000_000.2500002) is None
    assert found.unchanged("a/3.png", 7, 0.0) is None
    assert found.unchanged("a/4.dita", 120, 1_700_000_000.25) is None
    # The size and time of another file are not this one's.
    assert found.unchanged("a/1.dita", 2**40, 1_700_000_000.5) is None
