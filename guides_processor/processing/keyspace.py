"""Key spaces of a repository's root maps, from the ``map_tree`` of every live map. Pure: no Django.

The rules, and where they come from:

- A root map is a map that no other map references (a local ``mapref``, a topicref with
  ``format="ditamap"``, or a ``.ditamap``/``.bookmap`` target). Each has its own key space: a
  build starts from one root map and sees only the keys of the maps it pulls in.
- Within one scope the first definition in document order wins, a referenced map's definitions
  counting where its ``mapref`` stands (DITA 1.3 part 3, 2.3.4.3 "Key definitions" and the key
  precedence rules of 2.3.4). This is DITA-OT's order (a depth-first walk of the maps). The 1.3
  text puts the shallowest map first (a breadth-first walk: a root map's own definition wins
  over a submap's even when the submap's mapref comes before it); DITA-OT does not (its issue
  4236), and the verdicts here are meant to be those a DITA-OT build gives, so its order is
  kept. The two differ only for a key defined at two depths.
- Key scopes (2.4.1 "Key scopes", "Addressing keys across scopes"): an element with
  ``@keyscope`` bounds a scope; a scope sees its parent's keys, and the parent's definition wins
  over its own; the parent also sees the child's keys qualified as ``scope.key`` (one name per
  scope name), counted where the child's definition stands. A ``mapref`` with ``@keyscope`` to a
  map whose root has ``@keyscope`` makes one scope with both names.
- A topic is resolved in the scopes of the root maps that reach it through a topicref (by
  ``@href``, or by ``@keyref`` through that scope's keys). A map's own key references are resolved
  in every scope the map opens or joins (its elements' scopes are not recorded one by one).
- Cycles of maps are cut where a map would include itself again (DITA-OT says DOTX053E).

Costs: each root map's tree is expanded once, each definition is written into its scope and,
qualified, into the scopes above it; a key reference then looks up a handful of scopes.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from sys import intern
from typing import Any, Protocol, cast


@dataclass(slots=True)
class KeyTarget:
    """What a key's effective definition says: its file (None when it has none), the text a
    key reference without content shows, and whether the file was missing when the map was
    processed."""

    target: str | None
    text: str
    missing: bool
    # The topic its @href's fragment names (``file.dita#topicid``), None for the file's first:
    # the topic whose elements ``key/elementid`` addresses.
    topic: str | None = None


class _Relpaths:
    """The relpaths of the key spaces held short: a folder's number and the file's name
    (``12/install.dita``), the folders held once. A million-file repository's 978,017 targets
    are 78 characters long on average: held whole, its key spaces took 23 MB more (the
    process's resident memory after building them was 276 MB against 253 MB)."""

    def __init__(self) -> None:
        self._numbers: dict[str, str] = {}
        self._folders: list[str] = []

    def short(self, relpath: str) -> str:
        folder, _, name = relpath.rpartition("/")
        number = self._numbers.get(folder)
        if number is None:
            number = self._numbers[folder] = str(len(self._folders))
            self._folders.append(folder)
        return f"{number}/{name}"

    def known(self, relpath: str) -> str | None:
        """The short form of a relpath in a folder the key spaces know, else None."""
        folder, _, name = relpath.rpartition("/")
        number = self._numbers.get(folder)
        return None if number is None else f"{number}/{name}"

    def full(self, short: str) -> str:
        number, _, name = short.partition("/")
        folder = self._folders[int(number)]
        return f"{folder}/{name}" if folder else name


# A definition as the key spaces hold it: most name a file and nothing else (no text, the file
# there when the map was processed), and those are held as their target's short relpath alone
# (a million-file repository's 980,415 definitions took 82 MB more as KeyTargets). The target of
# a KeyTarget held here is a short relpath too.
_Kept = KeyTarget | str


def _definition(item: Sequence[Any], relpaths: _Relpaths) -> _Kept:
    """The definition of a map tree's key item. Its text is interned: the versions of a product
    define the same keys with the same texts. Its target is not: a million-file repository has
    978,017 distinct ones, and the interpreter's table of interned strings, which never
    shrinks, took 37 MB for them (``KeySpaces._expand`` shares a target with the topic
    reference that follows its definition instead)."""
    target, text, missing = item[3], item[4], bool(item[5])
    # The fragment's topic, in map trees written since it was recorded (a seventh item).
    topic = item[6] if len(item) > 6 else None
    short = relpaths.short(target) if target else target
    if short and not text and not missing and not topic:
        return cast(str, short)
    return KeyTarget(short, intern(text), missing, topic)


def _short_target(kept: _Kept | None) -> str | None:
    return kept if isinstance(kept, str) else kept.target if kept is not None else None


@dataclass(eq=False, slots=True)
class _Scope:
    root: str
    parent: "_Scope | None"
    names: list[str]
    local: dict[str, _Kept] = field(default_factory=dict)
    # This scope and its ancestors, outermost first.
    chain: tuple["_Scope", ...] = ()

    def __post_init__(self) -> None:
        self.chain = (*(self.parent.chain if self.parent else ()), self)

    def lookup(self, key: str) -> _Kept | None:
        # The outermost scope that knows the key wins: a parent overrides its children.
        for scope in self.chain:
            found = scope.local.get(key)
            if found is not None:
                return found
        return None


@dataclass(slots=True)
class Resolution:
    """A key as seen from one asset: ``definition`` is the effective one (None when undefined in
    every root map that reaches the asset), ``undefined_in`` the root maps reaching it that do not
    define it, ``in_any_map`` False when no root map reaches it (the union of every map's keys
    was used)."""

    definition: KeyTarget | None
    undefined_in: tuple[str, ...]
    in_any_map: bool


class MapSource(Protocol):
    """Where ``KeySpaces`` reads the maps' trees: each map's tree is asked for by relpath as a
    root's expansion reaches it, and every map's is read in one pass, so that a repository's
    maps need not all be held at once (the decoded trees of a 100,000-file repository's 2,078
    maps take 160 MB; the key spaces built from them 17 MB)."""

    def trees(self) -> Iterable[tuple[str, Mapping[str, Any]]]:
        """Every map with its tree, in any order."""
        ...

    def tree(self, relpath: str) -> Mapping[str, Any]:
        """The tree of one of the maps ``trees`` gave."""
        ...


class _Held:
    """A ``MapSource`` over trees already in memory."""

    def __init__(self, maps: Mapping[str, Mapping[str, Any]]) -> None:
        self._maps = maps

    def trees(self) -> Iterable[tuple[str, Mapping[str, Any]]]:
        return self._maps.items()

    def tree(self, relpath: str) -> Mapping[str, Any]:
        return self._maps[relpath]


class KeySpaces:
    """The key spaces of every root map among ``maps`` (relpath -> ``map_tree``, or a
    ``MapSource``); maps with an empty tree are left out."""

    def __init__(self, maps: Mapping[str, Mapping[str, Any]] | MapSource) -> None:
        self._source = _Held(maps) if isinstance(maps, Mapping) else maps
        self._relpaths = _Relpaths()
        self._known: set[str] = set()
        referenced, anywhere = self._survey()
        self.roots: list[str] = sorted(self._known - referenced)
        # asset (short relpath) -> root map -> the scopes it is resolved in; most assets are
        # reached by one root map in one scope, and have that scope alone (with a dict and a list
        # for each of the 75,416 topics of a 100,000-file repository, its key spaces took 30 MB;
        # 10 MB).
        self._contexts: dict[str, _Scope | dict[str, list[_Scope]]] = {}
        self._union: dict[str, _Kept] = {}
        for root in self.roots:
            for key, definition in self._build(root).local.items():
                self._union.setdefault(key, definition)
        # Keys of maps no root map reaches (in a cycle, say) still count for unreached topics.
        for key, definition in anywhere.items():
            self._union.setdefault(key, definition)

    def _survey(self) -> tuple[set[str], dict[str, _Kept]]:
        """One pass over every tree: the maps (``_known``), those another map references, and
        every map's keys (the first in relpath order) for the assets no root map reaches."""
        referenced: set[str] = set()
        # key -> (relpath, definition): the first definition of the first map by relpath.
        anywhere: dict[str, tuple[str, _Kept]] = {}
        for relpath, tree in self._source.trees():
            if not tree:
                continue
            self._known.add(relpath)
            for item in tree.get("items", ()):
                if item[0] == "m":
                    referenced.add(item[2])
                elif item[0] == "k":
                    known = anywhere.get(item[2])
                    if known is None or relpath < known[0]:
                        anywhere[item[2]] = (relpath, _definition(item, self._relpaths))
        return referenced, {key: definition for key, (_, definition) in anywhere.items()}

    def _build(self, root: str) -> "_Scope":
        """Expand the root map ``root``, record the scopes each topic it reaches is resolved in,
        and return its top scope."""
        top = _Scope(root, None, [])
        pending: list[tuple[_Scope, str | None, str | None]] = []
        self._expand(root, root, top, None, frozenset({root}), pending)
        for scope, target, key in pending:
            topic = target
            if key:
                found = _short_target(scope.lookup(key))
                if found:
                    topic = found
            if topic:
                self._reach(topic, scope)
        return top

    def _reach(self, short: str, scope: _Scope) -> None:
        known = self._contexts.get(short)
        if known is None:
            self._contexts[short] = scope
            return
        if isinstance(known, _Scope):
            if known is scope:
                return
            known = self._contexts[short] = {known.root: [known]}
        scopes = known.setdefault(scope.root, [])
        if not any(other is scope for other in scopes):
            scopes.append(scope)

    def _entry(self, relpath: str) -> "_Scope | dict[str, list[_Scope]] | None":
        """What ``_contexts`` holds for an asset's relpath, None when no root map reaches it."""
        short = self._relpaths.known(relpath)
        return self._contexts.get(short) if short is not None else None

    def _contexts_of(self, relpath: str) -> dict[str, list[_Scope]]:
        known = self._entry(relpath)
        if isinstance(known, _Scope):
            return {known.root: [known]}
        return known or {}

    def _expand(
        self,
        root: str,
        relpath: str,
        parent: _Scope,
        join: _Scope | None,
        stack: frozenset[str],
        pending: list[tuple[_Scope, str | None, str | None]],
    ) -> None:
        tree = self._source.tree(relpath)
        scopes: list[_Scope] = []
        for index, (parent_index, names) in enumerate(tree.get("scopes", [[-1, ""]])):
            name_list = names.split()
            if index == 0:
                if join is not None:
                    join.names.extend(n for n in name_list if n not in join.names)
                    scope = join
                elif name_list and relpath != root:
                    scope = _Scope(root, parent, name_list)
                else:
                    scope = parent
            else:
                scope = _Scope(root, scopes[parent_index], name_list)
            scopes.append(scope)
            self._reach(self._relpaths.short(relpath), scope)
        # A topic reference with @keys and @href is a key item, then a topic item, with the same
        # target: the topic item takes the key item's string, which the definition holds and
        # the topic's contexts are keyed by (a copy of each, as whole relpaths, took 96 MB more
        # for a million files).
        defined: tuple[str | None, _Kept | None] = (None, None)
        for item in tree.get("items", ()):
            kind, scope = item[0], scopes[item[1]]
            if kind == "k":
                definition = _definition(item, self._relpaths)
                defined = (item[3], definition)
                _define(scope, intern(item[2]), definition)
            elif kind == "m":
                target, own = item[2], item[3]
                if target in self._known and target not in stack:
                    joined = scope if own else None
                    self._expand(root, target, scope, joined, stack | {target}, pending)
            else:  # "t"
                target = item[2]
                if target:
                    shared = _short_target(defined[1]) if target == defined[0] else None
                    target = shared or self._relpaths.short(target)
                pending.append((scope, target, item[3]))

    def resolve(self, relpath: str, key: str) -> Resolution:
        """The key ``key`` as the asset ``relpath`` sees it. When several root maps reach the
        asset and define the key differently, the effective definition is the first root map's
        in the order of their relpaths (a build would pick one root map; without knowing which,
        a stable choice keeps the stored target and text from changing between runs)."""
        contexts = self._entry(relpath)
        if isinstance(contexts, _Scope):
            found = contexts.lookup(key)
            return Resolution(
                self._loaded(found), () if found is not None else (contexts.root,), True
            )
        if not contexts:
            return Resolution(self._loaded(self._union.get(key)), (), False)
        definition: _Kept | None = None
        undefined: list[str] = []
        for root in sorted(contexts):
            found = _first(scope.lookup(key) for scope in contexts[root])
            if found is None:
                undefined.append(root)
            elif definition is None:
                definition = found
        return Resolution(self._loaded(definition), tuple(undefined), True)

    def _loaded(self, kept: _Kept | None) -> KeyTarget | None:
        """A definition as held, as callers see it: a KeyTarget with its target's relpath."""
        if isinstance(kept, str):
            return KeyTarget(self._relpaths.full(kept), "", False)
        if kept is not None and kept.target:
            return KeyTarget(self._relpaths.full(kept.target), kept.text, kept.missing, kept.topic)
        return kept

    def roots_of(self, relpath: str) -> list[str]:
        """The root maps that reach the asset, sorted."""
        return sorted(self._contexts_of(relpath))


def _first(values: Iterable[_Kept | None]) -> _Kept | None:
    return next((value for value in values if value is not None), None)


def _define(scope: _Scope, key: str, definition: _Kept) -> None:
    """Define ``key`` in ``scope`` unless an earlier definition holds it, and its qualified names
    in every scope above (``child.key``, then ``parent.child.key``, ...)."""
    scope.local.setdefault(key, definition)
    names = [key]
    while scope.parent is not None:
        names = [f"{prefix}.{name}" for prefix in scope.names for name in names]
        scope = scope.parent
        for name in names:
            scope.local.setdefault(name, definition)
