"""Small DITA documents for the processing tests."""


def topic(body: str = "", *, root: str = "topic", attrs: str = 'id="t"', title: str = "T") -> str:
    """A small topic document with a DOCTYPE whose DTD does not exist (as in real repositories)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE {root} PUBLIC "-//OASIS//DTD DITA Topic//EN" "{root}.dtd">\n'
        f"<{root} {attrs}>\n"
        f"<title>{title}</title>\n"
        f"{body}\n"
        f"</{root}>\n"
    )


def a_map(body: str = "", *, root: str = "map", attrs: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE {root} PUBLIC "-//OASIS//DTD DITA Map//EN" "map.dtd">\n'
        f"<{root} {attrs}>\n{body}\n</{root}>\n"
    )
