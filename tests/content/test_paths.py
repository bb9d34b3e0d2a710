"""Virtual paths under /content/dam: normalisation and resolution on disk."""

from pathlib import Path

import pytest

from guides_processor import content


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/content/dam", "/content/dam"),
        ("content/dam/a", "/content/dam/a"),
        ("/content/dam//a///b/", "/content/dam/a/b"),
        ("  /content/dam/a  ", "/content/dam/a"),
        ("/content/dam/ünï cødé", "/content/dam/ünï cødé"),
    ],
)
def test_it_normalises_the_paths_clients_send(raw, expected):
    assert content.normalize_path(raw) == expected


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("/content/dam/a/../b", "'..'"),
        ("/content/dam/./a", "'.'"),
        ("/content/dam/a/.git/b", "'.git', a hidden name"),
        ("/content/dam/.hidden.dita", "'.hidden.dita', a hidden name"),
        ("/content", "outside"),
        ("/content/damx", "outside"),
        ("/var/www", "outside"),
        ("/content/dam/a\x00b", "control characters"),
        ("/content/dam\\a", "backslash"),
        ("", "empty"),
        (None, "must be a string"),
    ],
)
def test_it_refuses_paths_naming_the_field(raw, words):
    with pytest.raises(content.ContentPathError, match=words) as raised:
        content.normalize_path(raw, field="excludedPaths[2]")
    assert raised.value.field == "excludedPaths[2]"
    assert str(raised.value).startswith("excludedPaths[2]: ")


def test_a_path_set_finds_overlaps_by_whole_segments():
    d = "/content/dam"
    paths = content.PathSet([f"{d}/a", f"{d}/a-b", f"{d}/a.dita", f"{d}/c/d", f"{d}/a"])
    assert len(paths) == 4 and f"{d}/a-b" in paths

    assert paths.overlapping(f"{d}/a/x/y") == f"{d}/a"  # the member above it
    assert paths.overlapping(f"{d}/a") == f"{d}/a"  # itself
    assert paths.overlapping(f"{d}/c") == f"{d}/c/d"  # a member inside it
    assert paths.overlapping(d) in {f"{d}/a", f"{d}/a-b", f"{d}/a.dita", f"{d}/c/d"}
    # Prefixes of names are not folders on the way.
    assert paths.overlapping(f"{d}/ab") is None
    assert paths.overlapping(f"{d}/c/d0") is None
    assert paths.containing(f"{d}/c") is None
    assert paths.containing(f"{d}/c/d/e.dita") == f"{d}/c/d"


def test_a_path_set_of_relpaths_has_the_root_as_the_empty_relpath():
    assert content.PathSet(["", "a"]).containing("a/b") == "a"
    assert content.PathSet([""]).containing("a/b") == ""
    assert content.PathSet(["a/b"]).overlapping("") == "a/b"
    assert content.PathSet(["a/b"]).containing("") is None


def test_it_resolves_a_folder_and_refuses_links_files_and_absent_ones(tmp_path: Path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "f.dita").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "a")
    (tmp_path / "a" / "out").symlink_to("/etc")

    assert content.resolve_folder(tmp_path, "/content/dam/a/b") == tmp_path / "a" / "b"
    assert content.resolve_folder(tmp_path, "/content/dam") == tmp_path
    for path, words in [
        ("/content/dam/link", "symbolic link"),
        ("/content/dam/link/b", "symbolic link"),
        ("/content/dam/a/out", "symbolic link"),
        ("/content/dam/a/f.dita", "not a folder"),
        ("/content/dam/nope", "does not exist"),
    ]:
        with pytest.raises(content.ContentPathError, match=words):
            content.resolve_folder(tmp_path, path)


def test_it_says_so_when_the_content_root_is_missing(tmp_path: Path):
    with pytest.raises(content.ContentPathError, match="content root"):
        content.resolve_folder(tmp_path / "gone", "/content/dam")


def test_the_folder_listing_has_children_flags_and_hides_what_it_should(tmp_path: Path):
    for folder in ("b/x", "a", "c", ".git/objects"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "a" / "file.dita").write_text("x")
    (tmp_path / "z-link").symlink_to(tmp_path / "b")

    listing = content.list_folders(tmp_path, "/content/dam")

    assert [(f.name, f.path, f.has_children) for f in listing] == [
        ("a", "/content/dam/a", False),
        ("b", "/content/dam/b", True),
        ("c", "/content/dam/c", False),
    ]
