"""What the commands check of the database before they use it, so that a database they cannot
use is named in one line rather than in a driver's traceback."""

import redis
from django.conf import settings
from django.core.management.base import CommandError
from django.db import OperationalError, connection

from ..models import Execution
from ..webhook_urls import password_hidden


def database_opened() -> None:
    """Connect to the database, or raise a CommandError in one line naming it and the reason
    (a database that does not exist, a server that does not answer, a refused password)."""
    try:
        connection.ensure_connection()
    except OperationalError as error:
        db = connection.settings_dict
        where = f" on {db['HOST']}:{db['PORT'] or 5432}" if db.get("HOST") else ""
        reason = " ".join(str(error).split())  # the driver's message may span several lines
        raise CommandError(f"Cannot open the database {db['NAME']}{where}: {reason}") from None


def database_ready() -> None:
    """``database_opened``, and its tables made (``migrate``, which ``serve`` runs when it
    starts), or a CommandError saying so. One look at the table names."""
    database_opened()
    if Execution._meta.db_table not in connection.introspection.table_names():
        raise CommandError(
            f"The database {connection.settings_dict['NAME']} has no tables yet: run "
            "`.venv/bin/python manage.py migrate` first (`manage.py serve` does so when it "
            "starts)."
        )


def broker_reachable() -> None:
    """With the Redis broker (``GUIDES_BROKER_URL``): that it answers a ping, or a CommandError
    in one line naming it and the reason (nothing listening, a database number the server does
    not have, a refused password). A cluster started without it stops at once, in a traceback,
    while the console would run on and accept executions nothing processes."""
    url = settings.GUIDES_BROKER_URL
    if not url:
        return  # the ORM broker: the database, opened already
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        client.ping()
    except redis.RedisError as error:
        reason = " ".join(str(error).split())
        raise CommandError(f"Cannot reach the broker {password_hidden(url)}: {reason}") from None
