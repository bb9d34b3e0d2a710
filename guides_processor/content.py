"""The content repository on disk, seen as the virtual tree ``/content/dam``.

Every path that comes in (API, form, command line) goes through :func:`normalize_path`. The walk
(:func:`walk`) is deterministic (children sorted by the bytes of their names), never follows
symbolic links, and turns what it cannot process (unreadable folders, names that are not UTF-8,
links, special files) into entries with a ``problem`` instead of failing. Hidden names (starting
with ``.``, such as ``.git``) are not part of the repository and are passed over.
"""

import bisect
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

VIRTUAL_ROOT = "/content/dam"


class ContentPathError(ValueError):
    """A path that was given to us is not acceptable. ``field`` names where it came from."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def normalize_path(raw: object, *, field: str = "path") -> str:
    """Return the canonical virtual path for ``raw``, or raise ContentPathError.

    A missing leading ``/`` is added, repeated and trailing slashes are dropped; ``.`` and ``..``
    segments, hidden names (``.git``), control characters and anything outside ``/content/dam``
    are refused.
    """
    if not isinstance(raw, str):
        raise ContentPathError(field, "must be a string such as /content/dam/my-folder.")
    text = raw.strip()
    if not text:
        raise ContentPathError(field, "must not be empty; use /content/dam or a folder below it.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ContentPathError(field, "contains control characters.")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        # A lone surrogate (from a JSON escape or an argument that is not UTF-8) names no file.
        raise ContentPathError(
            field, "contains a lone surrogate, which is not text of any file name."
        )
    if "\\" in text:
        raise ContentPathError(field, f"{text!r} contains a backslash; separate folders with '/'.")
    segments = [segment for segment in text.split("/") if segment]
    if any(segment in {".", ".."} for segment in segments):
        raise ContentPathError(
            field, f"{text!r} contains '.' or '..' segments, which are not allowed."
        )
    path = "/" + "/".join(segments)
    if path != VIRTUAL_ROOT and not path.startswith(VIRTUAL_ROOT + "/"):
        raise ContentPathError(field, f"{text!r} is outside {VIRTUAL_ROOT}.")
    # The walk passes over hidden names (as git and editors keep their own files there): a run
    # of a hidden folder would make assets that the next run of its parent marks deleted.
    hidden = next((segment for segment in segments if segment.startswith(".")), None)
    if hidden is not None:
        raise ContentPathError(
            field,
            f"{text!r} goes through {hidden!r}, a hidden name (it starts with '.'): hidden "
            "files and folders are not part of the repository.",
        )
    return path


def to_relpath(virtual_path: str) -> str:
    """``/content/dam/a/b`` -> ``a/b``; the root itself is ``""``. Expects a normalised path."""
    return virtual_path[len(VIRTUAL_ROOT) :].lstrip("/")


def to_virtual(relpath: str) -> str:
    return f"{VIRTUAL_ROOT}/{relpath}" if relpath else VIRTUAL_ROOT


def is_within(path: str, folder: str) -> bool:
    """Whether virtual ``path`` is ``folder`` or lies below it."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


