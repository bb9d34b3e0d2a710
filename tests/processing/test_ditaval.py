"""DITAVAL files: their conditions."""

from guides_processor.processing import DITAVAL, SUCCESS

from .conftest import Process, Write


def test_it_lists_the_conditions_of_props_and_revprops(write: Write, run: Process) -> None:
    write(
        "filters/pdf.ditaval",
        '<?xml version="1.0" encoding="UTF-8"?>\n<val>\n'
        '  <prop action="exclude" att="deliveryTarget" val="html"/>\n'
        '  <prop action="passthrough" att="importance"/>\n'
        '  <prop action="exclude"/>\n'
        '  <revprop action="flag" val="1.2"><startflag imageref="start.gif"/></revprop>\n'
        "</val>\n",
    )
    result = run("filters/pdf.ditaval")
    assert (result.status, result.asset_type, result.title) == (SUCCESS, DITAVAL, "")
    assert result.metadata["conditions"] == [
        {"action": "exclude", "att": "deliveryTarget", "val": "html"},
        {"action": "passthrough", "att": "importance", "val": ""},
        {"action": "exclude", "att": "", "val": ""},
        {"action": "flag", "att": "rev", "val": "1.2"},
    ]
