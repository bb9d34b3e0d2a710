"""The bodies of the processes the engine starts: a worker process the command line spawns when no
cluster runs (see ``executions.inline``), and the helper process of a large link pass
(``engine.keyhelper``; ``python -m guides_processor.engine.worker_process``).

A new interpreter starts empty: this module imports nothing of Django at import time. A process
sets Django up, takes over its parent's database name and GUIDES_* settings (``handover``), then
does its work.
"""

import os
import pickle
import shutil
import signal
import sys
from pathlib import Path
from typing import Any


def handover() -> dict[str, Any]:
    """What a new process needs to work as this one does: the database it uses (the test
    database, in tests) and the GUIDES_* settings, which may have been changed at run time."""
    from django.conf import settings
    from django.db import connection

    return {
        "database": connection.settings_dict["NAME"],
        "settings": {
            name: getattr(settings, name) for name in dir(settings) if name[:7] == "GUIDES_"
        },
    }


def _adopt(handed: dict[str, Any]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guides_processor.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    for name, value in handed["settings"].items():
        setattr(settings, name, value)
    connection.settings_dict["NAME"] = handed["database"]


def run_slot_process(
    execution_id: int, number: int, generation: int, handed: dict[str, Any]
) -> None:
    """Work slot ``number`` of an execution until it has nothing more to do (STOP)."""
    _adopt(handed)
    from django.db import connection

    from ..executions.queue import enqueue_suppressed
    from .slot import CONTINUE, execution_work

    try:
        with enqueue_suppressed():
            while (
                execution_work(
                    execution_id=execution_id,
                    slot=number,
                    generation=generation,
                    enqueue_continuation=False,
                )
                == CONTINUE
            ):
                pass
    finally:
        connection.close()


def run_key_helper() -> None:
    """Judge the key references of a finishing execution and fill its key texts, from what is
    committed, for the finishing process (``engine.keyhelper``).

    Reads (handover, execution id, whole, folder, the finishing process's id) pickled from
    stdin. Each page of ``keys.key_pages`` that changes something is pickled into a file of the
    folder, then named on stdout (``kind name``); ``done`` ends the work. Nothing is written to
    the database. The finishing process decides when to stop waiting (Ctrl-C is for it alone)
    and removes the folder; when it is gone (killed mid-finish), this process does.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    handed, execution_id, whole, folder, parent = pickle.load(sys.stdin.buffer)
    try:
        _adopt(handed)
        from django.db import connection

        from .sql import BACKEND
        from .sql.keys import LinkScope, key_pages

        try:
            with BACKEND.reading():
                scope = LinkScope.for_helper(execution_id, whole=whole)
                for number, (kind, page) in enumerate(key_pages(scope)):
                    if not page:
                        continue
                    name = str(number)
                    with open(Path(folder) / name, "wb") as out:
                        pickle.dump(page, out, protocol=pickle.HIGHEST_PROTOCOL)
                    print(kind, name, flush=True)
            print("done", flush=True)
        finally:
            connection.close()
    except BrokenPipeError:
        # The finishing process stopped listening: it failed over to judging here, or died.
        # Nothing more to flush into the closed pipe as the interpreter exits.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(2)
    finally:
        if os.getppid() != parent:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    run_key_helper()