class PathSet:
    """Normalised virtual paths (or relpaths), asked which of them contains a path or lies
    inside it: O(depth + log n) a question, where comparing with each took O(n) (10,000 paths
    given to a request compared pairwise: 50 million comparisons).

    A path's containers are found by looking each folder on its way up in a set; what lies
    inside it, by bisection in the sorted list of the members as folders (``a/``): what starts
    with ``a/`` sorts together there (``a-b/``, ``a.dita/`` before it, ``a0/`` after).
    """

    def __init__(self, paths: Iterable[str] = ()) -> None:
        self._members: set[str] = set()
        self._keys: list[str] = []
        for path in paths:
            self.add(path)

    def __len__(self) -> int:
        return len(self._members)

    def __contains__(self, path: object) -> bool:
        return path in self._members

    def add(self, path: str) -> None:
        if path not in self._members:
            self._members.add(path)
            bisect.insort(self._keys, path + "/")

    def containing(self, path: str) -> str | None:
        """The member that is ``path`` or the nearest folder above it, or None."""
        candidate = path
        while candidate:
            if candidate in self._members:
                return candidate
            candidate = candidate.rpartition("/")[0]
        return "" if "" in self._members else None

    def above(self, path: str) -> str | None:
        """The nearest member strictly above ``path`` (a folder that holds it), or None."""
        return self.containing(path.rpartition("/")[0])

    def overlapping(self, path: str) -> str | None:
        """A member that contains ``path`` (or is it), or else one inside it, or None."""
        above = self.containing(path)
        if above is not None:
            return above
        key = path + "/" if path else ""  # the root ("" as a relpath) holds every member
        index = bisect.bisect_left(self._keys, key)
        if index < len(self._keys) and self._keys[index].startswith(key):
            return self._keys[index][:-1]
        return None


def resolve_folder(root: Path, virtual_path: str, *, field: str = "path") -> Path:
    """The real folder for a normalised virtual path, or ContentPathError.

    The folder must exist, be a folder, and no part of it may be a symbolic link: links are
    never followed, so a link can neither lead out of the root nor into a second copy of it.
    """
    relpath = to_relpath(virtual_path)
    current = root
    if not root.is_dir():
        raise ContentPathError(field, f"the content root {root} does not exist on the server.")
    for segment in relpath.split("/") if relpath else []:
        current = current / segment
        try:
            info = current.lstat()
        except FileNotFoundError:
            raise ContentPathError(field, f"{virtual_path} does not exist.") from None
        except OSError as exc:
            raise ContentPathError(
                field, f"{virtual_path} cannot be read: {exc.strerror}."
            ) from None
        if stat.S_ISLNK(info.st_mode):
            raise ContentPathError(
                field,
                f"{to_virtual(str(current.relative_to(root)))} is a symbolic link, "
                "which is never followed.",
            )
        if not stat.S_ISDIR(info.st_mode):
            raise ContentPathError(field, f"{virtual_path} is not a folder.")
    return current


def resolve_target(root: Path, virtual_path: str, *, field: str = "path") -> Path:
    """The real folder or regular file for a normalised virtual path, or ContentPathError.

    What an execution may process: a folder (as ``resolve_folder`` checks it) or one file in
    one. Links are refused as there, and so are special files.
    """
    if virtual_path == VIRTUAL_ROOT:
        return resolve_folder(root, virtual_path, field=field)
    parent, _, name = virtual_path.rpartition("/")
    current = resolve_folder(root, parent, field=field) / name
    try:
        info = current.lstat()
    except FileNotFoundError:
        raise ContentPathError(field, f"{virtual_path} does not exist.") from None
    except OSError as exc:
        raise ContentPathError(field, f"{virtual_path} cannot be read: {exc.strerror}.") from None
    if stat.S_ISLNK(info.st_mode):
        raise ContentPathError(
            field, f"{virtual_path} is a symbolic link, which is never followed."
        )
    if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
        raise ContentPathError(field, f"{virtual_path} is neither a folder nor a regular file.")
    return current


@dataclass(frozen=True, slots=True)
class Folder:
    name: str
    path: str
    has_children: bool


def _sub_folders(folder: Path) -> Iterator[os.DirEntry[str]]:
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(".") or not is_utf8(entry.name):
                continue
            if entry.is_dir(follow_symlinks=False):
                yield entry


def list_folders(root: Path, virtual_path: str) -> list[Folder]:
    """The sub-folders of a folder (for the folder picker), sorted, each with a has-children flag.

    Raises ContentPathError when the folder is not acceptable or cannot be read.
    """
    folder = resolve_folder(root, virtual_path)
    try:
        children = sorted(_sub_folders(folder), key=attrgetter("name"))
    except OSError as exc:
        raise ContentPathError("path", f"{virtual_path} cannot be read: {exc.strerror}.") from None
    result = []
    for entry in children:
        try:
            has_children = next(_sub_folders(Path(entry.path)), None) is not None
        except OSError:
            has_children = False
        result.append(Folder(entry.name, f"{virtual_path}/{entry.name}", has_children))
    return result


