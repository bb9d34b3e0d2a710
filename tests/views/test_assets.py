"""The Assets pages: a folder's contents with their status, filters, paging, one asset's page."""

import os
import re

import pytest
from django.urls import reverse

from guides_processor import executions
from guides_processor.models import Asset, Execution, Reference
from guides_processor.selectors import asset_detail
from guides_processor.selectors import assets as asset_selectors
from tests.engine.trees import guide, topic

from .conftest import HTMX

pytestmark = pytest.mark.django_db

ASSETS = "guides_processor:assets"
ASSET = "guides_processor:asset_detail"


def run(path: str) -> Execution:
    execution = executions.execution_create(path=path, created_by="operator")
    return executions.execution_run_inline(processing_id=execution.processing_id)


@pytest.fixture
def processed(write_tree):
    """The guide tree processed, one topic failing; then a file added and one deleted."""
    root = write_tree(guide())
    write_tree({"guide/topics/broken.dita": "<concept id='x'><title>Unclosed</concept>"})
    run("/content/dam/guide")
    write_tree({"guide/topics/new.dita": topic("new", "New")})
    os.remove(root / "guide/topics/faq.dita")
    return root


def rows(html: str) -> dict[str, str]:
    """name -> status of the table's file rows, in order."""
    found = {}
    for chunk in html.split('<tr class="asset-row" data-name="')[1:]:
        name, rest = chunk.split('"', 1)
        found[name] = rest.split('data-status="', 1)[1].split('"', 1)[0]
    return found


def text(html: str) -> str:
    """``html`` without its tags."""
    return re.sub(r"<[^>]*>", "", html)


def folders(html: str) -> list[str]:
    return [
        chunk.split('"', 1)[0] for chunk in html.split('<tr class="folder-row" data-name="')[1:]
    ]


def test_a_folder_lists_folders_first_then_files_with_their_status(runner_client, processed):
    html = runner_client.get(reverse(ASSETS), {"folder": "/content/dam/guide"}).content.decode()
    assert folders(html) == ["images", "topics"]
    assert rows(html) == {"guide.ditamap": "PROCESSED"}
    assert html.index('data-name="topics"') < html.index('data-name="guide.ditamap"')

    html = runner_client.get(reverse(ASSETS), {"folder": "guide/topics"}).content.decode()
    statuses = rows(html)
    assert statuses == {
        "broken.dita": "FAILED",
        "faq.dita": "DELETED",
        "intro.dita": "PROCESSED",
        "new.dita": "PENDING",
        "setup.dita": "PROCESSED",
    }
    # The failure's reason, the type, the broken-link count of setup.dita (one missing file).
    failed = Asset.objects.get(relpath="guide/topics/broken.dita")
    assert failed.error and failed.error[:20] in html
    assert "DITA topic" in html
    setup = html.split('data-name="setup.dita"')[1].split("</tr>")[0]
    assert 'class="failed-count"' in setup and ">1</a>" in setup


def test_a_file_changed_on_disk_is_pending(runner_client, processed):
    intro = processed / "guide/topics/intro.dita"
    intro.write_text(intro.read_text() + "\n")
    html = runner_client.get(reverse(ASSETS), {"folder": "guide/topics"}).content.decode()
    assert rows(html)["intro.dita"] == "PENDING"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "FAILED"}, ["topics/broken.dita"]),
        ({"status": "DELETED"}, ["topics/faq.dita"]),
        ({"status": "PENDING"}, ["topics/new.dita"]),
        ({"type": "DITAMAP"}, ["guide.ditamap"]),
        # faq.dita's undefined key is history: the file is deleted.
        ({"broken": "on"}, ["topics/setup.dita"]),
        ({"status": "PROCESSED", "broken": "on"}, ["topics/setup.dita"]),
    ],
)
def test_filters_list_every_matching_file_below_the_folder(
    runner_client, processed, filters, expected
):
    html = runner_client.get(
        reverse(ASSETS), {"folder": "/content/dam/guide", **filters}
    ).content.decode()
    assert list(rows(html)) == expected
    assert folders(html) == []


def test_pages_are_keyset_pages_that_cover_the_folder_once(runner_client, write_tree, settings):
    files = {f"many/sub{index}/x.dita": topic(f"s{index}", "S") for index in range(3)}
    files.update({f"many/t{index:03d}.dita": topic(f"t{index}", "T") for index in range(7)})
    write_tree(files)
    run("/content/dam/many")
    # A processed file gone from disk sorts among the others.
    os.remove(settings.GUIDES_CONTENT_ROOT / "many/t003.dita")
    seen: list[str] = []
    after = ""
    while True:
        listing = asset_selectors.assets_listing(
            root=settings.GUIDES_CONTENT_ROOT, folder="/content/dam/many", after=after, limit=4
        )
        seen += [entry.name for entry in listing.entries]
        if listing.next_cursor is None:
            break
        after = listing.next_cursor
    assert seen == ["sub0", "sub1", "sub2"] + [f"t{index:03d}.dita" for index in range(7)]

    # Through the view: the first page links to the next, which htmx swaps in.
    first = runner_client.get(reverse(ASSETS), {"folder": "/content/dam/many"}).content.decode()
    assert 'id="assets-next"' not in first  # 10 entries fit in one page of 50
    response = runner_client.get(
        reverse(ASSETS), {"folder": "/content/dam/many", "after": "d:sub2"}, **HTMX
    )
    html = response.content.decode()
    assert html.startswith('<section id="assets"')
    assert folders(html) == []
    assert list(rows(html)) == [f"t{index:03d}.dita" for index in range(7)]


