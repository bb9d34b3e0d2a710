"""Key spaces built from map trees held in memory: the targets they give back are the relpaths
the maps named, wherever the file is (at the root, in a folder, in a folder no map reaches)."""

from guides_processor.processing.keyspace import KeySpaces, KeyTarget


def _key(key: str, target: str | None, text: str = "", missing: bool = False) -> list[object]:
    return ["k", 0, key, target, text, missing]


def _topic(target: str) -> list[object]:
    return ["t", 0, target, None]


ROOT = {
    "scopes": [[-1, ""]],
    "items": [
        _key("intro", "intro.dita"),
        _topic("intro.dita"),
        _key("guide", "docs/guide.dita"),
        _topic("docs/guide.dita"),
        _key("naive", "Ünïcode/naïve.dita"),
        _topic("Ünïcode/naïve.dita"),
        _key("product", None, "Example Product"),
        _key("gone", "docs/gone.dita", missing=True),
        _key("labelled", "docs/labelled.dita", "Labelled"),
    ],
}
OTHER = {"scopes": [[-1, ""]], "items": [_key("other", "elsewhere/other.dita")]}


def test_targets_come_back_as_the_relpaths_the_maps_named() -> None:
    spaces = KeySpaces({"maps/root.ditamap": ROOT})
    seen = {key: spaces.resolve("docs/guide.dita", key).definition for key in ROOT_KEYS}
    assert seen == {
        "intro": KeyTarget("intro.dita", "", False),
        "guide": KeyTarget("docs/guide.dita", "", False),
        "naive": KeyTarget("Ünïcode/naïve.dita", "", False),
        "product": KeyTarget(None, "Example Product", False),
        "gone": KeyTarget("docs/gone.dita", "", True),
        "labelled": KeyTarget("docs/labelled.dita", "Labelled", False),
    }
    assert spaces.resolve("intro.dita", "naive").definition == seen["naive"]
    assert spaces.resolve("Ünïcode/naïve.dita", "intro").in_any_map


ROOT_KEYS = ("intro", "guide", "naive", "product", "gone", "labelled")


def test_an_asset_no_root_map_reaches_sees_every_maps_keys() -> None:
    """A topic in a folder the maps never name, and one in a folder they do name but not the
    topic itself: neither is reached, and both see the union of the keys."""
    spaces = KeySpaces({"maps/root.ditamap": ROOT, "maps/other.ditamap": OTHER})
    for relpath in ("nowhere/x.dita", "docs/unreached.dita"):
        resolution = spaces.resolve(relpath, "guide")
        assert not resolution.in_any_map
        assert resolution.definition == KeyTarget("docs/guide.dita", "", False)
        assert spaces.roots_of(relpath) == []
    assert spaces.roots_of("docs/guide.dita") == ["maps/root.ditamap"]
    # Each root map has its own key space: "other" is undefined where root.ditamap reaches.
    assert spaces.resolve("docs/guide.dita", "other").definition is None
    assert spaces.resolve("docs/guide.dita", "other").undefined_in == ("maps/root.ditamap",)
