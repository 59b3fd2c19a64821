import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")
application = get_wsgi_application()

# This is a web process (gunicorn, runserver): its database connections get the web statement/lock timeouts
# and answer deadlines. Commands and the worker never import this module, so they are not cut short.
from sunshine.postgresql.base import limit_web_queries  # noqa: E402  (needs the settings loaded above)

limit_web_queries()
