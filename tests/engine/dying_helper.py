"""A link pass helper that hands over its first page, then dies (``test_key_helper``)."""

import os
from typing import Any

from guides_processor.engine import worker_process

_handed = 0


def _print_then_die(*args: Any, **kwargs: Any) -> None:
    global _handed
    print(*args, **kwargs)
    _handed += 1
    if _handed == 1:
        os._exit(4)


if __name__ == "__main__":
    worker_process.print = _print_then_die  # type: ignore[attr-defined]
    worker_process.run_key_helper()
