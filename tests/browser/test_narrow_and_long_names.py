"""Real content in a narrow and a wide window: a very long file name never makes a page or a
table scroll sideways, names wrap at a '/' (or inside a name only when it cannot fit), and the
keyboard focus stays where the reader was when htmx swaps a part of the page."""

from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from guides_processor import executions
from guides_processor.models import Execution
from guides_processor.templatetags.console import WHOLE_NAME
from tests.engine.trees import guide, topic

from .helpers import sign_in

pytestmark = pytest.mark.browser

LONG = "publishing-with-a-very-long-file-name-that-keeps-going-and-going-" + "x" * 150 + ".dita"
LONG_FOLDER = "a-folder-of-a-very-long-name-" + "y" * 200
WIDTHS = [400, 1280]

# A token is a run of text between spaces, cut after each '/'. One no longer than the names the
# console keeps whole fits on one line of a card at 400 px: it must not be broken.
SHORT_TOKEN = WHOLE_NAME

MEASURE = """(limit) => {
  const width = window.innerWidth;
  const problems = [];
  const name = (element) => element.id || element.className || element.tagName;
  if (document.documentElement.scrollWidth > width) {
    problems.push(`the document is ${document.documentElement.scrollWidth} px wide`);
  }
  for (const element of document.querySelectorAll("h1, .page-head .path")) {
    const right = element.getBoundingClientRect().right;
    if (right > width) problems.push(`${element.tagName} ${name(element)} ends at ${right} px`);
  }
  for (const box of document.querySelectorAll(".table-scroll")) {
    if (box.scrollWidth > box.clientWidth + 1) {
      const table = box.querySelector("table");
      problems.push(`#${table.id} scrolls sideways (${box.scrollWidth} > ${box.clientWidth} px)`);
    }
  }
  // Every short token of the tables' cells is on one line.
  for (const cell of document.querySelectorAll(".data-table tbody td")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/[^\\s\\/]+\\/?/g)) {
        if (match[0].length > limit) continue;
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set(Array.from(range.getClientRects(), (rect) => Math.round(rect.top)));
        if (tops.size > 1) {
          const table = cell.closest("table").id;
          problems.push(`"${match[0]}" breaks over ${tops.size} lines in #${table}`);
        }
      }
    }
  }
  return problems;
}"""


def run(path: str) -> Execution:
    execution = executions.execution_create(path=path, created_by="admin")
    return executions.execution_run_inline(processing_id=execution.processing_id)


@pytest.fixture
def long_names(write_tree) -> Execution:
    """The guide with a topic of a very long name (no title, one broken xref) that a topic of a
    hyphenated name links to; then a file that was never processed."""
    write_tree(guide())
    write_tree(
        {
            f"guide/topics/{LONG}": (
                "<topic id='long'><title></title><body><p>"
                "<xref href='setup.dita'/> <xref href='missing-page.dita'/></p></body></topic>"
            ),
            "guide/topics/adding-new-languages.dita": topic(
                "languages", "Adding new languages", f'<xref href="{LONG}"/>'
            ),
        }
    )
    finished = run("/content/dam/guide")
    write_tree({"guide/topics/never-processed.dita": topic("never", "Never")})
    # A folder of a very long name, processed by itself: its crumbs and its execution's link
    # to the report carry the whole name.
    write_tree({f"guide/{LONG_FOLDER}/t.dita": topic("t", "T", '<xref href="gone.dita"/>')})
    run(f"/content/dam/guide/{LONG_FOLDER}")
    return finished


def pages(base: str, execution: Execution) -> dict[str, str]:
    asset = base + "/tools/guides/assets/asset/?path=" + quote("/content/dam/guide/topics/")
    folder = f"/content/dam/guide/{LONG_FOLDER}"
    long_folder = Execution.objects.get(path=folder)
    return {
        "assets": base + "/tools/guides/assets/?folder=/content/dam/guide/topics",
        "asset-long": asset + quote(LONG),
        "asset-uses-long": asset + "adding-new-languages.dita",
        "asset-used-in-long": asset + "setup.dita",
        "asset-never-processed": asset + "never-processed.dita",
        "execution": f"{base}/tools/guides/asset-processor/{execution.processing_id}/",
        "broken-links": base + "/tools/guides/broken-links/?folder=/content/dam/guide",
        "execution-long-folder": (
            f"{base}/tools/guides/asset-processor/{long_folder.processing_id}/"
        ),
        "assets-long-folder": base + "/tools/guides/assets/?folder=" + quote(folder),
        "asset-in-long-folder": asset.replace("topics/", "") + quote(f"{LONG_FOLDER}/t.dita"),
    }


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways_and_names_break_only_where_they_must(
    page: Page, live_server, admin, long_names, shot, width
):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, "admin")
    found = {}
    for name, url in pages(live_server.url, long_names).items():
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        shot(page, f"30-long-names-{name}-{width}", full_page=True)
        problems = page.evaluate(MEASURE, SHORT_TOKEN)
        if problems:
            found[name] = problems
    assert not found, "\n".join(
        f"{name}: {problem}" for name, problems in found.items() for problem in problems
    )