def is_utf8(name: str) -> bool:
    """Whether a name read from the file system is UTF-8 (one that is not comes back with
    surrogates, which no relpath holds: the walk passes over it, saying so)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(name: str) -> str:
    """A name as text that can be stored and shown, with bytes that are not UTF-8 escaped."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


# Not frozen: a frozen dataclass sets each field through object.__setattr__, and creating an
# entry per file was then a quarter of the walk (100,000 files: 0.197 s -> 0.149 s, next to a
# bare os.scandir walk's 0.115 s).
@dataclass(slots=True)
class WalkEntry:
    """One file found by the walk, or one thing it had to pass over (``problem`` set), or a
    tally of ``count`` files it found unchanged (no relpath; ``parts`` are the last one's).

    ``cursor`` orders entries as the walk yields them; handing the last one back to ``walk(after=)``
    resumes just after it.
    """

    relpath: str
    parts: tuple[str, ...]
    problem: str = ""
    mtime: float = 0.0
    size: int = 0
    count: int = 1

    @property
    def cursor(self) -> bytes:
        return cursor_of(self.parts)


def cursor_of(parts: tuple[str, ...]) -> bytes:
    """The cursor of a relpath's parts: ``walk(after=)`` resumes after that file, or at the start
    of that folder's contents."""
    # NUL cannot occur in a file name, so joining with it keeps the component order intact:
    # comparing joined cursors compares the component tuples. Names that are not UTF-8 come
    # back from the OS with surrogates, which surrogateescape turns back into their bytes.
    return b"\0".join(part.encode("utf-8", "surrogateescape") for part in parts)


def parts_of(cursor: bytes) -> tuple[str, ...]:
    """The parts a cursor names (``cursor_of``'s inverse); none for the empty cursor."""
    if not cursor:
        return ()
    return tuple(part.decode("utf-8", "surrogateescape") for part in cursor.split(b"\0"))


_Listing = Iterator[os.DirEntry[str]]


def _listing(path: str) -> _Listing:
    """A folder's entries (hidden names left out), sorted by name.

    Code-point order of the names is the byte order of their UTF-8 encoding, so it does not
    depend on the locale.
    """
    with os.scandir(path) as scan:
        entries = [entry for entry in scan if entry.name[0] != "."]
    entries.sort(key=attrgetter("name"))
    return iter(entries)