def test_bad_parameters_are_400_and_an_unknown_folder_404(runner_client, processed):
    assert runner_client.get(reverse(ASSETS), {"status": "LOST"}).status_code == 400
    assert runner_client.get(reverse(ASSETS), {"folder": "/content/dam/../x"}).status_code == 400
    response = runner_client.get(reverse(ASSETS), {"folder": "/content/dam/nowhere"})
    assert response.status_code == 404
    assert "/content/dam/nowhere does not exist" in response.content.decode()


def test_the_asset_page_shows_metadata_uses_broken_links_and_history(runner_client, processed):
    path = "/content/dam/guide/topics/setup.dita"
    html = runner_client.get(reverse(ASSET), {"path": path}).content.decode()
    asset = Asset.objects.get(relpath="guide/topics/setup.dita")
    for fact in (asset.title, "About Setting up.", "en-US", str(asset.uuid), asset.checksum):
        assert fact in html
    # Values and paths are shown in segments that wrap after a '/' (tags between them).
    uses = text(html.split('id="asset-uses"')[1].split("</table>")[0])
    assert "../images/logo.png" in uses and "missing.dita" in uses
    broken = html.split('id="asset-broken"')[1].split("</table>")[0]
    assert "missing.dita" in broken and "logo.png" not in broken
    history = html.split('id="asset-history"')[1].split("</table>")[0]
    execution = Execution.objects.get()
    assert str(execution.processing_id)[:8] in history and "Done" in history


def test_used_in_lists_direct_references_and_references_through_keys(runner_client, processed):
    html = runner_client.get(
        reverse(ASSET), {"path": "/content/dam/guide/topics/setup.dita"}
    ).content.decode()
    used_in = html.split('id="asset-used-in"')[1].split("</table>")[0]
    # The map's topicref (direct), intro's xref href (direct) and intro's keyref (key "setup").
    assert "/content/dam/guide/guide.ditamap" in used_in
    assert used_in.count('/content/dam/guide/topics/intro.dita"') == 2
    assert "(key setup)" in used_in
    assert '<dt>Keys that name this file</dt><dd class="mono">setup</dd>' in html


def test_the_keys_that_name_a_file_are_those_of_its_live_key_references(write_tree, content_root):
    write_tree(guide())
    run("/content/dam/guide")
    assert asset_detail.keys_defined_as(relpath="guide/topics/setup.dita") == ["setup"]
    # faq's key is undefined: it names no file.
    assert asset_detail.keys_defined_as(relpath="guide/topics/faq.dita") == []

    # Its one key reference gone with intro, no key names the file any more.
    os.remove(content_root / "guide/topics/intro.dita")
    run("/content/dam/guide")
    assert asset_detail.keys_defined_as(relpath="guide/topics/setup.dita") == []


def test_used_in_pages_by_reference_id(runner_client, write_tree):
    files = {"hub/target.dita": topic("target", "Target")}
    files.update(
        {
            f"hub/s{index}.dita": topic(f"s{index}", "S", '<xref href="target.dita"/>')
            for index in range(5)
        }
    )
    write_tree(files)
    run("/content/dam/hub")
    page = asset_detail.asset_used_in(relpath="hub/target.dita", limit=2)
    sources = [ref.asset.relpath for ref in page.references]
    while page.next_cursor:
        response = runner_client.get(
            reverse("guides_processor:asset_references"),
            {"path": "/content/dam/hub/target.dita", "list": "used_in", "after": page.next_cursor},
            **HTMX,
        )
        assert response.status_code == 200
        page = asset_detail.asset_used_in(
            relpath="hub/target.dita", after=page.next_cursor, limit=2
        )
        sources += [ref.asset.relpath for ref in page.references]
    assert sorted(sources) == [f"hub/s{index}.dita" for index in range(5)]
    assert len(sources) == Reference.objects.filter(target="hub/target.dita").count()


def test_a_file_never_processed_shows_its_size_on_disk_alone(runner_client, processed):
    html = runner_client.get(
        reverse(ASSET), {"path": "/content/dam/guide/topics/new.dita"}
    ).content.decode()
    size = len(topic("new", "New").encode())
    assert f"<dt>Size</dt><dd>{size} bytes</dd>" in html


