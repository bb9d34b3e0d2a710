"""Reason codes, ids across files, deleted assets, and key spaces per root map, through real
executions on small trees whose verdicts can be counted by hand."""

import pytest

from guides_processor import executions, processing, selectors
from guides_processor.engine import keyhelper
from guides_processor.engine.sql import keys, vanished, verdicts
from guides_processor.models import Asset, ExecutionItem, LogLine, Reference
from guides_processor.selectors.asset_detail import warning_note

from .trees import topic

pytestmark = pytest.mark.django_db


@pytest.fixture(
    autouse=True,
    params=[
        "pages of 20,000",
        "pages of one",
        # Committed rows, for the helper process to read.
        pytest.param("a helper process", marks=pytest.mark.django_db(transaction=True)),
    ],
)
def link_pass_pages(request, monkeypatch, settings):
    """Every test three times: with the link pass's pages and kept map trees as configured; with
    pages of one row and one kept tree, so that what crosses a page is judged as in one; and
    with the key references judged by a helper process (``engine.keyhelper``) whenever the
    finish may use one, which must judge as the finishing process does."""
    if request.param == "pages of one":
        monkeypatch.setattr(verdicts, "_PAGE", 1)
        monkeypatch.setattr(vanished, "_PAGE", 1)
        monkeypatch.setattr(keys, "_TEXT_PAGE", 1)
        monkeypatch.setattr(keys._StoredMaps, "_KEPT", 1)
    delivered: list[bool] = []
    if request.param == "a helper process":
        settings.GUIDES_LINK_HELPER_ASSETS = 1
        deliver = keyhelper.KeyHelper.deliver

        def counted(self, write):
            delivered.append(deliver(self, write))
            return delivered[-1]

        monkeypatch.setattr(keyhelper.KeyHelper, "deliver", counted)
    yield
    if request.param == "a helper process":
        # Each test's first finish judges something, and no helper failed.
        assert delivered and all(delivered), delivered


def run(path: str = "/content/dam/doc"):
    execution = executions.execution_create(path=path, created_by="admin")
    return executions.execution_run_inline(processing_id=execution.processing_id)


def ref(value: str, source: str = "") -> Reference:
    found = Reference.objects.filter(value=value)
    return found.get(asset__relpath=source) if source else found.get()


def verdict(value: str, source: str = "") -> tuple[bool, str, str]:
    found = ref(value, source)
    return found.broken, found.reason, found.warning


def map_of(*body: str, keyscope: str = "") -> str:
    scope = f' keyscope="{keyscope}"' if keyscope else ""
    return f"<map{scope}><title>M</title>{''.join(body)}</map>"


def test_every_broken_reference_has_its_reason_on_the_detail_page_and_in_the_log(write_tree):
    write_tree(
        {
            "doc/a.dita": topic(
                "a",
                "A",
                '<xref href="gone.dita"/> <xref href="../../out.dita"/> <xref keyref="nokey"/>'
                ' <xref href="b.dita#b/nope"/>',
            ),
            "doc/b.dita": topic("b", "B", '<ph id="here">x</ph>'),
        }
    )
    execution = run()

    assert verdict("gone.dita") == (True, "FILE_MISSING", "")
    assert verdict("../../out.dita") == (True, "OUTSIDE_ROOT", "")
    assert verdict("nokey") == (True, "KEY_UNDEFINED", "NOT_IN_ANY_MAP")
    assert verdict("b.dita#b/nope") == (True, "ELEMENT_MISSING", "")
    listed = selectors.execution_broken_references(execution)
    assert {(r.value, r.reason) for r in listed} == {
        ("gone.dita", "FILE_MISSING"),
        ("../../out.dita", "OUTSIDE_ROOT"),
        ("nokey", "KEY_UNDEFINED"),
        ("b.dita#b/nope", "ELEMENT_MISSING"),
    }
    line = LogLine.objects.get(execution=execution, message__contains="doc/a.dita ")
    assert 'href="gone.dita" line' in line.message and "(FILE_MISSING)" in line.message
    assert execution.broken_reference_count == 4


