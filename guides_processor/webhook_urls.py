"""What a webhook address may be, checked alike for the setting and for a request's ``notify``.

Pure (no Django), so that the settings module can use it before the apps are loaded.
"""

from urllib.parse import urlsplit

# Longer addresses are refused: they are stored, logged and shown.
MAX_URL_LENGTH = 2048


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot receive notifications, as the end of a sentence; None when it can."""
    if len(url) > MAX_URL_LENGTH:
        return f"is longer than {MAX_URL_LENGTH} characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (reading it validates it)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.lower() not in {"http", "https"}:
        return "must be an http:// or https:// URL"
    if not parts.hostname:
        return "has no host"
    # urllib does not send user info as credentials (it takes user:password@host for the host
    # name, so nothing would ever arrive), and the address is stored and shown as given.
    if "@" in parts.netloc:
        return (
            "must not hold a user name or password (user:password@host): they are never sent, "
            "and would be stored in plain text; have the receiver check the X-Guides-Signature "
            "header instead"
        )
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in url):
        return "holds spaces or control characters"
    return None


def redacted(url: str) -> str:
    """``url`` without credentials, query or fragment: what logs and pages show, since a
    receiver's address often carries a token."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def password_hidden(url: str) -> str:
    """``url`` as a message may show it: with its password, if it has one, as ``***`` (a
    database's or a broker's address, in a configuration error)."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    return parts._replace(netloc=f"{userinfo.partition(':')[0]}:***@{host}").geturl()
