"""Who may do what (DESIGN section 6), decided in one place for the console and the API.

Superusers and users holding ``guides_processor.run_assetprocessing`` (usually through a group)
may start, cancel, resume and restart. Any other staff user may read. Everyone else may not.
"""

from typing import Any

RUN_PERMISSION = "guides_processor.run_assetprocessing"


def can_read(user: Any) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active and (user.is_staff or can_run(user))
    )


def can_run(user: Any) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_perm(RUN_PERMISSION))
    )