@pytest.mark.parametrize("order", ["target first", "source first"])
def test_element_ids_are_checked_across_files_in_any_order_and_across_executions(write_tree, order):
    source = topic("s", "S", '<xref href="../t/t.dita#t/e1"/> <xref href="../t/t.dita#t/e2"/>')
    target = topic("t", "T", '<ph id="e1">x</ph>')
    write_tree({"doc/s/s.dita": source, "doc/t/t.dita": target})
    if order == "target first":
        run("/content/dam/doc/t")
        run("/content/dam/doc/s")
    else:
        run("/content/dam/doc")

    assert verdict("../t/t.dita#t/e1") == (False, "", "")
    assert verdict("../t/t.dita#t/e2") == (True, "ELEMENT_MISSING", "")
    assert Asset.objects.get(relpath="doc/t/t.dita").ids.split("\n") == ["t", "t/e1"]


def test_a_target_that_gains_the_id_later_clears_the_reference(write_tree):
    root = write_tree(
        {
            "doc/s.dita": topic("s", "S", '<xref href="t.dita#t/e2"/>'),
            "doc/t.dita": topic("t", "T", "x"),
        }
    )
    run()
    assert verdict("t.dita#t/e2") == (True, "ELEMENT_MISSING", "")

    (root / "doc/t.dita").write_text(topic("t", "T", '<ph id="e2">x</ph>'))
    run()
    assert verdict("t.dita#t/e2") == (False, "", "")


def test_deleted_files_leave_the_live_model_and_come_back_when_recreated(write_tree):
    root = write_tree(
        {
            "doc/m.ditamap": map_of(
                '<keydef keys="k" href="t.dita"/>', '<topicref href="s.dita"/>'
            ),
            "doc/s.dita": topic("s", "S", '<xref href="t.dita"/> <xref keyref="k"/>'),
            "doc/t.dita": topic("t", "T", '<xref href="nowhere.dita"/>'),
        }
    )
    run()
    assert verdict("t.dita", "doc/s.dita") == (False, "", "")
    assert verdict("k") == (False, "", "")
    assert ref("k").target == "doc/t.dita"

    text = (root / "doc/t.dita").read_text()
    (root / "doc/t.dita").unlink()
    execution = run()

    gone = Asset.objects.get(relpath="doc/t.dita")
    assert gone.deleted_at is not None
    assert verdict("t.dita", "doc/s.dita") == (True, "FILE_MISSING", "")
    assert verdict("k") == (True, "KEY_TARGET_MISSING", "")
    # The deleted file's own broken reference is history: not reported.
    listed = {r.value for r in selectors.execution_broken_references(execution)}
    assert "nowhere.dita" not in listed
    # s.dita's xref and keyref, and the map's keydef href to t.dita.
    assert execution.broken_reference_count == 3
    assert verdict("t.dita", "doc/m.ditamap") == (True, "FILE_MISSING", "")

    (root / "doc/t.dita").write_text(text)
    run()
    assert Asset.objects.get(relpath="doc/t.dita").deleted_at is None
    assert verdict("t.dita", "doc/s.dita") == (False, "", "")
    assert verdict("k") == (False, "", "")


def test_several_files_deleted_and_brought_back_in_one_execution_are_all_seen(write_tree):
    # Five topics; three deleted (a, c, e), then two of them (a, e) written again. With pages
    # of one row, each of them is on a page of its own.
    files = {f"doc/{name}.dita": topic(name, name.upper()) for name in "abcde"}
    root = write_tree(files)
    run()
    for name in "ace":
        (root / f"doc/{name}.dita").unlink()
    run()
    deleted = Asset.objects.filter(deleted_at__isnull=False).values_list("relpath", flat=True)
    assert sorted(deleted) == ["doc/a.dita", "doc/c.dita", "doc/e.dita"]

    write_tree({name: files[name] for name in ("doc/a.dita", "doc/e.dita")})
    run()
    deleted = Asset.objects.filter(deleted_at__isnull=False).values_list("relpath", flat=True)
    assert list(deleted) == ["doc/c.dita"]


