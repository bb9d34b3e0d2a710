"""The cost of link semantics (``manage.py linkbench``): the finishing pass at scale, and what
the collection of ids, map trees and key text templates costs processing.

``generate_link_repository`` writes a repository of ``books`` root maps, each with chapter maps
(``mapref``), key definitions for all of its topics and a ``product`` key with a keyword, and
topics in folders of at most 1,000 files; every topic has a keyref to a neighbour, an xref with
a fragment into another topic, and one in ten a title that names the ``product`` key.

``run`` then, on a scratch database made like the test database and dropped afterwards:

1. processes the whole repository through an execution run in this process, timing the
   finishing pass (``mark_vanished`` and ``resolve_keys``) apart from the rest;
2. runs an execution of one folder of 1,000 files in that repository, the same way;
3. times ``processing.process`` over every file, as it is and, when ``before`` names a git
   revision, with that revision's ``processing`` package (pure Python, imported from a
   ``git archive`` under another name), the ratio being what the newer collection costs.
"""

import importlib.util
import io
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from django.conf import settings
from django.db import connection

from .. import executions
from ..engine import sql
from .bare import walk

PROJECT = Path(__file__).resolve().parents[2]
FOLDER_FILES = 1000


@dataclass(frozen=True)
class Layout:
    files: int
    books: int
    chapters: int = 10

    @property
    def topics_per_book(self) -> int:
        return max(self.files // self.books - 1 - self.chapters, 1)


def _topic(book: int, index: int, topics: int) -> str:
    other = (index + 1) % topics
    titled = (
        f'<ph keyref="product"/> topic {index}' if index % 10 == 0 else f"Topic {index} of {book}"
    )
    other_folder = other // FOLDER_FILES
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE concept PUBLIC "-//OASIS//DTD DITA Concept//EN" "concept.dtd">\n'
        f'<concept id="t{index}"><title>{titled}</title>'
        f"<shortdesc>Topic {index}.</shortdesc><conbody>"
        f'<p id="p1">See <xref keyref="t{other}"/> and '
        f'<xref href="../f{other_folder:02d}/t{other:05d}.dita#t{other}/p1"/>.</p>'
        f'<p id="p2">Also <xref href="t{index:05d}.dita#t{index}/p9"/>.</p>'
        f"</conbody></concept>\n"
    )