# One generator over a stack of listings, the common case first and inline: a call per entry
# would cost the walk of a large tree much of its speed.
def walk(  # noqa: C901
    root: Path,
    relfolder: str,
    *,
    excluded: frozenset[str] = frozenset(),
    after: bytes = b"",
    before: tuple[str, ...] | None = None,
    with_mtime: bool = False,
    unchanged: Callable[[str, int, float], bool] | None = None,
) -> Iterator[WalkEntry]:
    """Yield every file below ``root/relfolder`` in a fixed order, after cursor ``after`` and
    before the parts ``before`` (a folder: ``cut_points``).

    ``excluded`` holds relpaths of folders whose contents are left out. The order is depth-first
    with each folder's entries sorted by the bytes of their names, so it is the lexicographic
    order of the component tuples and a cursor can skip whole sub-trees on resume. One generator
    with a stack of open folders: a tree of 100,000 files is walked in about twice the time of a
    bare ``os.scandir`` walk. With ``with_mtime`` each file is stat'ed (without following links)
    and its entry carries its ``mtime`` and ``size``.

    Files for which ``unchanged(relpath, size, mtime)`` is true (with ``with_mtime``) are not
    yielded one by one but counted, in tallies of at most ``_TALLY`` files (``WalkEntry.count``),
    each yielded before the next entry: an unchanged rerun makes no entry for them (a walk of
    100,000 unchanged files, judged and counted in chunks, took 0.65 to 0.71 s with an entry
    each, 0.54 to 0.57 s so: three runs of each, alternating).
    """
    resume = parts_of(after)
    start = os.path.join(root, relfolder) if relfolder else str(root)
    prefix = tuple(relfolder.split("/")) if relfolder else ()
    # Whether a listing's folder is on the way to ``before`` (its names are compared with it).
    cuts = before or ()
    edge = False
    if before is not None:
        head = before[: len(prefix)]
        if prefix > head or prefix == before:
            return  # all of it sorts at or after ``before``
        edge = prefix == head
    single = _single_file(start, relfolder, prefix, resume, with_mtime) if relfolder else None
    if single is not None:
        # An execution of one file: its manifest is that file (or nothing, once past it).
        if single.relpath:
            yield single
        return
    stack: list[tuple[_Listing, str, tuple[str, ...], bool]] = []
    try:
        stack.append((_listing(start), relfolder, prefix, edge))
    except OSError as exc:
        if not resume or prefix > resume:
            yield _unreadable(relfolder, prefix, exc)
    tally = 0
    last: tuple[tuple[str, ...], str] = ((), "")  # the tally's last file: its folder, its name
    while stack:
        listing, folder, parts, edge = stack[-1]
        entry = next(listing, None)
        if entry is None:
            stack.pop()
            continue
        name = entry.name
        if edge:
            cut = cuts[len(parts)]
            if name > cut or (name == cut and len(parts) + 1 == len(cuts)):
                break  # it and all that follows sort at or after ``before``
        if not resume and name.isascii():
            # The common case, first: a regular file with a plain name (no cursor to compare).
            try:
                regular = entry.is_file(follow_symlinks=False)
                info = entry.stat(follow_symlinks=False) if regular and with_mtime else None
            except OSError:
                regular = False  # the slow path below says why
            if regular:
                relpath = f"{folder}/{name}" if folder else name
                if info is None:
                    yield WalkEntry(relpath, (*parts, name))
                elif unchanged is not None and unchanged(relpath, info.st_size, info.st_mtime):
                    tally += 1
                    last = (parts, name)
                    if tally == _TALLY:
                        yield _tally(last, tally)
                        tally = 0
                else:
                    if tally:
                        yield _tally(last, tally)
                        tally = 0
                    yield WalkEntry(relpath, (*parts, name), mtime=info.st_mtime, size=info.st_size)
                continue
        if tally:  # whatever comes next comes after the files counted
            yield _tally(last, tally)
            tally = 0
        entry_parts = (*parts, name)
        if resume:
            if entry_parts < resume[: len(entry_parts)]:
                continue  # this whole entry sorts before the cursor: done in an earlier run
            if entry_parts > resume[: len(entry_parts)]:
                # It sorts after the cursor, and so does all that follows: the rest of the walk
                # takes the common case's path again (with a cursor every entry took this one:
                # a walk resumed at its first file took 1.6 times as long).
                resume = ()
        relpath = f"{folder}/{name}" if folder else name
        utf8 = name.isascii() or is_utf8(name)
        try:
            is_link = entry.is_symlink()
            is_dir = not is_link and entry.is_dir(follow_symlinks=False)
        except OSError as exc:
            yield WalkEntry(_printable(relpath), entry_parts, f"cannot be read: {exc.strerror}")
            continue
        if is_dir:
            if relpath in excluded:
                continue
            if not utf8:
                if not resume or entry_parts > resume:
                    yield WalkEntry(
                        _printable(relpath) + "/",
                        entry_parts,
                        "folder name is not valid UTF-8; its contents were not processed",
                    )
                continue
            try:
                on_edge = edge and name == cuts[len(parts)]
                stack.append((_listing(entry.path), relpath, entry_parts, on_edge))
            except OSError as exc:
                if not resume or entry_parts > resume:  # else reported by an earlier run
                    yield _unreadable(relpath, entry_parts, exc)
            continue
        if resume and entry_parts <= resume:
            continue
        if not utf8:
            yield WalkEntry(_printable(relpath), entry_parts, "file name is not valid UTF-8")
        elif is_link:
            yield WalkEntry(relpath, entry_parts, "symbolic link, not followed")
        else:
            try:
                regular = entry.is_file(follow_symlinks=False)
                info = entry.stat(follow_symlinks=False) if regular and with_mtime else None
            except OSError as exc:
                yield WalkEntry(relpath, entry_parts, f"cannot be read: {exc.strerror}")
                continue
            if info is not None:
                yield WalkEntry(relpath, entry_parts, mtime=info.st_mtime, size=info.st_size)
            elif regular:
                yield WalkEntry(relpath, entry_parts)
            else:
                yield WalkEntry(relpath, entry_parts, "not a regular file")
    if tally:
        yield _tally(last, tally)