def test_a_deleted_map_stops_defining_keys(write_tree):
    root = write_tree(
        {
            "doc/m.ditamap": map_of('<keydef keys="k" href="t.dita"/>'),
            "doc/t.dita": topic("t", "T", '<xref keyref="k"/>'),
        }
    )
    run()
    assert verdict("k")[:2] == (False, "")
    (root / "doc/m.ditamap").unlink()
    run()
    assert verdict("k") == (True, "KEY_UNDEFINED", "NOT_IN_ANY_MAP")


def test_a_filtered_execution_deletes_only_what_is_gone_from_disk(write_tree):
    root = write_tree({"doc/a.dita": topic("a", "A"), "doc/b.png": b"\x89PNG\r\n\x1a\n"})
    run()
    (root / "doc/a.dita").unlink()
    execution = executions.execution_create(
        path="/content/dam/doc", created_by="admin", file_types=["OTHERS"]
    )
    executions.execution_run_inline(processing_id=execution.processing_id)

    assert Asset.objects.get(relpath="doc/a.dita").deleted_at is not None
    assert Asset.objects.get(relpath="doc/b.png").deleted_at is None


def test_each_root_map_has_its_own_key_space(write_tree):
    # Two root maps reach shared.dita; only one defines "only-a"; "both" is defined in both, with
    # different targets, and the first definition in document order wins in each.
    write_tree(
        {
            "doc/a.ditamap": map_of(
                '<mapref href="keys.ditamap"/>',
                '<keydef keys="both" href="one.dita"/>',
                '<topicref href="shared.dita"/>',
            ),
            "doc/keys.ditamap": map_of(
                '<keydef keys="only-a" href="one.dita"/>', '<keydef keys="both" href="two.dita"/>'
            ),
            "doc/b.ditamap": map_of(
                '<keydef keys="both" href="one.dita"/>', '<topicref href="shared.dita"/>'
            ),
            "doc/shared.dita": topic(
                "shared",
                "Shared",
                '<xref keyref="both"/> <xref keyref="only-a"/> <xref keyref="none"/>'
                ' <xref keyref="none-fb" href="one.dita"/>',
            ),
            "doc/one.dita": topic("one", "One"),
            "doc/two.dita": topic("two", "Two"),
        }
    )
    run()

    # keys.ditamap is referenced, so a.ditamap and b.ditamap are the roots; in a.ditamap the
    # submap's "both" (two.dita) comes first in document order.
    both = ref("both")
    assert (both.broken, both.warning, both.target) == (False, "", "doc/two.dita")
    only = ref("only-a")
    assert (only.broken, only.warning, only.note) == (
        False,
        "KEY_UNDEFINED_IN_SOME_MAPS",
        "doc/b.ditamap",
    )
    assert verdict("none") == (True, "KEY_UNDEFINED", "")
    assert verdict("none-fb") == (False, "", "FALLBACK_USED")


def test_key_scopes_qualify_names_and_parents_win(write_tree):
    # DITA 1.3 part 3, 2.4.1: inside scope "lib", "k" is the root's (the parent wins) and "own"
    # the scope's; outside, "own" is only reachable as "lib.own".
    write_tree(
        {
            "doc/root.ditamap": map_of(
                '<keydef keys="k" href="one.dita"/>',
                '<topicgroup keyscope="lib">'
                '<keydef keys="k" href="two.dita"/><keydef keys="own" href="two.dita"/>'
                '<topicref href="inside.dita"/></topicgroup>',
                '<topicref href="outside.dita"/>',
            ),
            "doc/inside.dita": topic(
                "inside", "In", '<xref keyref="k"/> <xref keyref="own"/> <xref keyref="lib.own"/>'
            ),
            "doc/outside.dita": topic(
                "outside", "Out", '<ph keyref="own"/> <ph keyref="lib.own"/> <ph keyref="k"/>'
            ),
            "doc/one.dita": topic("one", "One"),
            "doc/two.dita": topic("two", "Two"),
        }
    )
    run()

    inside = {
        r.value: (r.broken, r.target)
        for r in Reference.objects.filter(asset__relpath="doc/inside.dita")
    }
    assert inside == {
        "k": (False, "doc/one.dita"),
        "own": (False, "doc/two.dita"),
        "lib.own": (False, "doc/two.dita"),
    }
    outside = {
        r.value: (r.broken, r.reason)
        for r in Reference.objects.filter(asset__relpath="doc/outside.dita")
    }
    assert outside == {"own": (True, "KEY_UNDEFINED"), "lib.own": (False, ""), "k": (False, "")}


