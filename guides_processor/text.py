"""Small wording rules shared by the engine's log lines and summaries."""


def plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural unless the count is one: "1 reference", "2 references"."""
    return f"{count} {noun}" + ("" if count == 1 else "s")
