"""Small DITA repositories for the engine's tests."""

TOPIC = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE concept PUBLIC "-//OASIS//DTD DITA Concept//EN" "concept.dtd">
<concept id="{id}" xml:lang="en-US">
  <title>{title}</title>
  <shortdesc>About {title}.</shortdesc>
  <conbody>
    <p>{body}</p>
  </conbody>
</concept>
"""

MAP = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE map PUBLIC "-//OASIS//DTD DITA Map//EN" "map.dtd">
<map>
  <title>Guide</title>
  <keydef keys="intro" href="topics/intro.dita"/>
  <keydef keys="setup" href="topics/setup.dita"/>
  <topicref href="topics/intro.dita"/>
  <topicref href="topics/setup.dita"/>
</map>
"""


def topic(id: str, title: str, body: str = "Text.") -> str:
    return TOPIC.format(id=id, title=title, body=body)


def guide() -> dict[str, str | bytes]:
    """A map, three topics, an image: one broken xref and one undefined key among them."""
    return {
        "guide/guide.ditamap": MAP,
        "guide/topics/intro.dita": topic(
            "intro", "Introduction", 'See <xref keyref="setup"/> and <xref href="setup.dita"/>.'
        ),
        "guide/topics/setup.dita": topic(
            "setup", "Setting up", '<image href="../images/logo.png"/> <xref href="missing.dita"/>'
        ),
        "guide/topics/faq.dita": topic("faq", "Questions", 'Ask <xref keyref="nowhere"/>.'),
        "guide/images/logo.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
    }


def many(count: int, folder: str = "bulk", *, body: str = "Text.") -> dict[str, str | bytes]:
    """``count`` small topics in one folder."""
    return {
        f"{folder}/t{index:05d}.dita": topic(f"t{index}", f"Topic {index}", body)
        for index in range(count)
    }