def test_a_mapref_scope_and_topics_reached_by_key(write_tree):
    write_tree(
        {
            "doc/root.ditamap": map_of(
                '<mapref href="sub.ditamap" keyscope="sub"/>',
                '<topicref keyref="sub.page"/>',
            ),
            "doc/sub.ditamap": map_of('<keydef keys="page" href="page.dita"/>'),
            "doc/page.dita": topic("page", "Page", '<xref keyref="sub.page"/>'),
        }
    )
    run()
    # page.dita is reached by the root map through the key "sub.page", so it is in a map.
    assert verdict("sub.page", "doc/page.dita") == (False, "", "")
    assert Reference.objects.filter(key="sub.page", target="doc/page.dita").count() == 2


def test_conrefend_with_conkeyref_checks_the_end_id_in_the_keys_target(write_tree):
    write_tree(
        {
            "doc/m.ditamap": map_of(
                '<keydef keys="lib" href="lib.dita"/>', '<topicref href="use.dita"/>'
            ),
            "doc/lib.dita": topic("lib", "Lib", '<ph id="start">a</ph><ph id="end">b</ph>'),
            "doc/use.dita": topic(
                "use",
                "Use",
                '<ph conkeyref="lib/start" conrefend="other.dita#x/end"/>'
                '<ph conkeyref="lib/start" conrefend="other.dita#x/nope"/>',
            ),
        }
    )
    run()
    assert verdict("other.dita#x/end") == (False, "", "")
    assert verdict("other.dita#x/nope") == (True, "ELEMENT_MISSING", "")
    assert {r.reason for r in Reference.objects.filter(attribute="conkeyref")} == {""}


def keydef(key: str, text: str, element: str = "keyword", href: str = "") -> str:
    """A key definition whose topicmeta holds ``text`` in a keyword or a linktext."""
    inner = (
        f"<keywords><keyword>{text}</keyword></keywords>"
        if element == "keyword"
        else (f"<linktext>{text}</linktext>")
    )
    target = f' href="{href}"' if href else ""
    return f'<keydef keys="{key}"{target}><topicmeta>{inner}</topicmeta></keydef>'


def test_titles_take_the_text_of_the_keys_they_name(write_tree):
    # title: "About " + product's keyword + " " + "own" (the term has content, kept) + " " +
    # linked's linktext + nothing for the undefined key; the shortdesc and the map's title too.
    write_tree(
        {
            "doc/m.ditamap": map_of(
                keydef("product", "Widget  Pro"),
                keydef("linked", "the manual", "linktext", "t.dita"),
                '<topicref href="t.dita"/>',
            ).replace("<title>M</title>", '<title><ph keyref="product"/> maps</title>'),
            "doc/t.dita": topic(
                "t",
                'About <ph keyref="product"/> <term keyref="product">own</term>'
                ' <xref keyref="linked"/><keyword keyref="nokey"/>',
            ),
        }
    )
    run()
    page = Asset.objects.get(relpath="doc/t.dita")
    assert page.title == "About Widget Pro own the manual"
    assert Asset.objects.get(relpath="doc/m.ditamap").title == "Widget Pro maps"


def test_a_short_description_takes_the_keys_text(write_tree):
    root = write_tree(
        {
            "doc/m.ditamap": map_of(keydef("product", "Wídget ✓"), '<topicref href="t.dita"/>'),
            "doc/t.dita": topic("t", "T").replace(
                "<shortdesc>About T.</shortdesc>",
                '<shortdesc>Using <keyword keyref="product"/>.</shortdesc>',
            ),
        }
    )
    run()
    metadata = Asset.objects.get(relpath="doc/t.dita").metadata
    assert metadata["shortdesc"] == "Using Wídget ✓."
    # The link pass sets the short description inside the stored metadata: the rest is as
    # processing wrote it.
    processed = processing.process(root, "doc/t.dita").metadata
    assert len(processed) > 1
    assert {**metadata, "shortdesc": ""} == {**processed, "shortdesc": ""}


