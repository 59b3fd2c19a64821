"""Create or update the PostgreSQL role the web app and the tick connect as (run as the tables' owner).

The role gets full rights on every other table and sequence (and, by default privileges, on tables
the owner creates later), but only SELECT and INSERT on the audit tables: it cannot UPDATE, DELETE
or TRUNCATE them, owns nothing, and cannot switch the append-only triggers off. Run it again after
each ``migrate``: a new audit table starts with the default (full) rights until it does.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql

AUDIT_PREFIX = "audit_"


def _quoted(name):
    return sql.Identifier(name).as_string(connection.connection)


class Command(BaseCommand):
    help = "Create or update the app's PostgreSQL role: SELECT and INSERT only on audit tables, full rights elsewhere."

    def add_arguments(self, parser):
        parser.add_argument("role", help="the role the app connects as, e.g. sunshine_app")
        parser.add_argument("--password", help="set (or change) the role's login password")

    def handle(self, *args, role, password=None, **options):
        if connection.vendor != "postgresql":
            raise CommandError("setup_db_roles is for PostgreSQL; SQLite has no roles")
        with transaction.atomic(), connection.cursor() as cursor:
            owner = self._check_role_is_not_owner(cursor, role)
            self._create_or_update(cursor, role, password)
            self._grant(cursor, role, owner)

    def _check_role_is_not_owner(self, cursor, role):
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        if role == owner:
            raise CommandError(f"{role} is the role running this command (the owner): choose another name")
        cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER') FROM pg_roles WHERE rolname = %s", [role, owner, role])
        row = cursor.fetchone()
        if row and row[0]:
            raise CommandError(f"{role} is a member of {owner} and could act as the owner: revoke that first")
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s", [role])
        owned = [name for (name,) in cursor.fetchall()]
        if owned:
            raise CommandError(f"{role} owns tables ({', '.join(owned[:5])}…): reassign them to {owner} first")
        return owner

    def _create_or_update(self, cursor, role, password):
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        verb = "ALTER" if cursor.fetchone() else "CREATE"
        options = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
        statement = f"{verb} ROLE {_quoted(role)} WITH {options}"
        if password:
            cursor.execute(statement + " PASSWORD %s", [password])
        else:
            cursor.execute(statement)
        self.stdout.write(f"{verb.lower()}d role {role}: {options.lower()}" + (", password set" if password else ""))

    def _grant(self, cursor, role, owner):
        quoted = _quoted(role)
        cursor.execute("SELECT current_database()")
        database = cursor.fetchone()[0]
        cursor.execute(f"GRANT CONNECT ON DATABASE {_quoted(database)} TO {quoted}")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [name for (name,) in cursor.fetchall()]
        audit = [name for name in tables if name.startswith(AUDIT_PREFIX)]
        for name in tables:
            table = f"public.{_quoted(name)}"
            cursor.execute(f"REVOKE ALL ON TABLE {table} FROM PUBLIC")
            if name in audit:
                cursor.execute(f"REVOKE ALL ON TABLE {table} FROM {quoted}")
                cursor.execute(f"GRANT SELECT, INSERT ON TABLE {table} TO {quoted}")
            else:
                cursor.execute(f"GRANT ALL ON TABLE {table} TO {quoted}")
        # Identity columns need no sequence rights; older serial ones need USAGE to insert.
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
        for name in audit:  # no setval on the audit ids: inserting needs no more than USAGE
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f"public.{_quoted(name)}"])
            sequence = cursor.fetchone()[0]
            if sequence:
                cursor.execute(f"REVOKE UPDATE ON SEQUENCE {sequence} FROM {quoted}")
        cursor.execute(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {_quoted(owner)} IN SCHEMA public GRANT ALL ON TABLES TO {quoted}"
        )
        cursor.execute(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {_quoted(owner)} IN SCHEMA public "
            f"GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {quoted}"
        )
        self.stdout.write(f"granted all on {len(tables) - len(audit)} table(s) and every sequence in {database}")
        self.stdout.write(f"granted only SELECT, INSERT on audit tables: {', '.join(audit)}")
        self.stdout.write(f"default privileges: tables {owner} creates later are granted to {role}")
