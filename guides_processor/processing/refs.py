"""Scope and target of an outgoing reference, shared by every asset type."""

import os
import posixpath
import re
import stat
from urllib.parse import unquote

from .result import (
    BROKEN_NOT_FOUND,
    BROKEN_OUTSIDE,
    BROKEN_SYMLINK,
    SCOPE_EXTERNAL,
    SCOPE_LOCAL,
    SCOPE_PEER,
)

_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")

IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".ico", ".avif", ".tif", ".tiff"}
)


def has_url_scheme(value: str) -> bool:
    # A network-path reference ("//host/x") names another host just as a scheme does.
    return _URL_SCHEME.match(value) is not None or value.startswith("//")


def scope_of(value: str, scope_attribute: str | None) -> str:
    """``external`` for ``scope="external"`` or a URL, else ``peer`` for ``scope="peer"``, else
    ``local``."""
    if scope_attribute == "external" or has_url_scheme(value):
        return SCOPE_EXTERNAL
    if scope_attribute == "peer":
        return SCOPE_PEER
    return SCOPE_LOCAL


def target_extension(value: str) -> str:
    """The lower-cased extension of the path part of a reference value ("" when none).

    Hand-written rather than ``posixpath.splitext`` on a split value: it runs for every reference.
    """
    end = len(value)
    for separator in "#?":
        index = value.find(separator, 0, end)
        if index >= 0:
            end = index
    dot = value.rfind(".", 0, end)
    if dot < 0:
        return ""
    start = value.rfind("/", 0, end) + 1
    # A leading dot names a hidden file (".htaccess"), not an extension.
    if value[start:dot].strip(".") == "":
        return ""
    return value[dot:end].lower()


class TargetChecks:
    """What reference targets and the folders on their way are, by relpath: "" for a regular
    file (a real folder), else why a reference to (through) it is broken. A caller keeps one for
    several files of one root: the engine one per batch, whose files link to the same targets
    through the same few folders (20,000 generated files made 103,999 folder and 69,103 file
    checks of 2,526 folders and 20,094 files; kept per batch of 400, 5,154 and 33,358)."""

    __slots__ = ("files", "folders")

    def __init__(self) -> None:
        self.files: dict[str, str] = {}
        self.folders: dict[str, str] = {}


class Resolver:
    """Resolves local and peer file references of one asset against the content root.

    Checks are cached for the life of the resolver (one ``process`` call), or in ``checks`` for
    every file processed with it: a topic that links to the same file twenty times costs one
    ``lstat``, and a folder on the way is looked at once. (A target replaced meanwhile is seen
    by the next files that do not share the checks.)
    """

    __slots__ = ("_folders", "_resolved", "_targets", "folder", "relpath", "root")

    def __init__(self, root: str, relpath: str, checks: TargetChecks | None = None) -> None:
        self.root = root
        self.relpath = relpath
        self.folder = posixpath.dirname(relpath)
        shared = TargetChecks() if checks is None else checks
        self._targets = shared.files
        self._folders = shared.folders
        self._resolved: dict[str, tuple[str, str]] = {}

    def resolve(self, value: str) -> tuple[str, str]:
        """Return ``(target, reason)`` for a file reference ``value`` (``href``, ``conref``, ...).

        The target is the path part (before ``?`` and ``#``), percent-decoded, joined to the
        asset's folder and normalised, relative to the root. A bare fragment is the asset itself.
        ``reason`` is "" when the target is a regular file in the root, else why it is broken
        (``BROKEN_OUTSIDE`` for an absolute path or one that leaves the root, ``BROKEN_SYMLINK``
        when the target or a folder on its way is a symbolic link, ``BROKEN_NOT_FOUND``).

        Symbolic links are never followed: whether a link's destination exists would tell what
        lies outside the content root, so a link is broken whatever it points to.
        """
        path = value.split("#", 1)[0].split("?", 1)[0]
        if not path:
            return self.relpath, ""
        known = self._resolved.get(path)
        if known is not None:
            return known
        resolved = self._resolve_path(path)
        self._resolved[path] = resolved
        return resolved

    def _resolve_path(self, path: str) -> tuple[str, str]:
        if "%" in path:
            path = unquote(path)
        target = posixpath.normpath(posixpath.join(self.folder, path))
        if target == ".." or target.startswith(("../", "/")):
            return target, BROKEN_OUTSIDE
        reason = self._targets.get(target)
        if reason is None:
            reason = self._check(target)
            self._targets[target] = reason
        return target, reason

    def _check(self, target: str) -> str:
        """ "" when ``target`` is a regular file reached through real folders, else the reason."""
        folder = target.rpartition("/")[0]
        reason = self._check_folder(folder) if folder else ""
        return reason or self._kind(target, want_folder=False)

    def _check_folder(self, folder: str) -> str:
        """ "" when ``folder`` and each folder above it (up to the root) is a real folder."""
        reason = self._folders.get(folder)
        if reason is None:
            parent = folder.rpartition("/")[0]
            reason = self._check_folder(parent) if parent else ""
            if not reason:
                reason = self._kind(folder, want_folder=True)
            self._folders[folder] = reason
        return reason

    def _kind(self, relpath: str, *, want_folder: bool) -> str:
        try:
            mode = os.lstat(os.path.join(self.root, relpath)).st_mode
        except (OSError, ValueError):  # missing, not a folder, no permission, NUL in the name
            return BROKEN_NOT_FOUND
        if stat.S_ISLNK(mode):
            return BROKEN_SYMLINK
        if stat.S_ISDIR(mode) if want_folder else stat.S_ISREG(mode):
            return ""
        return BROKEN_NOT_FOUND
