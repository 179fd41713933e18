"""WSGI entry point (gunicorn gvhdtrial.web.wsgi:application)."""

import os
import sys

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gvhdtrial.web.settings")
# Shorter GIL switch interval: a thread holding the write lock gets the CPU back sooner while
# other request threads parse and render, which keeps the serialized section short.
sys.setswitchinterval(float(os.environ.get("GVHDTRIAL_SWITCH_INTERVAL", "0.0005")))
application = get_wsgi_application()