def _tally(last: tuple[tuple[str, ...], str], count: int) -> WalkEntry:
    """The entry of ``count`` unchanged files whose last is ``last`` (its folder, its name)."""
    folder, name = last
    return WalkEntry("", (*folder, name), count=count)


# Files found unchanged counted in one tally at most (``walk``): a chunk of the calculation
# ends at most this far past its size.
_TALLY = 1000


def _single_file(
    path: str, relpath: str, parts: tuple[str, ...], resume: tuple[str, ...], with_mtime: bool
) -> WalkEntry | None:
    """The entry of ``path`` when it is a regular file (an empty relpath once the cursor is past
    it), None when it is anything else (the walk then lists it as a folder, or says why not)."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    if resume and parts <= resume:
        return WalkEntry("", parts)
    if not with_mtime:
        return WalkEntry(relpath, parts)
    return WalkEntry(relpath, parts, mtime=info.st_mtime, size=info.st_size)


# Levels of folders ``cut_points`` looks down for enough of them.
_CUT_LEVELS = 4


def cut_points(
    root: Path, relfolder: str, *, excluded: frozenset[str], least: int, after: bytes = b""
) -> list[tuple[str, ...]]:
    """Folders at which the walk of ``root/relfolder`` can be cut into parts walked apart: the
    part from one of them to the next is ``walk(after=cursor_of(cut))`` up to the next cut.

    They are the parts of the folders of the first level below ``relfolder`` that holds at least
    ``least`` of them (else of the level, of the first few, that holds the most), in walk order,
    and after the cursor ``after``. Excluded folders, links and names that are not UTF-8 are no
    cut points (the walk says what it does with them). A file, or a folder that cannot be read,
    has none.
    """
    resume = parts_of(after)
    start = os.path.join(root, relfolder) if relfolder else str(root)
    level = [(start, tuple(relfolder.split("/")) if relfolder else ())]
    cuts: list[tuple[str, ...]] = []
    for _ in range(_CUT_LEVELS):
        below = []
        for path, parts in level:
            try:
                listing = _listing(path)
            except OSError:
                continue
            for entry in listing:
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                cut = (*parts, entry.name)
                if is_dir and "/".join(cut) not in excluded and is_utf8(entry.name):
                    below.append((entry.path, cut))
        if len(below) <= len(cuts):
            break  # no more folders a level down (the tree narrows): these cut it best
        level = below
        cuts = [parts for _, parts in level]
        if len(cuts) >= least:
            break
    return [parts for parts in cuts if parts > resume]


def _unreadable(relfolder: str, parts: tuple[str, ...], exc: OSError) -> WalkEntry:
    return WalkEntry(
        (relfolder + "/") if relfolder else "/",
        parts,
        f"folder could not be read: {exc.strerror}",
    )
