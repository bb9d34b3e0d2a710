"""No password of a notification address stays in the database.

Addresses holding a user name or password (``https://user:secret@host/...``) are refused since
``webhook_urls.url_problem`` says so, but those stored before stayed, in plain text: a start
request's ``notify.url`` on its execution, and each notification's address. urllib never sent
them as credentials (it takes ``user:secret@host`` for the host name), so no such notification
ever arrived, and none will: the execution's address is cleared, a notification's address keeps
its host and path only (``webhook_urls.redacted``, as pages and logs already showed it), and one
not yet delivered nor given up is given up, saying why.
"""

from urllib.parse import urlsplit

from django.db import migrations
from django.utils import timezone

from guides_processor.webhook_urls import redacted

_GIVEN_UP = (
    "Not sent: the address held a user name or password (user:password@host), which are never "
    "sent; they were removed from the database."
)


def _with_credentials(url: str) -> bool:
    try:
        return "@" in urlsplit(url).netloc
    except ValueError:  # not a URL at all: nothing of it is sent either
        return "@" in url


def _safe(url: str) -> str:
    try:
        return redacted(url)
    except ValueError:
        return ""


def remove(apps, schema_editor):
    execution = apps.get_model("guides_processor", "Execution")
    delivery = apps.get_model("guides_processor", "WebhookDelivery")
    # Few rows hold an "@" at all: the rest are not read.
    for pk, url in execution.objects.filter(notify_url__contains="@").values_list(
        "id", "notify_url"
    ):
        if _with_credentials(url):
            execution.objects.filter(pk=pk).update(notify_url="")
    now = timezone.now()
    for row in delivery.objects.filter(url__contains="@"):
        if not _with_credentials(row.url):
            continue
        row.url = _safe(row.url)
        if row.delivered_at is None and row.abandoned_at is None:
            row.abandoned_at, row.next_attempt_at, row.last_error = now, None, _GIVEN_UP
        row.save(update_fields=["url", "abandoned_at", "next_attempt_at", "last_error"])


class Migration(migrations.Migration):
    dependencies = [
        ("guides_processor", "0020_reference_fallback_key"),
    ]

    # Going back cannot bring the passwords back, nor need it.
    operations = [migrations.RunPython(remove, migrations.RunPython.noop)]
