"""The README's layout section names files that exist, and the protocol's files it points a reader
to are as short as it says."""

import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def _section() -> str:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    return readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]


def layout_entries() -> list[str]:
    """The paths of the layout's tree: an entry is a line whose first word ends in ``.py`` or
    ``/``, one level deeper for every four spaces; other lines continue a description."""
    tree = re.search(r"```\n(.*?)```", _section(), flags=re.DOTALL)
    assert tree is not None, "the layout section has no tree"
    parents: list[str] = []
    entries = []
    for line in tree.group(1).splitlines():
        words = line.split()
        if not words or not words[0].endswith((".py", "/")):
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 4
        del parents[depth:]
        path = "".join(parents) + words[0]
        entries.append(path)
        if path.endswith("/"):
            parents.append(words[0])
    return entries


def test_every_file_and_folder_of_the_layout_exists():
    entries = layout_entries()
    assert "guides_processor/engine/sql/claims.py" in entries  # the parse reaches the depths
    missing = [entry for entry in entries if not (PROJECT / entry).exists()]
    assert missing == []


def test_the_files_a_reader_is_pointed_to_are_under_400_lines():
    paragraph = _section().split("```", 2)[2]
    assert "Each of these is under 400 lines." in paragraph
    named = re.findall(r"`([\w/]+\.py)`", paragraph)
    assert len(named) >= 4
    lengths = {
        name: len((PROJECT / "guides_processor" / name).read_text(encoding="utf-8").splitlines())
        for name in named
    }
    assert {name: lines for name, lines in lengths.items() if lines >= 400} == {}
