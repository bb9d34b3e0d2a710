#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guides_processor.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        # Read the settings first: a malformed GUIDES_* variable is said in one line (the
        # variable and what it takes), not at the end of a traceback.
        settings.INSTALLED_APPS  # noqa: B018
    except ImproperlyConfigured as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        sys.exit(2)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
