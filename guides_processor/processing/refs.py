"""Scope and target of an outgoing reference, shared by every asset type."""

import os
import posixpath
import re
from urllib.parse import unquote

from .result import SCOPE_EXTERNAL, SCOPE_LOCAL, SCOPE_PEER

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


class Resolver:
    """Resolves local and peer file references of one asset against the content root.

    Existence checks are cached for the life of the resolver (one ``process`` call): a topic that
    links to the same file twenty times costs one ``stat``.
    """

    __slots__ = ("_exists", "_resolved", "folder", "relpath", "root")

    def __init__(self, root: str, relpath: str) -> None:
        self.root = root
        self.relpath = relpath
        self.folder = posixpath.dirname(relpath)
        self._exists: dict[str, bool] = {}
        self._resolved: dict[str, tuple[str, bool]] = {}

    def resolve(self, value: str) -> tuple[str, bool]:
        """Return ``(target, broken)`` for a file reference ``value`` (``href``, ``conref``, ...).

        The target is the path part (before ``?`` and ``#``), percent-decoded, joined to the
        asset's folder and normalised, relative to the root. A bare fragment is the asset itself.
        A target that leaves the root, or an absolute path, is broken; otherwise it is broken when
        no such file exists.
        """
        path = value.split("#", 1)[0].split("?", 1)[0]
        if not path:
            return self.relpath, False
        known = self._resolved.get(path)
        if known is not None:
            return known
        resolved = self._resolve_path(path)
        self._resolved[path] = resolved
        return resolved

    def _resolve_path(self, path: str) -> tuple[str, bool]:
        if "%" in path:
            path = unquote(path)
        target = posixpath.normpath(posixpath.join(self.folder, path))
        if target == ".." or target.startswith(("../", "/")):
            return target, True
        exists = self._exists.get(target)
        if exists is None:
            exists = os.path.isfile(os.path.join(self.root, target))
            self._exists[target] = exists
        return target, not exists
