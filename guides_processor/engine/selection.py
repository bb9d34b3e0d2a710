"""What the calculation does with each file its walk meets, and the walk in chunks for the
manifest.

Nothing here touches the database: the fingerprints an unchanged rerun compares (``previous``)
are read by the calculation, and the chunks are written by it.
"""

import itertools
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import content, processing
from .ahead import Later, PartEnd

# What the calculation decides for each file it walks (``select``).
PROCESS = "process"  # into the manifest (a file the walk passed over, too: it is written skipped)
UNCHANGED = "unchanged"  # counted and skipped: unchanged since its last successful processing
LEFT_OUT = "left out"  # outside the type or time filter: not part of the execution

# What ``select`` says of a file: (entry, verdict, asset type when known, else None).
Judged = tuple[content.WalkEntry, str, str | None]


class Fingerprints:
    """The size, modification time and type of each asset's last successful processing, by
    relpath: what an unchanged rerun compares each file with (``select``).

    Compact, for a repository of a million assets: one entry of a dict of ints each, the hash
    of (relpath, size, mtime) to the number of the type. A dict of relpath to (size, mtime, type)
    took 340 bytes an asset (34 MB per 100,000 assets, and a million-file unchanged rerun's
    calculating process peaked at 442 MB); this takes 78 (192 MB), and a look-up hashes one
    tuple.

    For one relpath, another size or mtime is another hash: CPython's tuple hash, given its first
    elements, is a bijection of each later element's hash, and the hash of an int or a float
    differs for every size and every modification time after 1970. Two different relpaths can
    meet only by a 64-bit collision (about one chance in 18 million million per file looked up,
    in a million-asset repository): the file would then be taken as unchanged. The hash of a str
    is the process's own: the fingerprints are compared in the process that read them, or in one
    forked from it.
    """

    def __init__(self) -> None:
        self._found: dict[int, int] = {}
        # The hashes of assets recorded without their type (``extend_untyped``).
        self._untyped: set[int] = set()
        self._numbers: dict[str, int] = {}
        self._types: list[str] = []

    def __len__(self) -> int:
        return len(self._found) + len(self._untyped)

    def add(self, relpath: str, size: int | None, mtime: float | None, asset_type: str) -> None:
        """Record an asset's last successful processing (without a size or an mtime it is never
        unchanged: nothing is recorded)."""
        if size is not None and mtime is not None:
            self.extend([(relpath, size, mtime, asset_type)])

    def extend(self, rows: Iterable[tuple[str, int, float, str]]) -> None:
        """Record many assets' last successful processing at once, as (relpath, size, mtime,
        type), each with a size and an mtime: 100,000 in 0.03 s, where one ``add`` a row took
        0.09 s."""
        numbers = self._numbers
        self._found.update(
            {
                hash((relpath, size, mtime)): numbers.setdefault(asset_type, len(numbers))
                for relpath, size, mtime, asset_type in rows
            }
        )
        self._types = list(numbers)  # in the order of their numbers: a dict keeps its order

    def extend_untyped(self, rows: Iterable[tuple[str, int, float]]) -> None:
        """Record many assets' last successful processing without their type, as (relpath,
        size, mtime) tuples: what a walk needs where no type filter asks for the type. Each row
        is hashed as it is, without a line of Python per row: 100,000 rows read and recorded in
        0.067 s on PostgreSQL and 0.077 s on SQLite, where reading the type too and ``extend``
        took 0.090 s and 0.102 s (best of seven each, one database of each)."""
        self._untyped.update(map(hash, rows))

    def take(self, other: "Fingerprints") -> None:
        """Hold what ``other`` holds (what asks this one, such as a walk given ``known``, then
        asks those)."""
        self._found, self._numbers, self._types = other._found, other._numbers, other._types
        self._untyped = other._untyped

    def known(self, relpath: str, size: int, mtime: float) -> bool:
        """Whether ``relpath`` is unchanged at this size and mtime (``unchanged`` is not None)."""
        key = hash((relpath, size, mtime))
        return key in self._untyped or key in self._found

    def unchanged(self, relpath: str, size: int, mtime: float) -> str | None:
        """The type recorded for ``relpath`` when its size and mtime are those recorded (``""``
        where it was recorded without its type), else None."""
        key = hash((relpath, size, mtime))
        if key in self._untyped:
            return ""
        number = self._found.get(key)
        return None if number is None else self._types[number]


