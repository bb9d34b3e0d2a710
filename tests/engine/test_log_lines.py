"""What an execution's log says about its assets: one line per asset, and never a forged one."""

import pytest

from guides_processor import executions
from guides_processor.models import Asset, Execution, LogLine, Reference

from .trees import topic

pytestmark = pytest.mark.django_db


def run(path: str) -> Execution:
    execution = executions.execution_create(path=path, created_by="admin")
    return executions.execution_run_inline(processing_id=execution.processing_id)


def messages(execution: Execution) -> list[str]:
    return list(
        LogLine.objects.filter(execution=execution)
        .order_by("line")
        .values_list("message", flat=True)
    )


def test_an_asset_with_thousands_of_references_makes_one_log_line(write_tree):
    targets = [f"t{index}.dita" for index in range(2000)]
    broken = {"gone-1.dita", "gone-2.dita", "gone-3.dita", "gone-4.dita"}
    links = " ".join(f'<xref href="{name}"/>' for name in [*targets, *sorted(broken)])
    files: dict[str, str | bytes] = {"big/hub.dita": topic("hub", "Hub", links)}
    files.update({f"big/{name}": topic(name[:-5], name) for name in targets})
    write_tree(files)

    execution = run("/content/dam/big")

    about_hub = [m for m in messages(execution) if "/content/dam/big/hub.dita" in m]
    assert len(about_hub) == 1
    line = about_hub[0]
    assert line.startswith(
        'Processed /content/dam/big/hub.dita (DITATOPIC "Hub"): 2,004 references'
    )
    assert "4 broken" in line and "and 1 more" in line
    assert Reference.objects.filter(asset__relpath="big/hub.dita").count() == 2004
    assert execution.log_line_count == LogLine.objects.filter(execution=execution).count()


FORGED = "a\nERROR forged.dita"


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        (FORGED, "a\\nERROR forged.dita"),
        ("b\r\tc\x1b[31m\x85\u2028d.dita", "b\\r\\tc\\x1b[31m\\x85\\u2028d.dita"),
    ],
)
def test_control_characters_in_a_file_name_are_escaped_in_every_log_line(write_tree, name, escaped):
    write_tree({f"odd/{name}": topic("odd", "Odd"), "odd/plain.dita": topic("p", "Plain")})

    execution = run("/content/dam/odd")

    assert Asset.objects.filter(relpath=f"odd/{name}").exists()
    lines = messages(execution)
    assert len(lines) == execution.log_line_count
    for message in lines:
        assert not any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F for char in message)
        assert "\u2028" not in message and "\u2029" not in message
    assert sum(f"/content/dam/odd/{escaped} " in message for message in lines) == 1