def test_a_title_naming_keys_leaves_a_plain_short_description_alone(write_tree):
    write_tree(
        {
            "doc/m.ditamap": map_of(keydef("product", "Widget"), '<topicref href="t.dita"/>'),
            "doc/t.dita": topic("t", '<ph keyref="product"/> guide').replace(
                '<shortdesc>About <ph keyref="product"/> guide.</shortdesc>',
                "<shortdesc>Plain words.</shortdesc>",
            ),
        }
    )
    run()
    asset = Asset.objects.get(relpath="doc/t.dita")
    assert asset.title == "Widget guide"
    assert asset.metadata["shortdesc"] == "Plain words."


def test_a_topic_of_two_root_maps_takes_the_first_root_maps_text_and_follows_changes(
    write_tree,
):
    # a.ditamap and b.ditamap both reach t.dita and define "product" differently: a.ditamap
    # comes first by relpath. Once a.ditamap no longer defines it, b.ditamap's text is used.
    root = write_tree(
        {
            "doc/b.ditamap": map_of(keydef("product", "Bravo"), '<topicref href="t.dita"/>'),
            "doc/a.ditamap": map_of(keydef("product", "Alpha"), '<topicref href="t.dita"/>'),
            "doc/t.dita": topic("t", '<ph keyref="product"/> guide'),
        }
    )
    run()
    assert Asset.objects.get(relpath="doc/t.dita").title == "Alpha guide"

    (root / "doc/a.ditamap").write_text(map_of('<topicref href="t.dita"/>'))
    run()
    assert Asset.objects.get(relpath="doc/t.dita").title == "Bravo guide"


def incremental_tree() -> dict[str, str | bytes]:
    # One map for both folders; s/ refers into t/ by file, fragment and key.
    return {
        "doc/m.ditamap": map_of(
            '<keydef keys="k" href="t/t.dita"/>',
            '<topicref href="s/s.dita"/>',
            '<topicref href="t/t.dita"/>',
        ),
        "doc/s/s.dita": topic(
            "s", "S", '<xref href="../t/t.dita#t/e1"/> <xref keyref="k/e1"/> <xref keyref="k"/>'
        ),
        "doc/s/other.dita": topic("o", "O", '<xref keyref="gone"/>'),
        "doc/t/t.dita": topic("t", "T", '<ph id="e1">x</ph>'),
    }


def test_an_execution_that_changes_no_map_judges_only_what_it_may_have_changed(write_tree):
    write_tree(incremental_tree())
    run()
    assert verdict("gone") == (True, "KEY_UNDEFINED", "NOT_IN_ANY_MAP")
    # A verdict no file of doc/t can change is left alone by an execution of doc/t: had the
    # finish judged the whole repository again, it would have put KEY_UNDEFINED back.
    Reference.objects.filter(value="gone").update(broken=False, reason="", warning="")
    run("/content/dam/doc/t")
    assert verdict("gone") == (False, "", "")
    # An execution that processes a map judges everything again.
    run()
    assert verdict("gone") == (True, "KEY_UNDEFINED", "NOT_IN_ANY_MAP")


def test_a_small_execution_still_updates_references_into_what_it_changed(write_tree):
    root = write_tree(incremental_tree())
    run()
    assert [verdict(v) for v in ("../t/t.dita#t/e1", "k/e1", "k")] == [(False, "", "")] * 3

    # The target loses its id: the fragment and the key's element break, from doc/t alone.
    (root / "doc/t/t.dita").write_text(topic("t", "T", "x"))
    run("/content/dam/doc/t")
    assert verdict("../t/t.dita#t/e1") == (True, "ELEMENT_MISSING", "")
    assert verdict("k/e1") == (True, "ELEMENT_MISSING", "")

    # The target is deleted, then comes back.
    text = topic("t", "T", '<ph id="e1">x</ph>')
    (root / "doc/t/t.dita").unlink()
    run("/content/dam/doc/t")
    assert verdict("../t/t.dita#t/e1") == (True, "FILE_MISSING", "")
    assert verdict("k") == (True, "KEY_TARGET_MISSING", "")
    (root / "doc/t/t.dita").write_text(text)
    run("/content/dam/doc/t")
    assert [verdict(v) for v in ("../t/t.dita#t/e1", "k/e1", "k")] == [(False, "", "")] * 3


