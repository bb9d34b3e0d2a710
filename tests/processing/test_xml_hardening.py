"""The XML parser is hardened: no entity expansion, no DTD or network access, one-line errors."""

import time

from guides_processor.processing import DITAMAP, DITATOPIC, FAILURE, OTHERS, SUCCESS

from .conftest import Process, Write

SECRET = "TOP-SECRET-4b1d9e"


def test_it_never_expands_an_external_entity(tmp_path, write: Write, run: Process) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    write(
        "topics/xxe.dita",
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE concept [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
        '<concept id="c" xml:lang="en"><title>Title &xxe;</title>'
        "<shortdesc>&xxe;</shortdesc><conbody><p>&xxe;</p></conbody></concept>\n",
    )
    result = run("topics/xxe.dita")
    assert result.asset_type == DITATOPIC
    assert result.status == SUCCESS, result.error
    assert result.title == "Title &xxe;"
    assert SECRET not in repr(result)


def test_it_never_loads_an_external_dtd_or_parameter_entity(
    tmp_path, write: Write, run: Process
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY leak SYSTEM "{secret.as_uri()}">')
    write(
        "maps/evil.ditamap",
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE map SYSTEM "{dtd.as_uri()}" [<!ENTITY % p SYSTEM "{dtd.as_uri()}"> %p;]>\n'
        "<map><title>&leak;</title></map>\n",
    )
    result = run("maps/evil.ditamap")
    assert result.asset_type == DITAMAP
    assert SECRET not in repr(result)


def test_it_keeps_an_xxe_in_an_svg_harmless(tmp_path, write: Write, run: Process) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("100")
    write(
        "images/x.svg",
        f'<!DOCTYPE svg [<!ENTITY w SYSTEM "{secret.as_uri()}">]>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" width="&w;" height="5"><text>&w;</text></svg>',
    )
    result = run("images/x.svg")
    assert (result.status, result.asset_type) == (SUCCESS, OTHERS)
    assert "100" not in repr(result.metadata)


def test_it_defuses_an_entity_bomb(write: Write, run: Process) -> None:
    levels = ['<!ENTITY lol0 "lollollollollollollollollollol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    write(
        "bomb.dita",
        '<?xml version="1.0"?>\n<!DOCTYPE topic [\n'
        + "\n".join(levels)
        + "\n]>\n<topic id='b'><title>&lol9;</title><shortdesc>&lol9;</shortdesc></topic>\n",
    )
    started = time.perf_counter()
    result = run("bomb.dita")
    assert time.perf_counter() - started < 2
    assert result.status in (SUCCESS, FAILURE)
    assert len(repr(result)) < 2000
    assert "lollollollollollollollollollollol" not in repr(result)


def test_it_fails_malformed_xml_naming_the_line(write: Write, run: Process) -> None:
    write(
        "topics/bad.dita",
        '<?xml version="1.0"?>\n<topic id="t">\n<title>T</title>\n'
        "<body>\n<p>one\n</body>\n</topic>\n",
    )
    result = run("topics/bad.dita")
    assert (result.status, result.asset_type) == (FAILURE, DITATOPIC)
    assert result.error == "line 6: Opening and ending tag mismatch: p line 5 and body"
    assert result.checksum


def test_it_fails_bytes_that_are_not_valid_utf8(write: Write, run: Process) -> None:
    write(
        "topics/latin1.dita",
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<topic id="t">\n<title>Caf\xe9</title>\n</topic>\n',
    )
    result = run("topics/latin1.dita")
    assert result.status == FAILURE
    assert result.error.startswith("line 3: ")
    assert "encoding" in result.error.lower() or "utf-8" in result.error.lower()
    assert "\n" not in result.error


def test_it_parses_another_declared_encoding(write: Write, run: Process) -> None:
    write(
        "topics/latin1.dita",
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        b'<topic id="t"><title>Caf\xe9</title></topic>',
    )
    result = run("topics/latin1.dita")
    assert (result.status, result.title) == (SUCCESS, "Caf\u00e9")


def test_it_fails_a_binary_file_with_a_dita_extension(write: Write, run: Process) -> None:
    write("topics/image.dita", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10")
    result = run("topics/image.dita")
    assert result.status == FAILURE
    assert result.error.startswith("line 1: ")
    assert "\n" not in result.error


def test_it_does_not_need_the_dtd_a_doctype_names(write: Write, run: Process) -> None:
    write(
        "t.dita",
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE task PUBLIC "-//OASIS//DTD DITA Task//EN" "http://example.invalid/task.dtd">\n'
        "<task id='t'><title>Uses &nbsp; an undeclared entity</title></task>\n",
    )
    result = run("t.dita")
    assert (result.status, result.title) == (SUCCESS, "Uses &nbsp; an undeclared entity")
