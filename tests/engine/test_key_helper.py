"""The link pass's helper process (``engine.keyhelper``): when it is used, and what the finish
does when it fails. That it judges as the finishing process does is tested by every test of
``test_link_semantics``, run once with it."""

import logging
import os
import pickle
import subprocess
import sys
import time

import pytest

from guides_processor import executions
from guides_processor.engine import keyhelper, worker_process
from guides_processor.engine.sql import verdicts as verdict_sql
from guides_processor.models import Asset, Reference

from .test_link_semantics import keydef, map_of
from .trees import topic

pytestmark = pytest.mark.django_db(transaction=True)


def run(**options):
    execution = executions.execution_create(path="/content/dam/doc", created_by="admin", **options)
    return executions.execution_run_inline(processing_id=execution.processing_id)


def tree(product: str = "Widget") -> dict[str, str | bytes]:
    """One root map; a topic with three key references (resolved, to a missing file, undefined)
    and a title naming a key. Broken: two of the topic's key references, and the map's keydef
    of lost.dita (a file reference): three."""
    return {
        "doc/m.ditamap": map_of(
            keydef("product", product),
            '<keydef keys="t" href="t.dita"/>',
            '<keydef keys="lost" href="lost.dita"/>',
            '<topicref href="s.dita"/>',
        ),
        "doc/s.dita": topic(
            "s",
            '<ph keyref="product"/> guide',
            '<xref keyref="t"/> <xref keyref="lost"/> <xref keyref="nokey"/>',
        ),
        "doc/t.dita": topic("t", "T"),
    }


def verdicts() -> dict[str, tuple[bool, str, str]]:
    found = Reference.objects.filter(asset__relpath="doc/s.dita").exclude(key="")
    return {r.key: (r.broken, r.reason, r.target) for r in found}


EXPECTED = {
    "product": (False, "", ""),
    "t": (False, "", "doc/t.dita"),
    "lost": (True, "KEY_TARGET_MISSING", "doc/lost.dita"),
    "nokey": (True, "KEY_UNDEFINED", ""),
}


@pytest.mark.parametrize(
    ("module", "status"),
    [
        ("tests.engine.dying_helper", 4),  # hands one page over (written), then dies
        ("tests.engine.no_such_helper", 1),  # cannot start
        ("tests.engine.chatty_helper", -9),  # says what is not a page: stopped at once
    ],
)
def test_a_helper_that_fails_leaves_the_key_references_to_the_finish(
    write_tree, settings, monkeypatch, caplog, module, status
):
    write_tree(tree())
    settings.GUIDES_LINK_HELPER_ASSETS = 1
    monkeypatch.setattr(verdict_sql, "_PAGE", 1)  # pages of one reference
    monkeypatch.setattr(keyhelper, "HELPER_MODULE", module)
    with caplog.at_level(logging.WARNING, logger=keyhelper.__name__):
        started = time.monotonic()
        execution = run()
    assert time.monotonic() - started < 20  # the chatty one was not waited for
    assert execution.status == "SUCCESS"
    assert verdicts() == EXPECTED
    assert Asset.objects.get(relpath="doc/s.dita").title == "Widget guide"
    assert execution.broken_reference_count == 3
    said = [r.getMessage() for r in caplog.records if r.name == keyhelper.__name__]
    assert f"helper process ended with status {status};" in said[-1]
    if module.endswith("chatty_helper"):
        assert said[0] == "the link pass's helper process said 'hello there'"


def test_a_helper_is_started_for_a_pass_over_enough_assets(write_tree, settings, monkeypatch):
    write_tree(tree())
    started = []
    popen = subprocess.Popen

    def counted(*args, **kwargs):
        started.append(args)
        return popen(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", counted)
    # Three assets written, the first time: a pass over three assets.
    settings.GUIDES_LINK_HELPER_ASSETS = 4
    run()
    assert started == [] and verdicts() == EXPECTED
    # Nothing changed, nothing processed: nothing to judge, so no helper, whatever the threshold.
    settings.GUIDES_LINK_HELPER_ASSETS = 1
    assert run(filter_processed_assets=True).skipped_count == 3
    assert started == []
    # The map changed: every live asset's references are judged again, by the helper.
    write_tree({"doc/m.ditamap": tree("Gadget")["doc/m.ditamap"]})
    run()
    assert len(started) == 1
    assert Asset.objects.get(relpath="doc/s.dita").title == "Gadget guide"
    assert verdicts() == EXPECTED
    # 0: never.
    settings.GUIDES_LINK_HELPER_ASSETS = 0
    write_tree({"doc/m.ditamap": tree()["doc/m.ditamap"]})
    run()
    assert len(started) == 1
    assert Asset.objects.get(relpath="doc/s.dita").title == "Widget guide"


@pytest.mark.parametrize("parent_alive", [True, False])
def test_the_helper_leaves_its_pages_to_its_finishing_process_or_removes_them(
    write_tree, tmp_path, parent_alive
):
    write_tree(tree())
    execution = run()  # processed and finished (no helper: the threshold's default)
    # One verdict stored wrong, for the helper to judge again: one page.
    Reference.objects.filter(key="t").update(broken=True, reason="KEY_UNDEFINED")
    folder = tmp_path / "pages"
    folder.mkdir()
    parent = os.getpid() if parent_alive else -1  # no process has that id
    handed = (worker_process.handover(), execution.pk, True, str(folder), parent)
    done = subprocess.run(
        [sys.executable, "-m", keyhelper.HELPER_MODULE],
        input=pickle.dumps(handed),
        capture_output=True,
        check=True,
    )
    assert done.stdout.decode().splitlines() == ["verdicts 0", "done"]
    if parent_alive:
        # Left for the finishing process to write (and to remove the folder).
        page = pickle.loads((folder / "0").read_bytes())
        ref = Reference.objects.get(key="t")
        assert page == [(False, "", "", "", "doc/t.dita", ref.pk)]
    else:
        assert not folder.exists()
