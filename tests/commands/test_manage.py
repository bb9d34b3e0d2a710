"""manage.py itself: a malformed setting is one line on stderr, not a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("GUIDES_WATCH", "maybe", "GUIDES_WATCH='maybe' is not a boolean"),
        ("GUIDES_CATCHUP_SECONDS", "3", "GUIDES_CATCHUP_SECONDS"),
    ],
)
def test_a_malformed_setting_is_one_line_and_status_2(variable, value, said):
    env = {**os.environ, variable: value}

    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert done.stderr.startswith("Configuration error: ")
    assert said in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
