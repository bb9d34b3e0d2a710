"""The link pass of a finishing execution: what processing one file cannot know.

Run once an execution's items are all final, over the whole live repository (every verdict
depends on other files, processed in any order and in any execution):

- (before it, ``vanished.mark_vanished`` marks deleted the assets under the execution's folder
  that are no longer on disk, and live again those it met);
- key references are resolved in the key spaces of the root maps that reach their asset
  (``processing.keyspace``): KEY_UNDEFINED, KEY_TARGET_MISSING, ELEMENT_MISSING, and the
  warnings KEY_UNDEFINED_IN_SOME_MAPS, FALLBACK_USED, NOT_IN_ANY_MAP; a resolved key stores its
  target file in ``target``, so that what uses a file can be followed through keys;
- file references are judged again against the assets they point at: FILE_MISSING when the
  target was deleted, cleared when it is back, ELEMENT_MISSING when the target topic has no such
  topic or element id.

- titles and short descriptions whose text names keys (``Asset.key_texts``) are filled with the
  keys' text as the asset sees them (``processing.dita.key_text_template``); a topic that root
  maps define the key for differently takes the text of the first of them, in the order of their
  relpaths (the one whose definition ``KeySpaces.resolve`` also stores on the reference).

Only rows whose verdict changes are written. Cost: one read of the live maps' trees (the key
spaces are built from them, each root map's tree expanded once: O(keys + topic references)), then
one read of key references and one of file references with a fragment or a changed target. An
execution that changed no map reads only the references it may have changed (``Touched``): its
own assets', and those whose target it processed, deleted or revived.

What needs the key spaces (key references, key texts) is ``key_pages``, whose pages
``write_page`` writes: a large pass runs it in a helper process (``engine.keyhelper``) while the
finishing process judges the file references.
"""

import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.db import connection

from ... import processing
from ...models import Asset, ItemState, Reference
from ...processing.dita import fill_template
from ...processing.keyspace import KeySpaces, KeyTarget, Resolution
from .backend import BACKEND
from .common import q, table
from .unchanged import live_count
from .verdicts import (
    KEPT_REASONS,
    Touched,
    Update,
    file_reason,
    in_execution_sql,
    judge_files,
    pages,
    undefined_keys,
    write_verdicts,
    written,
)

# Rows updated per statement.
_CHUNK = 500
# Assets whose key texts are filled at a time (an asset's row, with its metadata and templates,
# weighs about 3 KB in Python: 20,000 of them took 66 MB).
_TEXT_PAGE = 2_000
# Temporary table of the key texts a finish updates (``Backend.stage``).
_TEXTS = "guides_text_stage"


class LinkScope:
    """What the link pass of a finishing execution judges again (see the module).

    When the execution changed no map (none processed, newly failed, deleted or revived), the key
    spaces are those the last finish judged with, so only these are judged (``only``): the
    references of the assets it processed, and those whose target it processed, deleted or
    revived (an id gone, a file back). Otherwise (``only`` None) every live reference is: a map's
    change can move any key. ``changed`` holds the relpaths ``mark_vanished`` deleted or revived.
    """

    def __init__(self, execution_id: int, changed: Sequence[str] = ()) -> None:
        self.execution_id = execution_id
        self.changed = changed
        self.only: Touched | None = None
        if not _maps_changed(execution_id, changed):
            self.only = Touched(execution_id, changed)

    @classmethod
    def for_helper(cls, execution_id: int, *, whole: bool) -> "LinkScope":
        """The scope of an execution that deleted and revived nothing, as the finishing process
        decided it (``whole``: every live reference), for its helper process."""
        scope = cls.__new__(cls)
        scope.execution_id, scope.changed = execution_id, ()
        scope.only = None if whole else Touched(execution_id, ())
        return scope

    @functools.cached_property
    def idle(self) -> bool:
        """Whether no verdict can have changed (nothing written, deleted or revived); asked by
        the helper's decision and by the pass, answered once."""
        return self.only is not None and self.only.nothing()

    def assets(self) -> int:
        """How many assets' references the pass judges: the live ones, or the execution's own."""
        if self.only is None:
            return live_count()
        return written(self.execution_id).count()


