"""HTTP Basic credentials, verified once and then remembered for a few minutes.

Django hashes a password with PBKDF2 (about a million iterations) on every ``authenticate``: right
for a login form, far too slow for a pipeline that polls the status API with ``curl -u`` every
second (each request would cost a few hundred milliseconds of CPU). A verified pair is remembered
in this process, keyed by a keyed hash of the pair (the password itself is never kept), for
``TTL_SECONDS``; a remembered entry counts only while the user is active and their password hash is
the one that was verified, so a password change or a deactivation takes effect at once.

Failed sign-ins are throttled by django-axes (settings ``AXES_*``): a wrong pair is never
remembered, so it always reaches ``authenticate``, where it is counted; and once a username or an
address is throttled, even a remembered pair is refused, so that a guess that happens to be right
is not let in by this memory during the cool-off.
"""

import hashlib
import hmac
import threading
import time
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.http import HttpRequest

TTL_SECONDS = 300
MAX_ENTRIES = 1024

_lock = threading.Lock()
_verified: dict[str, tuple[Any, str, float]] = {}


def _key(username: str, password: str) -> str:
    message = f"{username}\0{password}".encode("utf-8", "surrogatepass")
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def authenticate_basic(request: HttpRequest, username: str, password: str) -> Any:
    """The active user these credentials belong to, or None.

    None also when sign-ins are throttled for the username or the client's address; the request
    is then marked so that django-axes' middleware answers 429, and no password is hashed.
    """
    if not AxesProxyHandler.is_allowed(request, {"username": username}):
        request.axes_locked_out = True  # type: ignore[attr-defined]
        return None
    key = _key(username, password)
    now = time.monotonic()
    with _lock:
        entry = _verified.get(key)
    if entry is not None and entry[2] > now:
        user_pk, password_hash, _ = entry
        user = get_user_model().objects.filter(pk=user_pk).first()
        if user is not None and user.is_active and user.password == password_hash:
            return user
    user = authenticate(request, username=username, password=password)
    with _lock:
        if user is None:
            _verified.pop(key, None)
            return None
        if len(_verified) >= MAX_ENTRIES:
            for stale in [k for k, v in _verified.items() if v[2] <= now] or list(_verified)[:1]:
                del _verified[stale]
        _verified[key] = (user.pk, user.password, now + TTL_SECONDS)
    return user


def forget_all() -> None:
    with _lock:
        _verified.clear()