def test_a_processed_file_changed_on_disk_shows_both_sizes(runner_client, processed):
    (processed / "guide/topics/setup.dita").write_text(
        topic("setup", "Setting up, longer"), encoding="utf-8"
    )
    html = runner_client.get(
        reverse(ASSET), {"path": "/content/dam/guide/topics/setup.dita"}
    ).content.decode()
    size = Asset.objects.get(relpath="guide/topics/setup.dita").size
    now = len(topic("setup", "Setting up, longer").encode())
    assert f'<dt>Size</dt><dd>{size} bytes <span class="muted">(now {now})</span></dd>' in html


def test_the_asset_page_of_an_unknown_file_is_404(runner_client, processed):
    response = runner_client.get(reverse(ASSET), {"path": "/content/dam/guide/none.dita"})
    assert response.status_code == 404
    assert runner_client.get(reverse(ASSET), {"path": ""}).status_code == 400


def test_reprocess_is_offered_to_runners_only(runner_client, reader_client, processed):
    params = {"path": "/content/dam/guide/topics/setup.dita"}
    assert 'id="reprocess-asset"' in runner_client.get(reverse(ASSET), params).content.decode()
    assert 'id="reprocess-asset"' not in reader_client.get(reverse(ASSET), params).content.decode()
    response = reader_client.post(
        reverse("guides_processor:asset_reprocess"), {**params, "scope": "folder"}, **HTMX
    )
    assert response.status_code == 403


def test_reprocess_the_folder_starts_an_execution_with_a_toast_linking_to_it(
    runner_client, processed
):
    response = runner_client.post(
        reverse("guides_processor:asset_reprocess"),
        {"path": "/content/dam/guide/topics/setup.dita", "scope": "folder"},
        **HTMX,
    )
    assert response.status_code == 201
    execution = Execution.objects.order_by("-id").first()
    assert execution is not None
    assert execution.path == "/content/dam/guide/topics"
    assert str(execution.processing_id) in response["HX-Trigger"]


def test_the_tools_page_has_an_assets_tile(runner_client):
    html = runner_client.get(reverse("guides_processor:tools")).content.decode()
    assert reverse(ASSETS) in html and "Assets" in html


def maps_and_topics_with_verdicts(write_tree) -> None:
    """Two root maps use shared.dita; only a.ditamap defines "only-a". shared.dita also conrefs
    an id one.dita lacks."""
    from tests.engine.test_link_semantics import map_of

    write_tree(
        {
            "doc/a.ditamap": map_of(
                '<keydef keys="only-a" href="one.dita"/>', '<topicref href="shared.dita"/>'
            ),
            "doc/b.ditamap": map_of('<topicref href="shared.dita"/>'),
            "doc/shared.dita": topic(
                "shared", "Shared", '<xref keyref="only-a"/> <p conref="one.dita#one/missing"/>'
            ),
            "doc/one.dita": topic("one", "One"),
        }
    )
    run("/content/dam/doc")


def test_verdicts_are_said_in_words_in_uses_and_in_used_in(runner_client, write_tree):
    maps_and_topics_with_verdicts(write_tree)

    def table(path: str, table_id: str) -> str:
        html: str = runner_client.get(reverse(ASSET), {"path": path}).content.decode()
        return html.split(f'id="{table_id}"')[1].split("</table>")[0]

    uses = table("/content/dam/doc/shared.dita", "asset-uses")
    assert "Broken" in uses and "The target file has no such topic or element id" in uses
    assert "Some root maps that use the topic do not define the key: " in uses
    assert "/content/dam/doc/b.ditamap" in uses  # the map that lacks it, not only in a tooltip
    used_in = table("/content/dam/doc/one.dita", "asset-used-in")
    assert "Broken" in used_in and "The target file has no such topic or element id" in used_in


def test_a_status_filter_scans_in_chunks_and_pages_each_match_once(
    write_tree, content_root, monkeypatch
):
    write_tree({f"many/t{index:02d}.dita": topic(f"t{index}", f"T{index}") for index in range(12)})
    run("/content/dam/many")
    gone = [f"many/t{index:02d}.dita" for index in (1, 2, 6, 10, 11)]
    for relpath in gone:
        os.remove(content_root / relpath)
    monkeypatch.setattr(asset_selectors, "_SCAN_ROWS", 3)

    listed, after = [], ""
    while True:
        page = asset_selectors.assets_listing(
            root=content_root, folder="/content/dam/many", status="DELETED", after=after, limit=2
        )
        listed += [
            (entry.relpath, entry.status, entry.asset and entry.asset.title)
            for entry in page.entries
        ]
        if page.next_cursor is None:
            break
        after = page.next_cursor

    assert listed == [(relpath, "DELETED", f"T{int(relpath[6:8])}") for relpath in gone]
