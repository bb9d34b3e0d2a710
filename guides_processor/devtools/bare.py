"""The benchmark's baselines: what the hardware and the processing code do with no Django at all.

``python -m guides_processor.devtools.bare ROOT`` prints, as JSON, the time of a bare
``os.scandir`` walk of ROOT, of the same walk with a stat of each file (the least an unchanged
rerun or a catch-up scan does: it compares each file's size and modification time), and of
calling ``processing.process`` on every file in one process. Nothing here imports Django, so the
figures are those of the pure code.
"""

import json
import os
import sys
import time

from ..processing import TargetChecks, process

# The engine's largest batch (GUIDES_BATCH_SIZE's default).
BATCH = 400


def walk(root: str) -> list[str]:
    """Every file below ``root`` (hidden names left out, as the engine's walk does), relative."""
    found: list[str] = []
    stack = [""]
    while stack:
        relfolder = stack.pop()
        with os.scandir(os.path.join(root, relfolder) if relfolder else root) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                relpath = f"{relfolder}/{entry.name}" if relfolder else entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append(relpath)
                else:
                    found.append(relpath)
    return found


def stat_walk(root: str) -> int:
    """The bare walk with an ``lstat`` of each file (its size and modification time read), as
    the unchanged rerun and the catch-up need; returns the number of files."""
    found = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    info = entry.stat(follow_symlinks=False)
                    found += info.st_size >= 0 and info.st_mtime >= 0
    return found


def measure(root: str, *, repeat: int = 2) -> dict[str, float]:
    """The best of ``repeat`` runs of the bare walk, the walk with a stat of each file, and the
    bare processing loop."""
    walk_seconds = []
    stat_seconds = []
    files: list[str] = []
    for _ in range(repeat):
        start = time.perf_counter()
        files = walk(root)
        walk_seconds.append(time.perf_counter() - start)
        start = time.perf_counter()
        stat_walk(root)
        stat_seconds.append(time.perf_counter() - start)
    loop_seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for first in range(0, len(files), BATCH):
            # Reference targets and the folders on their way looked at once a batch, as the
            # engine's batches do.
            checks = TargetChecks()
            for relpath in files[first : first + BATCH]:
                process(root, relpath, checks=checks)
        loop_seconds.append(time.perf_counter() - start)
    return {
        "files": len(files),
        "walk_seconds": min(walk_seconds),
        "stat_walk_seconds": min(stat_seconds),
        "loop_seconds": min(loop_seconds),
    }


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], repeat=int(sys.argv[2]) if len(sys.argv) > 2 else 2)))