# The kinds of pages ``key_pages`` yields.
VERDICTS, TEXTS = "verdicts", "texts"
# Writes a page of ``key_pages``: ``write_page``.
PageWriter = Callable[[str, list[Any]], None]


def resolve_keys(
    scope: LinkScope, *, helper: Callable[[PageWriter], bool] | None = None
) -> list[tuple[str, int, str]]:
    """Judge again the key and file references whose verdict the execution may have changed
    (``scope``), and fill the key texts of the assets that name keys.

    ``helper`` delivers the key pages (``key_pages``) judged by a helper process to the writer it
    is given, and says whether it delivered them all; when it did not, they are judged here
    (what it wrote stands: a page judged here writes only the verdicts that still differ).

    Returns (key, references, first asset) for every key left undefined in this execution's
    assets, sorted by key.
    """
    if scope.idle:
        return []  # nothing written, deleted or revived: every verdict stands
    for updates in judge_files(scope.only):
        write_verdicts(updates)
    if helper is None or not helper(write_page):
        for kind, page in key_pages(scope):
            write_page(kind, page)
    return undefined_keys(scope.execution_id)


def key_pages(scope: LinkScope) -> Iterator[tuple[str, list[Any]]]:
    """The changed verdicts of key references (``VERDICTS`` pages), then the changed key texts
    (``TEXTS`` pages): all that needs the key spaces, which are built here once."""
    spaces = _LiveKeySpaces()
    deleted = set(Asset.objects.filter(deleted_at__isnull=False).values_list("relpath", flat=True))
    for updates in _judge_keys(spaces, deleted, scope.only):
        yield VERDICTS, updates
    for texts in _key_texts(spaces, scope.only):
        yield TEXTS, texts


def write_page(kind: str, page: list[Any]) -> None:
    """Write a page of ``key_pages``."""
    if kind == VERDICTS:
        write_verdicts(page)
    else:
        _write_texts(page)


class _LiveKeySpaces:
    """The key spaces of the live root maps, built when a key is first resolved: a finish whose
    references and texts name no key (an unchanged rerun, a folder of images) builds none
    (0.37 s of a 20,000-file unchanged rerun's 1.2 s went to building them)."""

    def __init__(self) -> None:
        self._spaces: KeySpaces | None = None

    def resolve(self, relpath: str, key: str) -> Resolution:
        if self._spaces is None:
            self._spaces = KeySpaces(_StoredMaps())
        return self._spaces.resolve(relpath, key)


class _StoredMaps:
    """The live maps' trees as ``KeySpaces`` reads them (its ``MapSource``): streamed for its
    pass over every map, then one at a time as a root map's expansion reaches them, the last
    few kept (a shared map of key definitions is reached from every root map)."""

    _KEPT = 8

    def __init__(self) -> None:
        self._maps = Asset.objects.filter(
            deleted_at__isnull=True, asset_type=processing.DITAMAP, status=processing.SUCCESS
        )
        self._kept: dict[str, Mapping[str, Any]] = {}

    def trees(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        # In the order they are stored: ordered by relpath, SQLite sorted every tree in memory.
        rows = self._maps.order_by().values_list("relpath", "map_tree")
        return rows.iterator(chunk_size=100)

    def tree(self, relpath: str) -> Mapping[str, Any]:
        tree = self._kept.pop(relpath, None)
        if tree is None:
            # A statement of its own, not a queryset: one is run per map (a million-file
            # repository's 20,776 maps were read in 12.4 s by querysets, 3.9 s so).
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {q('map_tree')} FROM {table(Asset)} WHERE {q('relpath')} = %s",
                    [relpath],
                )
                (value,) = cursor.fetchone()
            tree = json.loads(value) if isinstance(value, (str, bytes)) else value
        if len(self._kept) >= self._KEPT:
            del self._kept[next(iter(self._kept))]
        self._kept[relpath] = tree  # the most recently used last
        return tree


# More relpaths deleted or revived at once than this, and every reference is judged again.
_CHANGED_LIMIT = 2000


def _maps_changed(execution_id: int, changed: Sequence[str]) -> bool:
    if len(changed) > _CHANGED_LIMIT:
        return True
    if written(execution_id).filter(asset_type=processing.DITAMAP).exists():
        return True
    return any(
        Asset.objects.filter(
            relpath__in=changed[start : start + _CHUNK], asset_type=processing.DITAMAP
        ).exists()
        for start in range(0, len(changed), _CHUNK)
    )


