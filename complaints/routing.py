"""Who handles a complaint: first routing, the level above, who may act, and the same rule as SQL.

The level table (``LEVEL_ORDER``, ``LEVEL_ROLE``, ``CADRE_ROLE``) is the one source for escalation:
``level_above`` reads it for the moves and the portable tick, and ``escalation_cases_sql`` generates
the single-statement tick's CASE expressions from it, so a change here changes both paths.
"""

import re

from django.utils.translation import gettext as _

from villages.models import Division, Level, Role
from villages.permissions import can, memberships_of

from .models import LEVEL_ORDER, MoveActor

# The role that handles complaints at each level.
LEVEL_ROLE = {
    Level.VILLAGE: Role.VILLAGE_CLERK,
    Level.TOWNSHIP: Role.TOWNSHIP_REVIEWER,
    Level.COUNTY: Role.COUNTY_INSPECTOR,
}
# Where complaints concerning village cadres go instead (never the cadres' own colleagues).
CADRE_ROLE = {Level.TOWNSHIP: Role.TOWNSHIP_DISCIPLINE}
# Roles that may handle complaints at each level (a transfer may pick any of them).
HANDLER_ROLES = {
    Level.VILLAGE: {Role.VILLAGE_CLERK},
    Level.TOWNSHIP: {Role.TOWNSHIP_REVIEWER, Role.TOWNSHIP_DISCIPLINE},
    Level.COUNTY: {Role.COUNTY_INSPECTOR},
}


def role_at(level, concerns_cadres):
    """The role that handles a complaint at ``level``."""
    if concerns_cadres and level in CADRE_ROLE:
        return CADRE_ROLE[level]
    return LEVEL_ROLE[level]


def level_above(level, concerns_cadres):
    """``(level, role)`` one level above ``level``, or None at the top (escalation and review)."""
    index = LEVEL_ORDER.index(level)
    if index + 1 >= len(LEVEL_ORDER):
        return None
    above = LEVEL_ORDER[index + 1]
    return above, role_at(above, concerns_cadres)


def route(*, category, village, concerns_cadres=False, concerns_township_staff=False, disclosure=None):
    """``(division, role)`` that first handles a new complaint."""
    township = village.parent
    county = township.parent
    if concerns_township_staff:
        return county, Role.COUNTY_INSPECTOR
    if concerns_cadres:
        return township, Role.TOWNSHIP_DISCIPLINE
    if disclosure is not None or category.is_objection:
        return township, Role.TOWNSHIP_REVIEWER  # never the clerk who drafted the roster
    if category.owning_level == Level.COUNTY:
        return county, Role.COUNTY_INSPECTOR
    if category.owning_level == Level.TOWNSHIP:
        return township, Role.TOWNSHIP_REVIEWER
    return village, Role.VILLAGE_CLERK


def min_level(complaint):
    """The lowest level allowed to see or handle it (conflict-of-interest routing)."""
    if complaint.concerns_township_staff:
        return Level.COUNTY
    if complaint.concerns_cadres:
        return Level.TOWNSHIP
    return Level.VILLAGE


def transfer_targets(complaint):
    """Divisions (in the complaint's county) it may go to, respecting conflict-of-interest routing."""
    allowed_levels = LEVEL_ORDER[LEVEL_ORDER.index(min_level(complaint)) :]
    county = Division.objects.get(pk=complaint.county_id)
    return Division.objects.filter(path__startswith=county.path, level__in=allowed_levels)


def can_handle(user, complaint):
    """The staff handling it: a membership with the handler role at the handling division."""
    if user is None or not can(user, "complaint.handle", complaint):
        return False
    if user.is_superuser:
        return True
    return any(
        m.division_id == complaint.division_id and m.role == complaint.handler_role for m in memberships_of(user)
    )


def may_take(move, user, complaint):
    """Whether ``user`` (None: the filer) fits ``move``'s actor rule on ``complaint``."""
    if move.actor == MoveActor.FILER:
        return user is None
    if move.actor == MoveActor.HANDLER_OR_REVEALER and can(user, "complaint.reveal_identity", complaint):
        return True
    return can_handle(user, complaint)


def not_handler_message(move):
    if move.actor == MoveActor.FILER:
        return _("只有留言人可以评价。")
    return _("您不是这件留言的办理人。")


# ---------------------------------------------------------------- the same rule as SQL

_SQL_WORD = re.compile(r"[a-z_]+")


def sql_word(value):
    """A choice value as an SQL string literal; the values come from TextChoices, checked to be plain words."""
    value = str(value)
    if not _SQL_WORD.fullmatch(value):
        raise ValueError(f"not a plain choice value: {value!r}")
    return f"'{value}'"


def escalation_cases_sql(alias="c"):
    """``(top level literal, level CASE, role CASE)`` for one escalation step, from the level table.

    Mirrors ``level_above``: each level but the top moves to the next; the role there is
    ``CADRE_ROLE``'s when the complaint concerns cadres, else ``LEVEL_ROLE``'s.
    """
    level_whens, role_whens = [], []
    for below, above in zip(LEVEL_ORDER, LEVEL_ORDER[1:], strict=False):
        level_whens.append(f"WHEN {sql_word(below)} THEN {sql_word(above)}")
        cadre_role, plain_role = role_at(above, True), role_at(above, False)
        if cadre_role != plain_role:
            role_whens.append(
                f"WHEN {alias}.level = {sql_word(below)} AND {alias}.concerns_cadres THEN {sql_word(cadre_role)}"
            )
        role_whens.append(f"WHEN {alias}.level = {sql_word(below)} THEN {sql_word(plain_role)}")
    level_case = f"CASE {alias}.level {' '.join(level_whens)} END"
    role_case = f"CASE {' '.join(role_whens)} END"
    return sql_word(LEVEL_ORDER[-1]), level_case, role_case
