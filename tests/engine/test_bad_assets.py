"""Broken, hostile and odd files: each one asset FAILED or SKIPPED with its reason, the job SUCCESS.

The run goes through the command line in a child process, as an operator would start it. When the
tests run as root (CI does), the child runs without the capabilities that let root read any file,
so that unreadable files and folders are unreadable to it too.
"""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps

from guides_processor.models import Execution, ExecutionItem, ItemState

PROJECT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "TOP-SECRET-0b7c1e"

XXE = """<?xml version="1.0"?>
<!DOCTYPE topic [<!ENTITY xxe SYSTEM "file://{path}">]>
<topic id="x"><title>Leak &xxe;</title><body><p>&xxe;</p></body></topic>
"""

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<topic id="bomb"><title>&lol9;</title></topic>
"""

GOOD = '<topic id="good"><title>Good</title><body><p>Fine.</p></body></topic>'


def _unprivileged() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: files cannot be made unreadable")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


@pytest.fixture
def bad_tree(content_root: Path, tmp_path: Path) -> Iterator[Path]:
    bad = content_root / "bad"
    bad.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text(SECRET)
    (bad / "good.dita").write_text(GOOD)
    (bad / "malformed.dita").write_text(
        '<topic id="m"><title>Broken</title>\n<body><p>x</body></topic>'
    )
    (bad / "xxe.dita").write_text(XXE.format(path=secret))
    (bad / "bomb.dita").write_text(BOMB)
    (bad / "empty.dita").write_bytes(b"")
    with open(bad / "huge.dita", "wb") as handle:
        handle.write(b'<topic id="huge"><title>Huge</title><body>')
        handle.write(b"x" * (50 * 1024 * 1024))
        handle.write(b"</body></topic>")
    with open(os.path.join(os.fsencode(bad), b"caf\xe9.dita"), "wb") as handle:
        handle.write(GOOD.encode())
    (bad / "escape.dita").symlink_to(secret)
    (bad / "escape-folder").symlink_to(outside)
    (bad / "locked.dita").write_text(GOOD)
    (bad / "locked.dita").chmod(0)
    (bad / "locked-folder").mkdir()
    (bad / "locked-folder" / "inside.dita").write_text(GOOD)
    (bad / "locked-folder").chmod(0)
    # The child runs as root without DAC override: it needs to traverse to the content.
    for path in (tmp_path, content_root):
        path.chmod(0o755)
    yield bad
    (bad / "locked-folder").chmod(0o755)
    (bad / "locked.dita").chmod(0o644)


def test_each_bad_file_is_one_asset_failed_or_skipped_with_its_reason_and_the_job_succeeds(
    bad_tree: Path, cluster_env: dict[str, str]
):
    command = [
        *_unprivileged(),
        sys.executable,
        str(PROJECT / "manage.py"),
        "process_assets",
        "/content/dam/bad",
        "--wait",
        "--json",
        "--cluster-wait",
        "0",
    ]
    done = subprocess.run(
        command, env=cluster_env, capture_output=True, text=True, timeout=300, cwd=PROJECT
    )

    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["status"] == "SUCCESS"
    execution = Execution.objects.get(processing_id=status["processingId"])
    outcome = {
        relpath: (state, error)
        for relpath, state, error in ExecutionItem.objects.filter(execution=execution).values_list(
            "relpath", "state", "error"
        )
    }
    assert outcome["bad/good.dita"] == (ItemState.DONE, "")
    assert outcome["bad/malformed.dita"][0] == ItemState.FAILED
    assert outcome["bad/malformed.dita"][1].startswith("line 2:")
    assert outcome["bad/bomb.dita"][0] == ItemState.FAILED
    assert outcome["bad/empty.dita"] == (ItemState.SKIPPED, "empty file")
    assert outcome["bad/huge.dita"][0] == ItemState.FAILED
    assert "larger than" in outcome["bad/huge.dita"][1]
    assert outcome["bad/caf\\xe9.dita"] == (ItemState.SKIPPED, "file name is not valid UTF-8")
    assert outcome["bad/escape.dita"] == (ItemState.SKIPPED, "symbolic link, not followed")
    assert outcome["bad/escape-folder"] == (ItemState.SKIPPED, "symbolic link, not followed")
    assert outcome["bad/locked.dita"] == (ItemState.FAILED, "cannot open file: Permission denied")
    assert outcome["bad/locked-folder/"] == (
        ItemState.SKIPPED,
        "folder could not be read: Permission denied",
    )
    # The XXE file is processed or refused, but never expanded.
    assert outcome["bad/xxe.dita"][0] in (ItemState.DONE, ItemState.FAILED)
    assert status["migrationSet"]["totalFiles"] == len(outcome) == 11
    assert status["processedCount"] + status["failedCount"] + status["skippedCount"] == 11
    failed = sum(state == ItemState.FAILED for state, _ in outcome.values())
    # malformed, bomb, huge, locked (empty.dita is skipped, not failed)
    assert status["failedCount"] == failed >= 4


def test_the_content_of_an_external_entity_reaches_no_table(
    bad_tree: Path, cluster_env: dict[str, str]
):
    done = subprocess.run(
        [
            sys.executable,
            str(PROJECT / "manage.py"),
            "process_assets",
            "/content/dam/bad",
            "--wait",
            "--cluster-wait",
            "0",
        ],
        env=cluster_env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT,
    )
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    rows = 0
    for model in apps.get_app_config("guides_processor").get_models():
        for row in model._default_manager.values():
            rows += 1
            assert SECRET not in repr(row), f"the secret leaked into {model.__name__}"
    assert rows > 20
