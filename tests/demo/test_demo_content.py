"""The demo repository generator: its summary must be exact, because engine tests trust it.

Every check here recomputes the ground truth from the files on disk, independently of how the
generator built them.
"""

import os
import re
import struct
import zipfile
import zlib
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import etree

from guides_processor.devtools.demo import DemoSummary, generate_demo_content

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
XML_EXTENSIONS = (".dita", ".ditamap")


def hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def files_of(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def parse_xml_files(root: Path) -> tuple[dict[str, etree._Element], set[str]]:
    """Parse every topic and map: the parsed trees by relpath, and the relpaths that failed."""
    parsed, failed = {}, set()
    for relpath, data in files_of(root).items():
        if not relpath.endswith(XML_EXTENSIONS):
            continue
        try:
            parsed[relpath] = etree.fromstring(data, hardened_parser())
        except etree.XMLSyntaxError:
            failed.add(relpath)
    return parsed, failed


def is_local_file_ref(element: etree._Element, value: str) -> bool:
    if element.get("scope") == "external" or value.startswith("#"):
        return False
    return not urlsplit(value).scheme


def count_missing_file_refs(root: Path, parsed: dict[str, etree._Element]) -> int:
    missing = 0
    for relpath, tree in parsed.items():
        folder = (root / relpath).parent
        for element in tree.iter():
            for attribute in ("href", "conref"):
                value = element.get(attribute)
                if value is None or not is_local_file_ref(element, value):
                    continue
                target = folder / value.partition("#")[0]
                if not target.is_file():
                    missing += 1
    return missing


def undefined_keys(parsed: dict[str, etree._Element]) -> list[str]:
    used: set[str] = set()
    defined: set[str] = set()
    for relpath, tree in parsed.items():
        for element in tree.iter():
            if keyref := element.get("keyref"):
                used.add(keyref.split("/")[0])
            if conkeyref := element.get("conkeyref"):
                used.add(conkeyref.split("/")[0])
            if relpath.endswith(".ditamap") and (keys := element.get("keys")):
                defined.update(keys.split())
    return sorted(used - defined)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    root = tmp_path_factory.mktemp("demo") / "content"
    return root, generate_demo_content(root, files=1200, seed=7)


@pytest.mark.parametrize("files", [20, 21, 99, 100, 301, 1234, 5003])
def test_it_writes_exactly_the_number_of_files_asked_for(tmp_path: Path, files: int) -> None:
    summary = generate_demo_content(tmp_path / "content", files=files)

    on_disk = [path for path in (tmp_path / "content").rglob("*") if path.is_file()]
    assert len(on_disk) == files
    assert summary.files == files
    assert sum(summary.by_extension.values()) == files
    assert sum(summary.by_asset_type.values()) == files


def test_it_rounds_a_tiny_repository_up_to_twenty_files(tmp_path: Path) -> None:
    summary = generate_demo_content(tmp_path / "content", files=3)

    assert summary.files == 20
    assert len(files_of(tmp_path / "content")) == 20


def test_it_refuses_a_file_count_below_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        generate_demo_content(tmp_path / "content", files=0)


def test_the_same_seed_gives_a_byte_identical_tree(tmp_path: Path) -> None:
    first = generate_demo_content(tmp_path / "a", files=600, seed=3)
    second = generate_demo_content(tmp_path / "b", files=600, seed=3)

    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    assert (first.malformed, first.undefined_keys) == (second.malformed, second.undefined_keys)


def test_another_seed_gives_other_content(tmp_path: Path) -> None:
    generate_demo_content(tmp_path / "a", files=300, seed=1)
    generate_demo_content(tmp_path / "b", files=300, seed=2)

    assert files_of(tmp_path / "a") != files_of(tmp_path / "b")


def test_every_topic_and_map_parses_except_the_malformed_ones(repo) -> None:
    root, summary = repo

    _, failed = parse_xml_files(root)

    assert sorted(failed) == summary.malformed
    assert len(summary.malformed) == 1200 // 500


def test_the_broken_file_references_are_counted_exactly(repo) -> None:
    root, summary = repo
    parsed, _ = parse_xml_files(root)

    assert count_missing_file_refs(root, parsed) == summary.broken_file_refs
    assert summary.broken_file_refs == 1200 // 500


def test_the_undefined_keys_are_listed_exactly(repo) -> None:
    root, summary = repo
    parsed, _ = parse_xml_files(root)

    assert undefined_keys(parsed) == summary.undefined_keys
    assert len(summary.undefined_keys) == summary.undefined_key_refs == 1200 // 500


def test_at_least_one_defect_of_each_kind_exists_in_the_smallest_repository(
    tmp_path: Path,
) -> None:
    root = tmp_path / "content"
    summary = generate_demo_content(root, files=20)
    parsed, failed = parse_xml_files(root)

    assert len(failed) == len(summary.malformed) == 1
    assert count_missing_file_refs(root, parsed) == summary.broken_file_refs == 1
    assert undefined_keys(parsed) == summary.undefined_keys
    assert len(summary.undefined_keys) == 1


def test_markdown_html_and_css_links_all_resolve(repo) -> None:
    root, _ = repo
    patterns = {
        ".md": re.compile(r"\]\(([^)\s]+)\)"),
        ".html": re.compile(r'(?:href|src)="([^"]+)"'),
        ".css": re.compile(r'url\("([^"]+)"\)'),
    }
    checked = 0
    for relpath, data in files_of(root).items():
        pattern = patterns.get(os.path.splitext(relpath)[1])
        if pattern is None:
            continue
        for value in pattern.findall(data.decode()):
            if urlsplit(value).scheme:
                continue
            assert ((root / relpath).parent / value).is_file(), f"{relpath}: {value}"
            checked += 1
    assert checked > 10


def test_the_counts_by_extension_and_asset_type_match_the_files(repo) -> None:
    root, summary = repo
    extensions = Counter(os.path.splitext(relpath)[1] for relpath in files_of(root))

    assert summary.by_extension == dict(extensions)
    assert summary.by_asset_type == {
        "DITATOPIC": extensions[".dita"],
        "DITAMAP": extensions[".ditamap"],
        "DITAVAL": extensions[".ditaval"],
        "MARKDOWN": extensions[".md"],
        "HTML/CSS": extensions[".html"] + extensions[".css"],
        "OTHERS": extensions[".png"] + extensions[".svg"] + extensions[".pdf"] + extensions[".zip"],
    }
    assert set(extensions) == {
        ".dita", ".ditamap", ".ditaval", ".md", ".html", ".css", ".png", ".svg", ".pdf", ".zip"
    }  # fmt: skip


def test_the_folder_count_matches_the_tree(repo) -> None:
    root, summary = repo

    assert summary.folders == sum(1 for path in root.rglob("*") if path.is_dir())


def test_folders_stay_small_and_products_are_three_to_five_levels_deep(tmp_path: Path) -> None:
    root = tmp_path / "content"
    generate_demo_content(root, files=8000)

    folders = [path for path in root.rglob("*") if path.is_dir()]
    assert max(len(os.listdir(folder)) for folder in folders) <= 300
    leaf_depths = {
        len(path.relative_to(root).parts)
        for path in folders
        if path.parts[len(root.parts)] == "products" and not any(p.is_dir() for p in path.iterdir())
    }
    assert leaf_depths <= {3, 4, 5}
    assert len(folders) > 8000 // 60


def test_topics_carry_a_doctype_a_title_and_a_language(repo) -> None:
    root, _ = repo
    parsed, _ = parse_xml_files(root)
    topics = {relpath: tree for relpath, tree in parsed.items() if relpath.endswith(".dita")}

    roots = Counter(tree.tag for tree in topics.values())
    assert {"concept", "task", "reference", "glossentry", "topic"} <= set(roots)
    for relpath, tree in topics.items():
        public_id = tree.getroottree().docinfo.public_id or ""
        assert public_id.startswith("-//OASIS//DTD DITA"), relpath
        assert tree.get("{http://www.w3.org/XML/1998/namespace}lang"), relpath
        assert tree.find("title") is not None or tree.tag == "glossentry", relpath


def test_pngs_are_real_pngs(repo) -> None:
    root, _ = repo
    pngs = {relpath: data for relpath, data in files_of(root).items() if relpath.endswith(".png")}

    assert pngs
    for relpath, data in pngs.items():
        assert data.startswith(PNG_SIGNATURE), relpath
        assert data[12:16] == b"IHDR"
        width, height = struct.unpack(">II", data[16:24])
        idat = data.index(b"IDAT")
        (length,) = struct.unpack(">I", data[idat - 4 : idat])
        pixels = zlib.decompress(data[idat + 4 : idat + 4 + length])
        assert len(pixels) == height * (1 + 3 * width), relpath


def test_svgs_pdfs_and_zips_are_well_formed(repo) -> None:
    root, _ = repo
    for relpath, data in files_of(root).items():
        if relpath.endswith(".svg"):
            assert etree.fromstring(data, hardened_parser()).get("width"), relpath
        elif relpath.endswith(".pdf"):
            assert data.startswith(b"%PDF-1.4"), relpath
            assert data.endswith(b"%%EOF\n"), relpath
            startxref = int(data.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
            assert data[startxref:].startswith(b"xref"), relpath
        elif relpath.endswith(".zip"):
            with zipfile.ZipFile(root / relpath) as archive:
                assert archive.testzip() is None


def test_exactly_one_file_name_has_a_space_and_non_ascii_characters(repo) -> None:
    root, summary = repo
    odd = []
    for folder, _, names in os.walk(os.fsencode(root)):
        for name in names:
            text = name.decode("utf-8")  # raises if the name is not valid UTF-8
            if " " in text or not text.isascii():
                odd.append(os.path.join(folder, name).decode()[len(str(root)) + 1 :])

    assert odd == [summary.odd_name]


def test_progress_is_reported_in_increments_that_add_up_to_the_total(tmp_path: Path) -> None:
    increments: list[int] = []

    summary = generate_demo_content(tmp_path / "content", files=2500, progress=increments.append)

    assert sum(increments) == summary.files == 2500
    assert len(increments) > 1


def test_it_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")

    with pytest.raises(FileExistsError, match=re.escape(str(tmp_path))):
        generate_demo_content(tmp_path, files=20)

    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


def test_it_refuses_a_destination_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "content").write_text("")

    with pytest.raises(FileExistsError, match="not a folder"):
        generate_demo_content(tmp_path / "content", files=20)


def test_it_writes_into_an_existing_empty_folder(tmp_path: Path) -> None:
    summary = generate_demo_content(tmp_path, files=20)

    assert summary.files == 20
