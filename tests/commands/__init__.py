"""The management commands, run as a user runs them: ``manage.py`` in a process of its own."""

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def manage(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``manage.py args`` from the project's folder with ``env``, run to its end (text out)."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def own_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``manage.py`` of its own: this one without its database, broker and
    secret key, on SQLite with its data and content in ``tmp_path``."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "GUIDES_BROKER_URL", "DJANGO_SECRET_KEY"}
    }
    return {
        **environment,
        "GUIDES_DATA_DIR": str(tmp_path / "data"),
        "GUIDES_CONTENT_ROOT": str(tmp_path / "content"),
        **extra,
    }
