"""The key references of a large link pass, judged in a helper process while the finishing process
does the rest.

The link pass (``sql.keys``) runs in one process, in the finishing transaction, while the other
workers have nothing left to do. Half of it needs the key spaces: building them, judging key
references, filling key texts; the other half does not: Used in, file references, the writes.
With no asset deleted or revived, the first half reads only what the batches committed (the
finish changes nothing it reads), so a process of its own can do it from the committed rows
while this one does the second half, then writes the verdicts the helper hands over.

The helper only reads and hands over pages through files of a private folder. When it fails
(it cannot start, it dies), this process judges the key references itself; what was written
from the helper's pages stands (a page judged again writes only what still differs). A helper
costs an interpreter's start (about 0.5 s of the other core), so it runs only for a pass over
at least ``GUIDES_LINK_HELPER_ASSETS`` assets.
"""

import logging
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from . import worker_process
from .sql.keys import TEXTS, VERDICTS, LinkScope, PageWriter

logger = logging.getLogger(__name__)

# The module run as the helper (a test points it at one that fails).
HELPER_MODULE = worker_process.__name__


class KeyHelper:
    """A running helper process; ``deliver`` is ``sql.resolve_keys``'s ``helper``."""

    def __init__(self, process: "subprocess.Popen[bytes]", folder: Path, errors: IO[bytes]) -> None:
        self._process = process
        self._folder = folder
        self._errors = errors

    def deliver(self, write: PageWriter) -> bool:
        """Write each page as the helper names it; True once it said it was done, False when it
        ended without, or said what this does not understand (it failed: the caller judges the
        key references itself)."""
        assert self._process.stdout is not None
        for line in self._process.stdout:
            words = line.decode(errors="replace").split()
            if words == ["done"]:
                return self._process.wait() == 0
            handed = self._page(words)
            if handed is None:
                self._process.kill()
                break
            write(*handed)
        status = self._process.wait()
        self._errors.seek(0)
        said = self._errors.read()[-2000:].decode(errors="replace").strip()
        logger.warning(
            "the link pass's helper process ended with status %s; judging its key references "
            "here instead%s",
            status,
            f": {said}" if said else "",
        )
        return False

    def _page(self, words: list[str]) -> tuple[str, list[Any]] | None:
        """The page a line of the helper names (read and removed), None for a line that names
        none."""
        if len(words) != 2 or words[0] not in (VERDICTS, TEXTS) or not words[1].isdigit():
            logger.warning("the link pass's helper process said %r", " ".join(words)[:200])
            return None
        page = self._folder / words[1]
        try:
            with page.open("rb") as handed:
                rows: list[Any] = pickle.load(handed)
            page.unlink()
        except (OSError, pickle.UnpicklingError, EOFError) as exc:
            logger.warning("the link pass's helper process left an unreadable page: %s", exc)
            return None
        return words[0], rows


@contextmanager
def key_helper(scope: LinkScope, *, committed: bool) -> Iterator[KeyHelper | None]:
    """A helper process for the key references of ``scope``, when it is worth one; None when not.

    ``committed``: whether what the finish reads, but for its own writes, is committed (it runs
    in no outer transaction, on a database other processes can open). Leaving the block stops a
    helper still running and removes its folder.
    """
    least = settings.GUIDES_LINK_HELPER_ASSETS
    if not committed or least <= 0 or scope.changed or scope.idle or scope.assets() < least:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="guides-keys-"))
    try:
        with (folder / "errors").open("w+b") as errors:
            # A plain child process, not multiprocessing's (as the command line's workers are):
            # django-q2's workers are daemonic, and those may not have multiprocessing children.
            try:
                process = subprocess.Popen(
                    [sys.executable, "-m", HELPER_MODULE],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=errors,
                )
            except OSError as exc:
                logger.warning("the link pass's helper process could not start: %s", exc)
                yield None
                return
            try:
                assert process.stdin is not None
                handed = (worker_process.handover(), scope.execution_id, scope.only is None)
                try:
                    with process.stdin:
                        pickle.dump((*handed, str(folder), os.getpid()), process.stdin)
                except BrokenPipeError:
                    pass  # it died at once: ``deliver`` says so
                yield KeyHelper(process, folder, errors)
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()
                if process.stdout is not None:
                    process.stdout.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
