"""manage.py itself: a malformed setting is one line on stderr, not a traceback."""

import os

import pytest

from tests.commands import manage


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("GUIDES_WATCH", "maybe", "GUIDES_WATCH='maybe' is not a boolean"),
        ("GUIDES_CATCHUP_SECONDS", "3", "GUIDES_CATCHUP_SECONDS"),
    ],
)
def test_a_malformed_setting_is_one_line_and_status_2(variable, value, said):
    env = {**os.environ, variable: value}

    done = manage("check", env=env)

    assert done.returncode == 2
    assert done.stderr.startswith("Configuration error: ")
    assert said in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
