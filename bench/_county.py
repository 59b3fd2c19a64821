"""How the county benchmarks start: on the database DATABASE_URL names (the county data set), or, when none is
set, on a throw-away SQLite file the script then fills with a small region, so the script always runs."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def boot(prefix):
    """Set Django up; True when no DATABASE_URL was given and the database is a new, empty SQLite file."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    small = not os.environ.get("DATABASE_URL")
    if small:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix=prefix)}/bench.sqlite3"
    import django

    django.setup()
    return small