def _key_texts(
    spaces: _LiveKeySpaces, only: Touched | None
) -> Iterator[list[tuple[str, str | None, int]]]:
    """Fill the key text templates of every live asset in (of this execution's assets only, when
    no map changed: the keys' texts are those of the last finish); yields those that change
    (``_write_texts``), a page of assets at a time.

    Only the title and the short description are read and written, not the whole metadata
    (``Backend.json_text`` and ``json_with``). Decoding and encoding every asset's metadata
    through the ORM took 1.70 s of a 100,000-file first finish's 7.8 s on SQLite, and 3.84 s of
    16.7 s on PostgreSQL; this takes 1.07 s and 2.53 s (copies of one database, side by side).
    """
    asset = table(Asset)
    shortdesc = BACKEND.json_text(f"a.{q('metadata')}", "shortdesc")
    sql = (
        f"SELECT a.{q('id')}, a.{q('relpath')}, a.{q('title')}, {shortdesc}, a.{q('key_texts')} "
        f"FROM {asset} a WHERE a.{q('key_texts')} IS NOT NULL AND a.{q('deleted_at')} IS NULL"
    )
    params: list[Any] = []
    if only is not None:
        sql += f" AND a.{q('id')} IN ({in_execution_sql()})"
        params = [only.execution_id, ItemState.DONE]
    for page in pages(sql, params, alias="a", size=_TEXT_PAGE):
        changed: list[tuple[str, str | None, int]] = []
        for asset_id, relpath, title, shortdesc, stored in page:
            templates = json.loads(stored) if isinstance(stored, (str, bytes)) else stored
            new_title, new_shortdesc = _filled(spaces, relpath, templates, title)
            if new_title != title or (new_shortdesc is not None and new_shortdesc != shortdesc):
                changed.append((new_title, new_shortdesc, asset_id))
        yield changed


def _filled(
    spaces: _LiveKeySpaces, relpath: str, templates: dict[str, list[Any]], title: str
) -> tuple[str, str | None]:
    """(title, short description) of an asset with its key text templates filled as it sees
    the keys; the short description is None when it names no key (it is left as it is)."""
    texts: dict[str, str] = {}
    for template in templates.values():
        for part in template:
            if not isinstance(part, str) and part[0] not in texts:
                definition = spaces.resolve(relpath, part[0]).definition
                texts[part[0]] = definition.text if definition is not None else ""
    new_title = fill_template(templates["title"], texts) if "title" in templates else title
    shortdesc = templates.get("shortdesc")
    return new_title, fill_template(shortdesc, texts) if shortdesc is not None else None


def _write_texts(changed: Sequence[tuple[str, str | None, int]]) -> None:
    """Staged, then one UPDATE: an ORM update per asset cost 10 s of a 20,000-file repository's
    first finish on SQLite (13,391 assets with key texts). The short description is set inside
    the metadata where it names keys (NULL in the stage: the metadata is left alone)."""
    if not changed:
        return
    asset = table(Asset)
    metadata, shortdesc = q("metadata"), f"s.{q('shortdesc')}"
    with connection.cursor() as cursor:
        BACKEND.stage(
            cursor,
            _TEXTS,
            f"SELECT {q('title')}, {q('title')} AS {q('shortdesc')}, {q('id')} FROM {asset}",
            changed,
        )
        cursor.execute(
            f"UPDATE {asset} SET {q('title')} = s.{q('title')}, "
            f"{metadata} = CASE WHEN {shortdesc} IS NULL THEN {asset}.{metadata} "
            f"ELSE {BACKEND.json_with(f'{asset}.{metadata}', 'shortdesc', shortdesc)} END "
            f"FROM {_TEXTS} s WHERE {asset}.{q('id')} = s.{q('id')}"
        )