def walk_order(relfolders: Iterable[str]) -> list[str]:
    """The relpaths in the order their files come in the walk: by their parts, as the cursor
    compares them (``content.walk``)."""
    return sorted(relfolders, key=lambda relfolder: tuple(relfolder.split("/")))


# A part of the walk: the cursor it starts after, and the parts of the folder it stops before
# (None: the walk's end).
Part = tuple[bytes, tuple[str, ...] | None]
# The whole walk, as one part.
WHOLE: tuple[Part] = ((b"", None),)


def select(
    root: Path,
    relfolders: Sequence[str],
    *,
    excluded: frozenset[str],
    types: frozenset[str],
    window: tuple[datetime | None, datetime | None],
    previous: "Fingerprints | Later[Fingerprints]",
    parts: Sequence[Part] = WHOLE,
) -> Iterator[Iterator[Judged]]:
    """Walk the folders (relpaths that do not contain each other) in ``walk_order`` and say for
    each file what the calculation does with it: (entry, verdict, asset type when it was known
    or had to be read for the type filter, else None); for each of the ``parts`` of the walk
    (all of it by default), one after the other, each to be read whole before the next is asked
    for.

    The one place where the filters are applied: the calculation and the dry run of a start
    request both use it, so a preview counts what a run would.

    Fingerprints yet to come (``Later``) are waited for once, not at the end of each part: the
    walk goes on from one part into the next and holds what it walked until they have come
    (``_held``). A process walking every other part of an unchanged rerun of the 100,000
    generated files (24 parts of about 2,000 files) had waited at the end of its first part,
    which held one file, for the 150 ms the fingerprints took to read.
    """
    compare = _compares(previous)
    windowed = window != (None, None)
    with_mtime = windowed or compare
    # With nothing but the fingerprints to judge by, the walk counts the unchanged files itself
    # (tallies, yielded as UNCHANGED); ``counted`` takes in the fingerprints once they have come.
    counted = Fingerprints()
    tallied = compare and not types and not windowed
    if tallied and isinstance(previous, Fingerprints):
        counted = previous

    def walked(after: bytes, before: tuple[str, ...] | None) -> Iterator[content.WalkEntry]:
        return itertools.chain.from_iterable(
            content.walk(
                root,
                relfolder,
                excluded=excluded,
                after=after,
                before=before,
                with_mtime=with_mtime,
                unchanged=counted.known if tallied else None,
            )
            for relfolder in walk_order(relfolders)
        )

    walks: list[Iterable[content.WalkEntry]] = [walked(after, before) for after, before in parts]
    if isinstance(previous, Later):
        # Walk ahead (the stat of each file is most of the work) until they have come.
        walks = _held(previous, walks)
        previous = previous.get()
        counted.take(previous)  # what the walk asks from now on (unasked when not tallied)
    judge = _Judge(root, types, window, previous if compare else None)
    for entries in walks:
        yield judge.verdicts(entries)


