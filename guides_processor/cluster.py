"""Whether a django-q2 cluster serves this queue: its worker processes write heartbeats.

Every worker process of a cluster writes a ``WorkerHeartbeat`` row every
``GUIDES_HEARTBEAT_SECONDS`` (``tasks.start_watchdog_thread``). A cluster is alive when a row of
its queue's name is fresher than three beats. This is one query, answered at once, on any broker
and from any host that shares the database; django-q2's own cluster statistics live in the broker
or the cache (per process with the default cache), so they are not seen everywhere.
"""

import os
import socket
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_q.conf import Conf

from .models import WorkerHeartbeat

# Rows of processes silent for this long are deleted by the live ones.
_PRUNE_AFTER = timedelta(hours=1)


def _fresh_after() -> timedelta:
    return timedelta(seconds=3 * max(settings.GUIDES_HEARTBEAT_SECONDS, 0.1))


def cluster_beat() -> None:
    """Record that this worker process is alive (called by its background thread)."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        cluster=str(Conf.PREFIX),
        host=socket.gethostname()[:255],
        pid=os.getpid(),
        defaults={"beat_at": now},
    )
    WorkerHeartbeat.objects.filter(beat_at__lt=now - _PRUNE_AFTER).delete()


def cluster_alive(*, seconds: float = 0.0) -> bool:
    """Whether a worker of a cluster serving this queue beat within the last three beats.

    Looks at once; with ``seconds`` > 0, looks again until one appears or the time is up (a
    cluster that is starting).
    """
    deadline = time.monotonic() + seconds
    while True:
        fresh = timezone.now() - _fresh_after()
        if WorkerHeartbeat.objects.filter(cluster=str(Conf.PREFIX), beat_at__gte=fresh).exists():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def workers_alive() -> int:
    """How many worker processes of clusters serving this queue beat within the last three
    beats, on every host."""
    fresh = timezone.now() - _fresh_after()
    return WorkerHeartbeat.objects.filter(cluster=str(Conf.PREFIX), beat_at__gte=fresh).count()
