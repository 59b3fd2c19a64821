"""Events carry their division's path, so a jurisdiction reads the log through one index (issue 14).

The column is filled for the events written before it, from ``villages_division``, in this migration. That
needs an UPDATE, which the append-only trigger refuses to everyone; the migration runs as the tables' owner
and switches the trigger off for its own statement only, inside its transaction (``ALTER TABLE … DISABLE
TRIGGER`` takes an ACCESS EXCLUSIVE lock, so no other session writes or reads the table meanwhile, and the
trigger is back on before the transaction commits) — as 0006 did to sign legacy events. No setting or role
gains a way around the trigger at run time. The path is not part of the signed canonical event (it is
derived from the signed ``division_id``), so no MAC or seal changes and ``audit_verify`` still passes.
"""

from django.db import migrations, models

BACKFILL = (
    "UPDATE audit_auditevent SET division_path = villages_division.path FROM villages_division "
    "WHERE villages_division.id = audit_auditevent.division_id AND audit_auditevent.division_path = ''"
)


def _set_trigger(schema_editor, enabled):
    if schema_editor.connection.vendor == "postgresql":
        verb = "ENABLE" if enabled else "DISABLE"
        schema_editor.execute(f"ALTER TABLE audit_auditevent {verb} TRIGGER audit_auditevent_append_only")


def backfill(apps, schema_editor):
    _set_trigger(schema_editor, enabled=False)
    schema_editor.execute(BACKFILL)
    _set_trigger(schema_editor, enabled=True)
    if schema_editor.connection.vendor == "postgresql":
        # The new column has no statistics until autovacuum gets to it: without them the planner guesses the
        # jurisdiction prefix matches 0.5 % of the rows and picks a bitmap scan of all of them (148 ms, not 1 ms).
        schema_editor.execute("ANALYZE audit_auditevent")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_sign_legacy_events_owner_only_purge"),
        ("villages", "0003_export_job"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="division_path",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=255, verbose_name="区划路径"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                fields=["division_path", "id"],
                name="audit_event_path_idx",
                opclasses=["varchar_pattern_ops", "int8_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["object_repr"], name="audit_event_repr_idx", opclasses=["varchar_pattern_ops"]),
        ),
    ]
