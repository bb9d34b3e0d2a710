"""A worker process body that dies at once, for the command line's crash test: it imports
nothing, so that it dies the same way whatever the child can import."""

import os
from typing import Any


def run_slot_process(*args: Any) -> None:
    os._exit(3)


def handover() -> dict[str, Any]:
    return {}
