"""The console's WSGI application, for a web server of one's own (waitress-serve, gunicorn)."""

import os
import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guides_processor.settings")

try:
    # As manage.py does: a malformed GUIDES_* variable is one line, not the end of a traceback.
    settings.INSTALLED_APPS  # noqa: B018
except ImproperlyConfigured as error:
    print(f"Configuration error: {error}", file=sys.stderr)
    sys.exit(2)

application = get_wsgi_application()