def generate_link_repository(root: Path, *, files: int, books: int) -> Layout:
    """Write the repository described in the module under ``root``; returns its layout."""
    layout = Layout(files, books)
    topics = layout.topics_per_book
    for book in range(books):
        base = root / "books" / f"b{book:02d}"
        for folder in range((topics + FOLDER_FILES - 1) // FOLDER_FILES):
            (base / "topics" / f"f{folder:02d}").mkdir(parents=True, exist_ok=True)
        (base / "maps").mkdir(parents=True, exist_ok=True)
        keys = [
            '<keydef keys="product"><topicmeta><keywords>'
            f"<keyword>Product {book}</keyword></keywords></topicmeta></keydef>"
        ]
        keys += [
            f'<keydef keys="t{index}" href="../topics/f{index // FOLDER_FILES:02d}/'
            f't{index:05d}.dita"/>'
            for index in range(topics)
        ]
        maprefs = [f'<mapref href="maps/c{c:02d}.ditamap"/>' for c in range(layout.chapters)]
        (base / "book.ditamap").write_text(
            f"<map><title>Book {book}</title>"
            f'<mapref href="maps/keys.ditamap"/>{"".join(maprefs)}</map>\n'
        )
        # The key definitions in a map of their own (as teams keep them), referenced first.
        (base / "maps" / "keys.ditamap").write_text(f"<map>{''.join(keys)}</map>\n")
        for chapter in range(layout.chapters - 1):
            refs = "".join(
                f'<topicref href="../topics/f{index // FOLDER_FILES:02d}/t{index:05d}.dita"/>'
                for index in range(chapter, topics, layout.chapters - 1)
            )
            (base / "maps" / f"c{chapter:02d}.ditamap").write_text(
                f"<map><title>Chapter {chapter}</title>{refs}</map>\n"
            )
        for index in range(topics):
            path = base / "topics" / f"f{index // FOLDER_FILES:02d}" / f"t{index:05d}.dita"
            path.write_text(_topic(book, index, topics))
    return layout


@contextmanager
def _timed_finish(times: dict[str, float]) -> Iterator[None]:
    """Time the finishing pass's two statements groups where the finishing module calls them."""
    originals = {name: getattr(sql, name) for name in ("mark_vanished", "resolve_keys")}

    def timer(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - start

        return timed

    for name, function in originals.items():
        setattr(sql, name, timer(name, function))
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(sql, name, function)


def _execution(root: Path, path: str) -> dict[str, Any]:
    times: dict[str, float] = {}
    previous = settings.GUIDES_CONTENT_ROOT
    settings.GUIDES_CONTENT_ROOT = root
    try:
        start = time.perf_counter()
        execution = executions.execution_create(path=path, created_by="linkbench")
        with _timed_finish(times):
            execution = executions.execution_run_inline(processing_id=execution.processing_id)
        seconds = time.perf_counter() - start
    finally:
        settings.GUIDES_CONTENT_ROOT = previous
    finish = sum(times.values())
    return {
        "path": path,
        "status": execution.status,
        "files": execution.total_files,
        "seconds": round(seconds, 2),
        "finish_seconds": round(finish, 3),
        "finish_share": round(finish / seconds, 3),
        "broken": execution.broken_reference_count,
    }


def _processing_package(revision: str) -> ModuleType:
    """The ``processing`` package of a git revision, imported as ``processing_<revision>``."""
    archive = subprocess.run(
        ["git", "archive", revision, "guides_processor/processing"],
        cwd=PROJECT,
        capture_output=True,
        check=True,
    ).stdout
    folder = Path(tempfile.mkdtemp(prefix="linkbench-"))
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    name = "processing_" + "".join(c if c.isalnum() else "_" for c in revision)
    package = folder / "guides_processor" / "processing"
    spec = importlib.util.spec_from_file_location(
        name, package / "__init__.py", submodule_search_locations=[str(package)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def processing_rates(
    root: Path, relpaths: list[str], processes: dict[str, Callable[..., Any]], *, rounds: int = 3
) -> dict[str, float]:
    """Files per second of each ``process`` over ``relpaths``: the best of ``rounds`` runs,
    taken in turns so that the machine's other work and the page cache weigh on each alike
    (a warm-up pass first)."""
    for relpath in relpaths:
        next(iter(processes.values()))(str(root), relpath)
    best = dict.fromkeys(processes, float("inf"))
    for _ in range(rounds):
        for name, process in processes.items():
            start = time.perf_counter()
            for relpath in relpaths:
                process(str(root), relpath)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: round(len(relpaths) / seconds, 1) for name, seconds in best.items()}


def run(
    *,
    files: int,
    books: int,
    before: str | None,
    repository: Path | None,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Measure as the module says; returns the report."""
    from .. import processing

    root = repository or Path(tempfile.mkdtemp(prefix="linkbench-")) / "content"
    if not (root / "books").is_dir():
        say(f"generating {files:,} files with {books} root maps in {root}")
        generate_link_repository(root, files=files, books=books)
    relpaths = walk(str(root))
    report: dict[str, Any] = {"files": len(relpaths), "books": books}
    original = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        say("the whole repository")
        report["full"] = _execution(root, "/content/dam")
        say("one folder of 1,000 files")
        report["folder"] = _execution(root, "/content/dam/books/b00/topics/f00")
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)
    say("processing.process over every file")
    processes = {"now": processing.process}
    if before:
        processes[before] = _processing_package(before).process
    rates = processing_rates(root, relpaths, processes)
    report["process_per_second"] = rates
    if before:
        report["process_cost"] = round(1 - rates["now"] / rates[before], 3)
    return report
