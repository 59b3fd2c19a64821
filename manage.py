#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

# Exit status of any command that could not reach the database (1 stays "the command itself failed").
EXIT_DATABASE_UNREACHABLE = 2


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except Exception as exc:
        from sunshine.outages import database_unreachable, unreachable_message

        if not database_unreachable(exc):
            raise
        # One clear line instead of a traceback, for every command (import_roster, tick, migrate, …); no password.
        sys.stderr.write(unreachable_message(exc))
        sys.exit(EXIT_DATABASE_UNREACHABLE)


if __name__ == "__main__":
    main()