def test_a_small_execution_fills_its_own_titles_from_unchanged_maps(write_tree):
    root = write_tree(
        {
            "doc/m.ditamap": map_of(keydef("product", "Widget"), '<topicref href="t/t.dita"/>'),
            "doc/t/t.dita": topic("t", "T"),
        }
    )
    run()
    (root / "doc/t/t.dita").write_text(topic("t", 'New <ph keyref="product"/>'))
    run("/content/dam/doc/t")
    assert Asset.objects.get(relpath="doc/t/t.dita").title == "New Widget"


def test_a_repeated_failure_judges_nothing_again_but_a_first_failure_and_a_fix_do(write_tree):
    root = write_tree(
        {
            "doc/m.ditamap": map_of(
                '<keydef keys="k" href="t/t.dita"/>', '<topicref href="u.dita"/>'
            ),
            "doc/u.dita": topic("u", "U", '<xref keyref="k/nope"/>'),
            "doc/t/t.dita": topic("t", "T"),
        }
    )
    run()
    assert verdict("k/nope") == (True, "ELEMENT_MISSING", "")

    def run_t() -> ExecutionItem:
        execution = run("/content/dam/doc/t")
        return ExecutionItem.objects.get(execution=execution, relpath="doc/t/t.dita")

    # A first failure: the target's ids are unknown now, so the element is no longer missing.
    (root / "doc/t/t.dita").write_text("<concept id='t'><title>T</b></concept>")
    first = run_t()
    assert (first.state, first.repeated_failure) == ("FAILED", None)
    assert verdict("k/nope") == (False, "", "")

    # The same failure again: nothing another asset sees changed, so no verdict is judged again
    # (one set by hand stays as it is).
    Reference.objects.filter(value="k/nope").update(broken=True, reason="KEY_UNDEFINED")
    again = run_t()
    assert (again.state, again.repeated_failure) == ("FAILED", True)
    assert verdict("k/nope") == (True, "KEY_UNDEFINED", "")

    # Fixed: processed, and the references into it judged again.
    (root / "doc/t/t.dita").write_text(topic("t", "T"))
    fixed = run_t()
    assert (fixed.state, fixed.repeated_failure) == ("DONE", None)
    assert verdict("k/nope") == (True, "ELEMENT_MISSING", "")


def test_a_filtered_execution_lists_a_folder_of_many_candidates_once(write_tree):
    # Ten topics in one folder (listed once) and one in another (looked at by itself); a type
    # filter leaves all of them out of the manifest, so each is looked for on disk.
    files = {f"doc/many/t{index}.dita": topic(f"t{index}", "T") for index in range(10)}
    root = write_tree({**files, "doc/one/t.dita": topic("t", "T"), "doc/p.png": b"\x89PNG"})
    run()
    for gone in ("doc/many/t2.dita", "doc/many/t7.dita", "doc/one/t.dita"):
        (root / gone).unlink()
    (root / "doc/many/t5.dita").unlink()
    (root / "doc/many/t5.dita").mkdir()  # a folder where the file was is not that file
    execution = executions.execution_create(
        path="/content/dam/doc", created_by="admin", file_types=["OTHERS"]
    )
    executions.execution_run_inline(processing_id=execution.processing_id)

    deleted = Asset.objects.filter(deleted_at__isnull=False).values_list("relpath", flat=True)
    assert sorted(deleted) == [
        "doc/many/t2.dita", "doc/many/t5.dita", "doc/many/t7.dita", "doc/one/t.dita"
    ]  # fmt: skip


