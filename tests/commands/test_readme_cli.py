"""The commands of the README's "The command line" section run as written on the demo content."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from guides_processor.devtools.demo import generate_demo_content
from tests.commands import manage

PROJECT = Path(__file__).resolve().parents[2]
VENV_PYTHON = ".venv/bin/python"


def readme_commands() -> list[list[str]]:
    """Every command of the section's sh blocks, continuation lines joined."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The command line", 1)[1].split("\n### ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip():
                commands.append(shlex.split(line))
    return commands


def test_the_section_has_the_commands_this_test_runs():
    commands = readme_commands()
    assert [command[:3] for command in commands] == [
        [VENV_PYTHON, "manage.py", "process_assets"],
        [VENV_PYTHON, "manage.py", "seed_demo_content"],
    ]


@pytest.fixture
def quick_start(tmp_path: Path) -> dict[str, str]:
    """What the quick start leaves: a migrated database and the demo content `serve` writes."""
    content = tmp_path / "content"
    generate_demo_content(content, files=300)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "GUIDES_BROKER_URL", "DJANGO_SECRET_KEY"}
    }
    env.update(
        GUIDES_CONTENT_ROOT=str(content),
        GUIDES_DATA_DIR=str(tmp_path / "data"),
        GUIDES_CLUSTER_NAME=f"readme-test-{os.getpid()}",
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=PROJECT, env=env, check=True
    )
    return env


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert command[:2] == [VENV_PYTHON, "manage.py"]
    return manage(*command[2:], env=env, timeout=300)


def test_the_process_assets_example_runs_on_the_demo_content(quick_start):
    (command,) = [c for c in readme_commands() if c[2] == "process_assets"]

    done = run(command, quick_start)

    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["status"] == "SUCCESS"
    path = command[3]
    assert status["path"] == path
    excluded = command[command.index("--exclude") + 1]
    assert status["excludedPaths"] == [excluded]
    types = command[command.index("--file-types") + 1].split(",")
    assert status["filter"]["fileTypes"] == types
    root = Path(quick_start["GUIDES_CONTENT_ROOT"])
    folder, left_out = (
        root / path.removeprefix("/content/dam/"),
        excluded.removeprefix("/content/dam/"),
    )
    expected = [
        p
        for p in folder.rglob("*")
        if p.suffix in {".dita", ".ditamap"}
        and not p.relative_to(root).as_posix().startswith(left_out + "/")
    ]
    assert status["migrationSet"]["totalFiles"] == len(expected) > 0


def test_the_seed_demo_content_example_runs(quick_start, tmp_path):
    (command,) = [c for c in readme_commands() if c[2] == "seed_demo_content"]
    dest = command[command.index("--dest") + 1]
    # Written as in the README, but into this test's folder instead of the README's.
    command[command.index("--dest") + 1] = str(tmp_path / Path(dest).name)

    done = run(command, quick_start)

    assert done.returncode == 0, done.stderr
    files = int(command[command.index("--files") + 1])
    written = sum(1 for p in (tmp_path / Path(dest).name).rglob("*") if p.is_file())
    assert written == files
    assert f"Wrote {files} files" in done.stdout


def test_every_content_path_the_readme_names_is_in_the_demo_content(tmp_path):
    """Examples in the prose (a command in a sentence, a JSON body) name paths too: each is in
    the demo content that the quick start writes."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"/content/dam/([\w./-]*[\w])", readme))
    content = tmp_path / "content"
    generate_demo_content(content, files=300)

    assert len(named) >= 5
    assert sorted(path for path in named if not (content / path).exists()) == []
