"""The backend of the database in use, picked once by ``connection.vendor`` (after Django's
settings are loaded: the engine is imported by apps, tasks and commands, never by settings)."""

from django.db import connection

from .interface import Backend
from .postgresql import PostgreSQLBackend
from .sqlite import SQLiteBackend


def _pick() -> Backend:
    if connection.vendor == "postgresql":
        return PostgreSQLBackend()
    if connection.vendor == "sqlite":
        return SQLiteBackend()
    raise RuntimeError(f"the engine does not run on {connection.vendor}")


BACKEND = _pick()
VENDOR: str = connection.vendor