def _judge_keys(
    spaces: _LiveKeySpaces, deleted: set[str], only: Touched | None
) -> Iterator[list[Update]]:
    """The changed verdicts of key references, and of the fallback ``@href``/``@conref`` beside
    them (``_fallback_verdict``), a page of references at a time."""
    ref, asset = table(Reference), table(Asset)
    sql = (
        f"SELECT r.{q('id')}, a.{q('relpath')}, r.{q('key')}, r.{q('element_id')}, "
        f"r.{q('fallback')}, r.{q('broken')}, r.{q('reason')}, r.{q('warning')}, "
        f"r.{q('note')}, r.{q('target')}, r.{q('fallback_key')}, r.{q('topic_id')} FROM {ref} r "
        f"JOIN {asset} a ON a.{q('id')} = r.{q('asset_id')} "
        f"WHERE (r.{q('key')} <> '' OR r.{q('fallback_key')} <> '') "
        f"AND a.{q('deleted_at')} IS NULL" + (f" AND {only.sql}" if only else "")
    )
    for rows in pages(sql, only.params if only else []):
        verdicts = [(row, spaces.resolve(row[1], row[2] or row[10])) for row in rows]
        ids, targets, back = _looked_up(verdicts)
        updates = []
        for row, resolution in verdicts:
            if row[2]:
                new = _key_ref_verdict(row, resolution, deleted, ids, back)
            else:
                new = _fallback_verdict(resolution.definition is not None, row, targets)
            if new != (bool(row[5]), row[6], row[7], row[8], row[9]):
                updates.append((*new, row[0]))
        yield updates


def _looked_up(
    verdicts: Sequence[tuple[tuple[Any, ...], Resolution]],
) -> tuple[dict[str, tuple[str, set[str]] | None], dict[str, tuple[bool, str, str, str]], set[str]]:
    """What a page of ``_judge_keys`` reads of the assets its references lead to: the ids of the
    topics whose elements key references name, the assets of the fallbacks' targets and of the
    key targets their maps found missing, and which of these are back (a live asset now)."""
    wanted_ids: set[str] = set()
    fallback_targets: set[str] = set()
    missing_then: set[str] = set()
    for row, resolution in verdicts:
        definition = resolution.definition
        if not row[2]:
            if row[9]:
                fallback_targets.add(row[9])
        elif definition is not None and definition.target:
            if row[3]:
                wanted_ids.add(definition.target)
            if definition.missing:
                missing_then.add(definition.target)
    targets = _targets_of(fallback_targets | missing_then)
    back = {relpath for relpath in missing_then if targets.get(relpath, (False,))[0]}
    return _ids_of(wanted_ids), targets, back


def _key_ref_verdict(
    row: tuple[Any, ...],
    resolution: Resolution,
    deleted: set[str],
    ids: dict[str, tuple[str, set[str]] | None],
    back: set[str],
) -> tuple[bool, str, str, str, str]:
    """(broken, reason, warning, note, target) of a key reference (a ``_judge_keys`` row)."""
    element_id, fallback = row[3:5]
    broken, reason, target = _key_verdict(
        resolution.definition, element_id, bool(fallback), deleted, ids, back
    )
    warning, note = "", ""
    if not broken and reason == "" and resolution.definition is None:
        warning = processing.FALLBACK_USED
    elif resolution.undefined_in and resolution.definition is not None:
        warning = processing.KEY_UNDEFINED_IN_SOME_MAPS
        note = ", ".join(resolution.undefined_in)
    elif not resolution.in_any_map:
        warning = processing.NOT_IN_ANY_MAP
    return broken, reason, warning, note, target


def _fallback_verdict(
    defined: bool, row: tuple[Any, ...], targets: Mapping[str, tuple[bool, str, str, str]]
) -> tuple[bool, str, str, str, str]:
    """(broken, reason, warning, note, target) of a fallback ``@href``/``@conref`` (a
    ``_judge_keys`` row), judged with the key beside it.

    DITA 1.3 part 3, 2.3.4.2 "Key references" and 2.3.4.3 "Key definitions": the key wins when it
    is defined, even by a definition without a file (which makes no link, whatever the
    reference's own ``@href``); only an undefined key leaves the reference to its ``@href``
    (``@conref``). So while the key is defined the fallback is not broken, with the warning
    ``FALLBACK_NOT_USED``; its own verdict is kept in ``note`` (a reason code, or empty), for the
    day the key goes. While the key is undefined it is judged as ``judge_files`` judges a file
    reference: against its target's asset when there is one (deleted: FILE_MISSING; a topic
    without the fragment's id: ELEMENT_MISSING), else by what processing found on disk.
    """
    broken, reason, warning, note, target, topic_id = *row[5:10], row[11]
    own = note if warning == processing.FALLBACK_NOT_USED else (reason if broken else "")
    if defined:
        return False, "", processing.FALLBACK_NOT_USED, own, target
    found = targets.get(target) if target else None
    if found is not None and own not in KEPT_REASONS:
        live, asset_type, status, ids_text = found
        own = file_reason(
            own,
            gone=not live,
            topic_id=topic_id,
            element_id=row[3],
            ids_text=ids_text,
            asset_type=asset_type,
            status=status,
        )
    return own != "", own, "", "", target