@dataclass(frozen=True, slots=True)
class _Judge:
    """What ``select`` says of each entry of a walk, by the filters and the fingerprints
    ``previous`` (None: the files are not compared)."""

    root: Path
    types: frozenset[str]
    window: tuple[datetime | None, datetime | None]
    previous: "Fingerprints | None"

    def verdicts(self, entries: Iterable[content.WalkEntry]) -> Iterator[Judged]:
        types, window, root = self.types, self.window, self.root
        windowed = window != (None, None)
        unchanged = self.previous.unchanged if self.previous is not None else None
        filtered = bool(types) or windowed or unchanged is not None
        for entry in entries:
            if not entry.relpath:  # a tally of unchanged files
                yield entry, UNCHANGED, None
                continue
            if not filtered or entry.problem:
                yield entry, PROCESS, None
                continue
            known = unchanged(entry.relpath, entry.size, entry.mtime) if unchanged else None
            if known is not None:
                # Unchanged: its type is the one recorded then, so it is not read for the filter.
                if (not windowed or _in_window(entry, window)) and (not types or known in types):
                    yield entry, UNCHANGED, known or None
                else:
                    yield entry, LEFT_OUT, known or None
            elif windowed and not _in_window(entry, window):
                yield entry, LEFT_OUT, None
            elif not types:
                yield entry, PROCESS, None
            else:
                # The same decision processing makes, from the same bytes of the file's head.
                asset_type = processing.file_type(root, entry.relpath)
                wanted = asset_type is None or asset_type in types  # unreadable: processing says
                yield entry, PROCESS if wanted else LEFT_OUT, asset_type


def _compares(previous: "Fingerprints | Later[Fingerprints]") -> bool:
    """Whether the walk compares files with ``previous`` (fingerprints to come are compared
    with, whatever they hold)."""
    return isinstance(previous, Later) or bool(previous)


# Entries walked before a look whether late fingerprints have come, and the most held waiting
# for them (then the walk waits: a million-file tree must not be held in memory).
_LOOK_EVERY = 256
_HOLD_AT_MOST = 50_000


def _held(
    later: Later[Fingerprints], walks: Sequence[Iterable[content.WalkEntry]]
) -> list[Iterable[content.WalkEntry]]:
    """The walks of the parts, walked ahead one after the other until ``later`` is ready (or
    they are all walked, or enough entries are held): each as what was walked of it, then the
    rest."""
    held: list[Iterable[content.WalkEntry]] = []
    count = 0
    for index, entries in enumerate(walks):
        walked: list[content.WalkEntry] = []
        iterator = iter(entries)
        for entry in iterator:
            walked.append(entry)
            count += 1
            if count % _LOOK_EVERY == 0 and (count >= _HOLD_AT_MOST or later.ready()):
                return [*held, itertools.chain(walked, iterator), *walks[index + 1 :]]
        held.append(walked)
    return held


def _in_window(entry: content.WalkEntry, window: tuple[datetime | None, datetime | None]) -> bool:
    after, before = window
    if after is not None and entry.mtime < after.timestamp():
        return False
    return before is None or entry.mtime <= before.timestamp()


@dataclass(slots=True)
class Chunk:
    """A chunk of the walk for the manifest: the relpaths to process, those the walk passed over
    (relpath, why), how many were left out unchanged, the cursor of the last file walked (None
    for the walk's last chunk), and how many files were walked (left out ones too).

    Relpaths, not the walk's entries: the entries of the chunks waiting between the walk's thread
    and the writes were walked again and again by Python's cyclic collector. A 100,000-file
    calculation took 0.43 to 0.60 s with them, 0.31 to 0.38 s so (alternating runs)."""

    pending: list[str]
    skipped: list[tuple[str, str]]
    unchanged: int
    cursor: bytes | None
    walked: int = 0

    @property
    def counted(self) -> int:
        """The files this chunk adds to the execution's total (all but those left out)."""
        return len(self.pending) + len(self.skipped) + self.unchanged

    def add(self, later: "Chunk") -> None:
        """Take in the chunk that follows this one in the walk."""
        self.pending += later.pending
        self.skipped += later.skipped
        self.unchanged += later.unchanged
        self.cursor = later.cursor
        self.walked += later.walked


