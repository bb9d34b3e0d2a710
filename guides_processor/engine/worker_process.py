"""The body of a worker process the command line spawns when no cluster runs (see
``executions.inline``).

A spawned interpreter starts empty: this module imports nothing of Django at import time, sets
Django up, takes over the parent's database name and GUIDES_* settings, then runs the slot loop.
"""

import os
from typing import Any


def run_slot_process(
    execution_id: int, number: int, generation: int, handover: dict[str, Any]
) -> None:
    """Work slot ``number`` of an execution until it has nothing more to do (STOP)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guides_processor.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from ..executions.queue import enqueue_suppressed
    from .slot import CONTINUE, execution_work

    for name, value in handover["settings"].items():
        setattr(settings, name, value)
    connection.settings_dict["NAME"] = handover["database"]
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
