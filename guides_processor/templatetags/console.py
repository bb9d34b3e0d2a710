"""Small formatting filters of the console's templates."""

import re

from django import template
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import mark_safe

from ..models import Reference
from ..selectors import asset_detail

register = template.Library()


@register.filter
def duration(seconds: float | int | None) -> str:
    """``0.4 s``, ``42 s``, ``3 min 5 s``, ``2 h 10 min``; an em dash for no value."""
    if seconds is None:
        return "—"
    if float(seconds) < 10 and float(seconds) != int(seconds):
        return f"{float(seconds):.1f} s"
    total = round(float(seconds))
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@register.filter
def count(value: object) -> str:
    """A count with thousands separated ("24,223"), as the log's sentences write them."""
    return f"{value:,}" if isinstance(value, int) else str(value)


@register.filter
def short_id(value: object) -> str:
    """The first block of a processingId, as the table shows it."""
    return str(value)[:8]


@register.filter
def rate(value: float | None) -> str:
    """Assets per second, with precision where it matters."""
    if value is None:
        return "—"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


@register.filter
def path_breaks(value: object) -> str:
    """A path that may wrap after each ``/``, escaped (for the executions table's fixed columns,
    which break a name too when it must)."""
    return mark_safe(conditional_escape(str(value)).replace("/", "/<wbr>"))


# A name of at most this many characters fits on one line of a table's card at 320 px and more
# (about 34 characters of the 12.5 px monospace): it is never broken. A longer one may be.
WHOLE_NAME = 30
_SEGMENT = re.compile(r"/*[^/]+/?|/+")


@register.filter
def path_segments(value: object) -> str:
    """A path (or a link's value), escaped, as segments that end after each ``/``, with a line
    break opportunity between them: a segment of at most ``WHOLE_NAME`` characters is kept on
    one line (class ``seg``), a longer one may break anywhere (``seg-long``).

    A table column is then never narrower than its longest short name, nor wider than the window
    because of a long one.
    """
    return format_html_join(
        mark_safe("<wbr>"),
        '<span class="{}">{}</span>',
        (
            ("seg" if len(segment) <= WHOLE_NAME else "seg-long", segment)
            for segment in _SEGMENT.findall(str(value))
        ),
    )


@register.filter
def ordinal(value: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``22nd``."""
    number = int(value)
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


@register.filter
def verdict_label(code: str) -> str:
    """A reference's reason or warning code as a sentence."""
    return asset_detail.verdict_label(code)


@register.filter
def note_of(reference: Reference) -> str:
    """What a reference's warning concerns, as shown (the root maps as /content/dam paths)."""
    return asset_detail.warning_note(reference.warning, reference.note)
