"""The deadline tick: the bulk path of the ``escalate`` move, and the overdue and first-contact alerts.

Escalation uses the same table as the one-by-one move: ``MOVES["escalate"]`` gives the states it
applies to and the audit code, ``routing.level_above`` (or, on PostgreSQL, the CASE expressions
``routing.escalation_cases_sql`` generates from the same level table) gives the level and role.
One audit event per escalated item; set-based updates; constant queries.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from sunshine.audit.services import audit_record_many, audit_record_rows, build_event
from villages.models import Membership

from . import notifications
from .deadlines import county_deadlines, stage_of
from .models import LEVEL_ORDER, MOVES, OPEN_STATES, Complaint, Status
from .routing import escalation_cases_sql, level_above, sql_word

ESCALATE = MOVES["escalate"]
TICK_REASON = gettext_noop("逾期未办，自动上报上一级")


def _tick_lock():
    """Serialize ticks on PostgreSQL (SQLite's IMMEDIATE transactions already serialize writers)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0xC0A1])


def _escalation_due(now):
    """Open items past their deadline that may still go up (the top level has nowhere to go)."""
    return Complaint.objects.filter(status__in=ESCALATE.sources, due_at__lt=now).exclude(level=LEVEL_ORDER[-1])


# ---------------------------------------------------------------- portable path (SQLite, or on request)


def _bulk_update(updates):
    """``updates``: [(id, division_id, level, role, due_at)]: one UPDATE on PostgreSQL, a few grouped ones elsewhere."""
    if not updates:
        return
    if connection.vendor == "postgresql":
        ids, divisions, levels, roles, dues = (list(column) for column in zip(*updates, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE {Complaint._meta.db_table} AS c SET division_id = v.division_id, level = v.level,
                    handler_role = v.role, due_at = v.due_at, escalation_count = c.escalation_count + 1,
                    updated_at = %s
                    FROM (SELECT UNNEST(%s::bigint[]) AS id, UNNEST(%s::bigint[]) AS division_id,
                          UNNEST(%s::text[]) AS level, UNNEST(%s::text[]) AS role,
                          UNNEST(%s::timestamptz[]) AS due_at) AS v
                    WHERE c.id = v.id""",
                [timezone.now(), ids, divisions, levels, roles, dues],
            )
        return
    groups = {}
    for pk, division_id, level, role, due in updates:
        groups.setdefault((division_id, level, role, due), []).append(pk)
    for (division_id, level, role, due), pks in groups.items():
        for start in range(0, len(pks), 500):
            Complaint.objects.filter(pk__in=pks[start : start + 500]).update(
                division_id=division_id,
                level=level,
                handler_role=role,
                due_at=due,
                escalation_count=F("escalation_count") + 1,
                updated_at=timezone.now(),
            )


def _escalation_event(content_type, row, new_level, new_role, stage):
    parent_id = row.division__parent_id
    event = build_event(
        actor=None,
        action=ESCALATE.action,
        object_repr=row.tracking_code,
        changes={
            "division": [row.division_id, parent_id],
            "level": [row.level, new_level],
            "handler_role": [row.handler_role, new_role],
        },
        reason=_(TICK_REASON),
        data={"stage": stage, "automatic": True},
    )
    event.content_type_id, event.object_id, event.division_id = content_type.pk, str(row.pk), parent_id
    return event


def _escalate_overdue_python(now, deadlines):
    """Portable bulk path: one ``build_event`` per item, ``audit_record_many``, grouped updates."""
    locking = {"skip_locked": True, "of": ("self",)} if connection.vendor == "postgresql" else {}
    rows = list(
        _escalation_due(now)
        .select_for_update(**locking)
        .values_list(
            "pk",
            "tracking_code",
            "division_id",
            "division__parent_id",
            "level",
            "handler_role",
            "status",
            "is_review",
            "concerns_cadres",
            "county_id",
            named=True,
        )
    )
    content_type = ContentType.objects.get_for_model(Complaint)
    updates, events, notices = [], [], {}
    for row in rows:
        if row.county_id not in deadlines:
            continue
        new_level, new_role = level_above(row.level, row.concerns_cadres)  # never None: the top is excluded
        stage = stage_of(row.status, row.is_review)
        parent_id = row.division__parent_id
        updates.append((row.pk, parent_id, new_level, new_role, deadlines[row.county_id][stage]))
        events.append(_escalation_event(content_type, row, new_level, new_role, stage))
        notices[(parent_id, new_role)] = notices.get((parent_id, new_role), 0) + 1
    _bulk_update(updates)
    audit_record_many(events)
    return len(updates), notices


# ---------------------------------------------------------------- PostgreSQL: one statement

ESCALATE_SQL = """
WITH dl (county_id, acceptance, conclusion, review) AS (VALUES {values}),
due AS (
    SELECT c.id, c.division_id AS old_division, c.level AS old_level, c.handler_role AS old_role
    FROM complaints_complaint c
    WHERE c.status IN ({open_states}) AND c.due_at < %s AND c.level <> {top_level}
    FOR UPDATE OF c SKIP LOCKED
),
moved AS (
    UPDATE complaints_complaint c SET
        division_id = d.parent_id,
        level = {level_case},
        handler_role = {role_case},
        due_at = CASE {stage_case} WHEN 'acceptance' THEN dl.acceptance WHEN 'review' THEN dl.review
            ELSE dl.conclusion END,
        escalation_count = c.escalation_count + 1,
        updated_at = %s
    FROM due JOIN villages_division d ON d.id = due.old_division, dl
    WHERE c.id = due.id AND dl.county_id = c.county_id AND d.parent_id IS NOT NULL
    RETURNING c.id, c.tracking_code, due.old_division, c.division_id, due.old_level, c.level, due.old_role,
        c.handler_role, {stage_case} AS stage
)
SELECT * FROM moved ORDER BY id
"""


def escalate_sql(values):
    """The statement, with its CASE expressions generated from the level table and ``stage_of``'s rule."""
    top_level, level_case, role_case = escalation_cases_sql("c")
    # stage_of: the acceptance clock before acceptance, the review clock for reviews, else conclusion.
    stage_case = (
        f"CASE WHEN c.status = {sql_word(Status.SUBMITTED)} THEN 'acceptance' "
        "WHEN c.is_review THEN 'review' ELSE 'conclusion' END"
    )
    return ESCALATE_SQL.format(
        values=values,
        open_states=", ".join(sql_word(s) for s in ESCALATE.sources),
        top_level=top_level,
        level_case=level_case,
        role_case=role_case,
        stage_case=stage_case,
    )


def _escalate_overdue_sql(now, deadlines):
    """PostgreSQL: lock and move every due item in one statement, then write one signed event per item.

    The same rule and the same event shape as the portable path (tests run both). The events are
    signed in Python (the database must not hold the audit key) from the rows the statement returns
    and sent with COPY: no model instances, which the portable path's ~0.1 ms per item for
    ``build_event`` could not afford at 100,000 due items.
    """
    if not deadlines:
        return 0, {}
    values = ", ".join(["(%s::bigint, %s::timestamptz, %s::timestamptz, %s::timestamptz)"] * len(deadlines))
    params = []
    for county_id, stages in deadlines.items():
        params += [county_id, stages["acceptance"], stages["conclusion"], stages["review"]]
    params += [now, timezone.now()]
    with connection.cursor() as cursor:
        # Enough memory to sort 100k returned rows without spilling to disk.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(escalate_sql(values), params)
        moved = cursor.fetchall()
    notices, rows = _escalation_events(moved)
    audit_record_rows(rows)
    return len(rows), notices


def _escalation_events(moved):
    """``(notices per (division, role), event rows)`` for the rows the escalation statement returned."""
    content_type_id = ContentType.objects.get_for_model(Complaint).pk
    created_at, reason = timezone.now(), _(TICK_REASON)
    notices, rows = {}, []
    for pk, code, old_division, division_id, old_level, level, old_role, role, stage in moved:
        notices[(division_id, role)] = notices.get((division_id, role), 0) + 1
        rows.append(
            {
                "created_at": created_at,
                "actor_id": None,
                "actor_label": "system",
                "action": ESCALATE.action,
                "content_type_id": content_type_id,
                "object_id": str(pk),
                "object_repr": code[:200],
                "division_id": division_id,
                "changes": {
                    "division": [old_division, division_id],
                    "level": [old_level, level],
                    "handler_role": [old_role, role],
                },
                "reason": reason,
                "ip": None,
                "data": {"stage": stage, "automatic": True},
            }
        )
    return notices, rows


# ---------------------------------------------------------------- the tick


def complaints_tick(*, now=None):
    """Escalate overdue open complaints one level; alert on overdue top-level items and missed first contact.

    Idempotent (an escalated item gets a new deadline in the future) and safe to run twice at
    once (an advisory lock serializes ticks; rows a user is moving are skipped and picked up next time).
    """
    now = now or timezone.now()
    with transaction.atomic():
        _tick_lock()
        deadlines = county_deadlines(now)
        if connection.vendor == "postgresql" and not settings.COMPLAINTS_TICK_PYTHON:
            escalated, notices = _escalate_overdue_sql(now, deadlines)
        else:
            escalated, notices = _escalate_overdue_python(now, deadlines)

        # Overdue at the top: nowhere higher to go; alert the county once per deadline.
        top_overdue = Complaint.objects.filter(status__in=OPEN_STATES, due_at__lt=now, level=LEVEL_ORDER[-1]).exclude(
            overdue_alerted_at__gte=F("due_at")
        )
        county_count = _add_groups(notices, top_overdue)
        if county_count:
            top_overdue.update(overdue_alerted_at=now)

        # Missed first-contact targets (a county's service target): alert the handlers once.
        missed = Complaint.objects.filter(
            status__in=OPEN_STATES,
            first_contact_at__isnull=True,
            first_contact_alerted=False,
            first_contact_due_at__lt=now,
        )
        missed_count = _add_groups(notices, missed)
        if missed_count:
            missed.update(first_contact_alerted=True)

        _queue_overdue_notices(notices)
    return f"complaints: {escalated} escalated, {county_count} overdue at county, {missed_count} first-contact alerts"


def _add_groups(notices, queryset):
    """Count ``queryset`` per (division, role) into ``notices``: one grouped query. Returns the total."""
    total = 0
    for division_id, role, count in (
        queryset.order_by().values_list("division_id", "handler_role").annotate(n=Count("id"))
    ):
        notices[(division_id, role)] = notices.get((division_id, role), 0) + count
        total += count
    return total


def _queue_overdue_notices(notices):
    """One digest per (division, role) — bounded by the number of divisions, not of items."""
    if not notices:
        return
    condition = Q()
    for division_id, role in notices:
        condition |= Q(division_id=division_id, role=role)
    memberships = Membership.objects.filter(condition, user__is_active=True).select_related("user")
    rows = [
        notifications.staff_message(
            membership.user,
            subject=_("逾期留言提醒"),
            body=_("您的待办中有 %(n)d 件留言已逾期或刚由下级逾期上报，请尽快处理。")
            % {"n": notices[(membership.division_id, membership.role)]},
        )
        for membership in memberships
    ]
    notifications.save_outbox(rows)