def test_a_fallback_href_or_conref_is_used_only_while_its_key_is_undefined(write_tree):
    """DITA 1.3 part 3, 2.3.4.2-2.3.4.3: a defined key wins over the @href (@conref) beside it,
    even a key without a file; only an undefined key leaves the reference to it. Six elements
    in t.dita; two of their fallbacks are used and broken, two more once the key k goes."""
    root = (
        '<keydef keys="k" href="one.dita"/>'
        '<keydef keys="textonly"><topicmeta><keywords><keyword>T</keyword></keywords>'
        '</topicmeta></keydef><topicref href="t.dita"/>'
    )
    body = (
        '<xref keyref="k" href="missing1.dita"/>'
        ' <xref keyref="textonly" href="missing2.dita"/>'
        ' <xref keyref="nokey" href="missing3.dita"/>'
        ' <xref keyref="nokey2" href="one.dita"/>'
        ' <ph conkeyref="k/p1" conref="missing4.dita#x/y"/>'
        ' <ph conkeyref="nokey/p1" conref="one.dita#one/nope"/>'
    )
    write_tree(
        {
            "doc/root.ditamap": map_of(root),
            "doc/one.dita": topic("one", "One", '<p id="p1">P</p>'),
            "doc/t.dita": topic("t", "T", body),
        }
    )
    first = run()

    def of(value: str) -> tuple[bool, str, str]:
        return verdict(value, "doc/t.dita")

    unused = (False, "", processing.FALLBACK_NOT_USED)
    assert of("missing1.dita") == unused
    assert of("missing2.dita") == unused
    assert of("missing4.dita#x/y") == unused
    assert of("missing3.dita") == (True, processing.FILE_MISSING, "")
    assert of("one.dita") == (False, "", "")
    assert of("one.dita#one/nope") == (True, processing.ELEMENT_MISSING, "")
    assert of("nokey") == (False, "", processing.FALLBACK_USED)
    assert of("k") == (False, "", "")
    assert ref("k", "doc/t.dita").target == "doc/one.dita"
    assert first.broken_reference_count == 2
    # What the unused fallback would give is kept, and shown.
    assert ref("missing1.dita", "doc/t.dita").note == processing.FILE_MISSING
    shown = warning_note(processing.FALLBACK_NOT_USED, "FILE_MISSING")
    assert shown == "were it used, the target file does not exist"

    # The key k goes: its two fallbacks are used, and broken.
    write_tree({"doc/root.ditamap": map_of(root.replace('keys="k"', 'keys="k-renamed"'))})
    second = run()
    assert of("missing1.dita") == (True, processing.FILE_MISSING, "")
    assert of("missing4.dita#x/y") == (True, processing.FILE_MISSING, "")
    assert of("missing2.dita") == unused
    assert second.broken_reference_count == 4

    # A used fallback follows its target: missing1.dita comes.
    write_tree({"doc/missing1.dita": topic("m1", "M1")})
    run()
    assert of("missing1.dita") == (False, "", "")


@pytest.mark.parametrize("back_by", ["/content/dam/doc/t/t.dita", "/content/dam/doc/t"])
def test_a_key_whose_target_comes_back_resolves_again_without_its_map(write_tree, back_by):
    # The map is processed while t.dita is gone: its key "k" is recorded with a missing target.
    # t.dita coming back, processed alone or with its folder, mends the key references too,
    # though the map is not processed again.
    root = write_tree(incremental_tree())
    run()
    text = (root / "doc/t/t.dita").read_text()
    (root / "doc/t/t.dita").unlink()
    run()
    assert verdict("k") == (True, "KEY_TARGET_MISSING", "")
    assert verdict("k/e1") == (True, "KEY_TARGET_MISSING", "")

    (root / "doc/t/t.dita").write_text(text)
    run(back_by)

    assert [verdict(v) for v in ("../t/t.dita#t/e1", "k/e1", "k")] == [(False, "", "")] * 3
    # And gone again, by its folder's run: the key's target is missing once more.
    (root / "doc/t/t.dita").unlink()
    run("/content/dam/doc/t")
    assert verdict("k") == (True, "KEY_TARGET_MISSING", "")