def chunks(
    selected: Iterable[tuple[content.WalkEntry, str, str | None]], size: int, *, last: bool = True
) -> Generator[Chunk, None, None]:
    """The walk in chunks of ``size`` files walked (a little more where a tally of unchanged
    files ends one), then a last one (with no cursor). A part of the walk (``last`` False) ends
    with the cursor of its last file instead, when it has files left over, and yields nothing
    when it has no file."""
    pending: list[str] = []
    skipped: list[tuple[str, str]] = []
    unchanged = 0
    walked = 0
    entry = None
    for entry, verdict, _ in selected:
        walked += entry.count
        if verdict == PROCESS:
            if entry.problem:
                skipped.append((entry.relpath, entry.problem))
            else:
                pending.append(entry.relpath)
        elif verdict == UNCHANGED:
            unchanged += entry.count
        if walked >= size:
            yield Chunk(pending, skipped, unchanged, entry.cursor, walked)
            pending, skipped, unchanged, walked = [], [], 0, 0
    if last:
        yield Chunk(pending, skipped, unchanged, None, walked)
    elif entry is not None and walked:
        yield Chunk(pending, skipped, unchanged, entry.cursor, walked)


def merged(parts: Iterable[Chunk], size: int, *, walked: int) -> Generator[Chunk, None, None]:
    """The chunks of the parts of a walk, in order, gathered into chunks of at least ``size``
    files to write or ``walked`` files walked, whichever comes first, then a last one with no
    cursor.

    A part's last chunk is short, and a chunk of unchanged files has nothing to write: a
    transaction for each would cost. An unchanged rerun of 100,000 files wrote 21 chunks in
    0.06 to 0.11 s with chunks of 5,000 files walked; gathered up to 40,000 files walked, 3.
    """
    held: Chunk | None = None
    for chunk in parts:
        if held is None:
            held = chunk
        else:
            held.add(chunk)
        if len(held.pending) + len(held.skipped) >= size or held.walked >= walked:
            yield held
            held = None
    if held is None:
        held = Chunk([], [], 0, None)
    held.cursor = None
    yield held


@dataclass(frozen=True, slots=True)
class Walk:
    """A calculation's walk: its folders (in ``walk_order``), excluded folders and filters."""

    root: Path
    relfolders: Sequence[str]
    excluded: frozenset[str]
    types: frozenset[str]
    window: tuple[datetime | None, datetime | None]

    def chunks(
        self, previous: "Fingerprints | Later[Fingerprints]", after: bytes, size: int
    ) -> Generator[Chunk, None, None]:
        """The walk's chunks of ``size`` files walked, from the cursor ``after`` (``chunks``)."""
        (selected,) = self._selected(previous, [(after, None)])
        return chunks(selected, size)

    def part_chunks(
        self, previous: "Fingerprints | Later[Fingerprints]", parts: Sequence[Part], size: int
    ) -> Iterator[Chunk | PartEnd]:
        """The chunks of ``size`` files walked of ``parts`` of the walk (see ``parts``), one
        part after the other, each part's ending as ``chunks`` says for a part and followed by
        a ``PartEnd``: what a process walking them hands over (``ahead.ForkedParts``)."""
        for selected in self._selected(previous, parts):
            yield from chunks(selected, size, last=False)
            yield PartEnd()

    def _selected(
        self, previous: "Fingerprints | Later[Fingerprints]", parts: Sequence[Part]
    ) -> Iterator[Iterator[Judged]]:
        return select(
            self.root,
            self.relfolders,
            excluded=self.excluded,
            types=self.types,
            window=self.window,
            previous=previous,
            parts=parts,
        )

    def reads_files(self, previous: "Fingerprints | Later[Fingerprints]") -> bool:
        """Whether the walk does more than list: a stat of each file (for the time window or
        the unchanged files of ``previous``, which are compared with whatever they hold when
        they are yet to come), or a read of its head (for the type filter)."""
        return _compares(previous) or self.window != (None, None) or bool(self.types)

    def parts(self, after: bytes, least: int) -> list[Part]:
        """The walk from the cursor ``after`` cut into parts at folders (``content.cut_points``,
        at least ``least`` of them where the tree has as many): (cursor the part starts after,
        parts of the folder it stops before, None for the last), in walk order."""
        cuts = sorted(
            {
                cut
                for relfolder in self.relfolders
                for cut in content.cut_points(
                    self.root, relfolder, excluded=self.excluded, least=least, after=after
                )
            }
        )
        starts = [after, *(content.cursor_of(cut) for cut in cuts)]
        return list(zip(starts, [*cuts, None], strict=True))
