"""Small wording rules shared by the engine's log lines and summaries."""

import re

# Characters that would break a log line in two, or hide part of it, wherever it is shown: C0 and
# C1 controls (newline, carriage return, tab, escape...), DEL, and the Unicode line and paragraph
# separators. A file name may hold any of them.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural unless the count is one: "1 reference", "2,500 references"."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _escape_control(match: re.Match[str]) -> str:
    char = match.group()
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(message: str) -> str:
    """``message`` as one line: control characters written as backslash escapes (``\\n``,
    ``\\x1b``, ``\\u2028``), so that no text in it (a file name, a parser's message) can end
    a line or start a forged one."""
    return _CONTROL.sub(_escape_control, message)