def test_the_log_says_what_an_execution_changed_for_the_links_of_other_assets(write_tree):
    # Five links lead into t.dita: s.dita's three (a file, a key with an element, a key) and
    # the map's two (the keydef's and the topicref's @href). An execution of t/ alone breaks
    # them by deleting t.dita, and mends them by bringing it back. Its own count (of t/'s
    # assets) says nothing of those: the log does.
    root = write_tree(incremental_tree())
    run()
    text = (root / "doc/t/t.dita").read_text()

    (root / "doc/t/t.dita").unlink()
    gone = run("/content/dam/doc/t")
    (root / "doc/t/t.dita").write_text(text)
    back = run("/content/dam/doc/t")
    again = run("/content/dam/doc/t")

    def said(execution):
        return list(
            LogLine.objects.filter(
                execution=execution, message__startswith="Links of other assets"
            ).values_list("level", "message")
        )

    assert gone.broken_reference_count == 0
    assert said(gone) == [
        (
            "WARN",
            "Links of other assets judged again: 5 more broken references than before (they "
            "lead into what this execution changed; see the broken-links report).",
        )
    ]
    assert said(back) == [
        ("INFO", "Links of other assets judged again: 5 broken references fewer than before.")
    ]
    assert said(again) == []


def test_key_and_element_look_in_the_topic_the_definition_names(write_tree):
    """DITA 1.3 part 3, "The @keyref attribute": ``key/elementid`` addresses an element of the
    topic the key is bound to: the one its definition's @href names (``n.dita#inner``), else the
    file's first. n.dita holds "outer" (with po) and, nested, "inner" (with pi)."""
    nested = (
        '<topic id="outer"><title>O</title><body><p id="po">o</p></body>'
        '<topic id="inner"><title>I</title><body><p id="pi">i</p></body></topic></topic>'
    )
    write_tree(
        {
            "doc/m.ditamap": map_of(
                '<keydef keys="kin" href="n.dita#inner"/>',
                '<keydef keys="kfile" href="n.dita"/>',
                '<topicref href="t.dita"/>',
            ),
            "doc/n.dita": nested,
            "doc/t.dita": topic(
                "t",
                "T",
                '<xref keyref="kin/pi"/> <xref keyref="kin/po"/> '
                '<xref keyref="kfile/po"/> <xref keyref="kfile/pi"/>',
            ),
        }
    )
    run()

    assert verdict("kin/pi") == (False, "", "")
    assert verdict("kin/po") == (True, "ELEMENT_MISSING", "")
    assert verdict("kfile/po") == (False, "", "")
    assert verdict("kfile/pi") == (True, "ELEMENT_MISSING", "")


def test_a_dita_2_keytext_wins_over_keyword_and_linktext(write_tree):
    # DITA 2.0's <keytext> is the text made for key references: "v20" wins over the keyword
    # and the linktext beside it; a definition without it still gives its keyword.
    write_tree(
        {
            "doc/m.ditamap": map_of(
                '<keydef keys="kt"><topicmeta><keytext>Key <b>text</b> 2.0</keytext>'
                "<keywords><keyword>kw</keyword></keywords><linktext>lt</linktext>"
                "</topicmeta></keydef>",
                keydef("old", "Old"),
                '<topicref href="t.dita"/>',
            ),
            "doc/t.dita": topic("t", 'A <ph keyref="kt"/> and <ph keyref="old"/>'),
        }
    )
    run()

    assert Asset.objects.get(relpath="doc/t.dita").title == "A Key text 2.0 and Old"


def test_a_keyscope_of_spaces_alone_makes_no_scope(write_tree):
    # DITA 1.3 part 3, 2.4.1: @keyscope is a list of names; one of none bounds nothing, so "sp"
    # is defined where the topic is.
    write_tree(
        {
            "doc/m.ditamap": map_of(
                '<topicgroup keyscope="   "><keydef keys="sp" href="x.dita"/></topicgroup>',
                '<topicref href="t.dita"/>',
            ),
            "doc/x.dita": topic("x", "X"),
            "doc/t.dita": topic("t", "T", '<xref keyref="sp"/>'),
        }
    )
    run()

    assert verdict("sp") == (False, "", "")