def _targets_of(relpaths: Iterable[str]) -> dict[str, tuple[bool, str, str, str]]:
    """(live, type, status, ids as stored) of the asset at each of ``relpaths`` that has one."""
    found: dict[str, tuple[bool, str, str, str]] = {}
    wanted = list(relpaths)
    for start in range(0, len(wanted), _CHUNK):
        rows = Asset.objects.filter(relpath__in=wanted[start : start + _CHUNK]).values_list(
            "relpath", "deleted_at", "asset_type", "status", "ids"
        )
        for relpath, deleted_at, asset_type, status, ids_text in rows:
            found[relpath] = (deleted_at is None, asset_type, status, ids_text)
    return found


def _key_verdict(
    definition: KeyTarget | None,
    element_id: str,
    fallback: bool,
    deleted: set[str],
    ids: dict[str, tuple[str, set[str]] | None],
    back: set[str],
) -> tuple[bool, str, str]:
    """(broken, reason, target) of one key reference.

    The key's target file is judged as it is at this pass, not as it was when its map was
    processed (``definition.missing``, read then from the disk): a target with a live asset
    now (``back``: the file came back and was processed, or was revived, since) is there, and
    one whose asset is deleted (``deleted``) is missing, as a file reference to it is judged
    (DITA 1.3 part 3, 2.3.4.3 "Key definitions": the key's resource is the file its ``@href``
    names; whether that file exists is a fact of the repository at build time). Without an asset
    either way, the map's look at the disk stands.

    An undefined key with a fallback (``@href`` beside ``@keyref``, ``@conref`` beside
    ``@conkeyref``) is not broken: the fallback is used, and judged as a file reference of its
    own (DITA 1.3 part 3, 2.3.4.2; DITA-OT says DOTJ047I or DOTJ046E and goes on). A definition
    without a file (a text-only key) resolves. ``key/elementid`` (and a ``conrefend`` beside a
    ``conkeyref``, whose file the key's replaces) needs that element in the key's topic: the
    first topic of the target file (2.3.4.2 "Key references": the key addresses the topic).
    """
    if definition is None:
        return (False, "", "") if fallback else (True, processing.KEY_UNDEFINED, "")
    target = definition.target or ""
    if target and ((definition.missing and target not in back) or target in deleted):
        return True, processing.KEY_TARGET_MISSING, target
    known = ids.get(target) if target and element_id else None
    if known is not None:
        # The topic the definition's @href names (``file.dita#topicid``), else the file's first
        # (DITA 1.3 part 3, "The @keyref attribute": the key is bound to the topic that holds
        # the element).
        topic_id = definition.topic or known[0]
        if f"{topic_id}/{element_id}" not in known[1]:
            return True, processing.ELEMENT_MISSING, target
    return False, "", target


def _ids_of(relpaths: Iterable[str]) -> dict[str, tuple[str, set[str]] | None]:
    """The first topic id and the id set of each live topic among ``relpaths`` (None for a file
    whose ids are unknown: not a topic, or not processed successfully)."""
    found: dict[str, tuple[str, set[str]] | None] = {}
    wanted = list(relpaths)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        for relpath, text in Asset.objects.filter(
            relpath__in=chunk,
            deleted_at__isnull=True,
            asset_type=processing.DITATOPIC,
            status=processing.SUCCESS,
        ).values_list("relpath", "ids"):
            present = set(text.split("\n")) if text else set()
            first = next((value for value in text.split("\n") if "/" not in value), "")
            found[relpath] = (first, present)
    return found