def test_the_long_name_is_on_every_page_it_belongs_to(page: Page, live_server, admin, long_names):
    # The measures above are only worth something if the long name is there to be measured.
    sign_in(page, live_server.url, "admin")
    urls = pages(live_server.url, long_names)
    shown = {
        "assets": "#assets-table",
        "asset-long": "h1",
        "asset-uses-long": "#asset-uses",
        "asset-used-in-long": "#asset-used-in",
        "execution": "#broken-references",
        "broken-links": "#broken-links-table",
    }
    for name, selector in shown.items():
        page.goto(urls[name])
        expect(page.locator(selector)).to_contain_text(LONG)


def test_a_narrow_table_is_one_card_per_row_with_labelled_fields(
    page: Page, live_server, admin, long_names
):
    page.set_viewport_size({"width": 400, "height": 900})
    sign_in(page, live_server.url, "admin")
    page.goto(pages(live_server.url, long_names)["broken-links"])
    table = page.locator("#broken-links-table")
    expect(table.locator("thead")).to_have_css("position", "absolute")  # read by screen readers
    card = table.locator("tbody tr", has_text="missing-page.dita")
    labels = card.locator("td").evaluate_all(
        "cells => cells.map((cell) => getComputedStyle(cell, '::before').content)"
    )
    assert labels[1:4] == ['"Value"', '"Target"', '"Link type"']
    expect(card.locator("td").first).to_contain_text(LONG)
    box = card.bounding_box()
    assert box is not None and box["width"] <= 400


def test_space_on_a_facet_keeps_the_focus_on_it(page: Page, live_server, admin, long_names, shot):
    sign_in(page, live_server.url, "admin")
    page.goto(pages(live_server.url, long_names)["broken-links"])
    total = page.locator("#broken-total")
    before = total.inner_text()
    box = page.locator("#facet-reason input").first
    box.focus()
    page.keyboard.press(" ")
    expect(total).not_to_have_text(before)
    box = page.locator("#facet-reason input").first
    expect(box).to_be_checked()
    expect(box).to_be_focused()
    shot(page, "31-facet-keeps-the-focus")

    # The next Tab goes on through the facets, not back to the page's header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.facets') !== null")


@pytest.fixture
def much_used(write_tree) -> None:
    """A topic that 53 others link to: Used in shows 50, then Show more."""
    files = {"hub/target.dita": topic("target", "Target")}
    files.update(
        {
            f"hub/s{index:02d}.dita": topic(f"s{index}", "S", '<xref href="target.dita"/>')
            for index in range(53)
        }
    )
    write_tree(files)
    run("/content/dam/hub")


def test_show_more_moves_the_focus_to_the_first_row_it_shows(
    page: Page, live_server, admin, much_used, shot
):
    sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + "/tools/guides/assets/asset/?path=/content/dam/hub/target.dita")
    rows = page.locator("#asset-used-in tbody tr.reference-row")
    expect(rows).to_have_count(50)
    page.locator("#asset-used-in .more-row button").focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(53)
    first_new = rows.nth(50)
    assert first_new.evaluate("row => row.contains(document.activeElement)")
    first_new.scroll_into_view_if_needed()
    shot(page, "32-show-more-focus")

    # The next Tab goes to the link in that row, on through the table.
    page.keyboard.press("Tab")
    expect(first_new.locator("a").first).to_be_focused()


def test_the_last_page_of_the_report_hands_the_focus_to_first_page(
    page: Page, live_server, admin, write_tree
):
    # 51 broken links: two pages. On the last, "Next page" is gone; "First page" has the focus.
    xrefs = "".join(f'<xref href="gone-{index:02d}.dita"/>' for index in range(51))
    write_tree({"pages/topic.dita": topic("topic", "Topic", xrefs)})
    run("/content/dam/pages")
    sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + "/tools/guides/broken-links/?folder=/content/dam/pages")
    page.locator("#broken-links-next").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#broken-links-table tbody tr")).to_have_count(1)
    expect(page.locator("#broken-links-first")).to_be_focused()
