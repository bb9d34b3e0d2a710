"""The one interface of the engine's SQL: the claims and the writes, over the hooks where the
databases differ. ``sqlite.py`` and ``postgresql.py`` subclass it; ``backend.py`` picks one."""

from .claims import Claims
from .writes import Writes


class Backend(Claims, Writes):
    """The engine's statements. Subclasses fill in what their database does its own way."""
