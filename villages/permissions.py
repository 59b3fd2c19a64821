"""Who may do what, and where: the one role → permission table.

A permission is granted by a ``Membership`` whose role lists it, and applies to
that membership's division and everything below it. ``can`` answers for one
object; ``villages.selectors.scope_for`` filters a queryset the same way.
"""

from .models import Division, Role

R = Role

PERMISSIONS = {
    # jurisdictions and staff
    "division.view": {R.VILLAGE_CLERK, R.TOWNSHIP_REVIEWER, R.TOWNSHIP_DISCIPLINE, R.COUNTY_INSPECTOR, R.COUNTY_ADMIN},
    "division.change": {R.COUNTY_ADMIN},
    "membership.view": {R.TOWNSHIP_REVIEWER, R.TOWNSHIP_DISCIPLINE, R.COUNTY_INSPECTOR, R.COUNTY_ADMIN},
    "membership.change": {R.COUNTY_ADMIN},
    "cadre.view": {R.TOWNSHIP_REVIEWER, R.TOWNSHIP_DISCIPLINE, R.COUNTY_INSPECTOR, R.COUNTY_ADMIN},
    "cadre.change": {R.TOWNSHIP_REVIEWER, R.TOWNSHIP_DISCIPLINE, R.COUNTY_ADMIN},
    "relative.change": {R.COUNTY_ADMIN},
    "calendar.change": {R.COUNTY_ADMIN},
    "audit.view": {R.TOWNSHIP_DISCIPLINE, R.COUNTY_INSPECTOR, R.COUNTY_ADMIN},
    "login_lock.reset": {R.COUNTY_ADMIN},  # see and lift django-axes login locks (villages.auth_admin)
    "two_factor.reset": {R.COUNTY_ADMIN},  # see and delete (reset) staff TOTP devices (villages.totp_admin)
    "tasks.view": {R.COUNTY_INSPECTOR, R.COUNTY_ADMIN},  # 后台任务: the background task list (portal.tasks_admin)
    # disclosures
    "category.change": {R.COUNTY_ADMIN},
    "disclosure.view": {
        R.VILLAGE_CLERK,
        R.TOWNSHIP_REVIEWER,
        R.TOWNSHIP_DISCIPLINE,
        R.COUNTY_INSPECTOR,
        R.COUNTY_ADMIN,
    },
    "disclosure.edit": {R.VILLAGE_CLERK, R.TOWNSHIP_REVIEWER},
    "disclosure.submit": {R.VILLAGE_CLERK, R.TOWNSHIP_REVIEWER},
    "disclosure.approve_township": {R.TOWNSHIP_REVIEWER},
    "disclosure.approve_discipline": {R.TOWNSHIP_DISCIPLINE},
    "disclosure.return": {R.TOWNSHIP_REVIEWER, R.TOWNSHIP_DISCIPLINE},
    "disclosure.publish": {R.TOWNSHIP_REVIEWER, R.TOWNSHIP_DISCIPLINE},
    "disclosure.archive": {R.TOWNSHIP_REVIEWER, R.COUNTY_ADMIN},
    "disclosure.take_down": {R.COUNTY_INSPECTOR, R.COUNTY_ADMIN},
    "roster.import": {R.VILLAGE_CLERK, R.TOWNSHIP_REVIEWER},
    # anomaly leads and per-township figures (never village clerks: they name other villages and staff)
    "disclosure.anomalies": {R.TOWNSHIP_REVIEWER, R.TOWNSHIP_DISCIPLINE, R.COUNTY_INSPECTOR, R.COUNTY_ADMIN},
    # complaints
    "complaint.view": {R.VILLAGE_CLERK, R.TOWNSHIP_REVIEWER, R.TOWNSHIP_DISCIPLINE, R.COUNTY_INSPECTOR, R.COUNTY_ADMIN},
    "complaint.handle": {R.VILLAGE_CLERK, R.TOWNSHIP_REVIEWER, R.TOWNSHIP_DISCIPLINE, R.COUNTY_INSPECTOR},
    "complaint.intake": {R.VILLAGE_CLERK, R.TOWNSHIP_REVIEWER, R.TOWNSHIP_DISCIPLINE, R.COUNTY_INSPECTOR},
    "complaint.reveal_identity": {R.COUNTY_INSPECTOR},
    "complaint_category.change": {R.COUNTY_ADMIN},
    "open311_key.change": {R.COUNTY_ADMIN},
}


def roles_with(perm):
    try:
        return PERMISSIONS[perm]
    except KeyError:
        raise KeyError(f"unknown permission {perm!r}; add it to villages.permissions.PERMISSIONS") from None


def memberships_of(user):
    """The user's memberships with their divisions, fetched once per user object."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_membership_cache", None)
    if cached is None:
        cached = list(user.memberships.select_related("division"))
        user._membership_cache = cached
    return cached


def divisions_with(user, perm):
    """The divisions where ``user`` holds ``perm`` (each covering its subtree)."""
    allowed = roles_with(perm)
    return [m.division for m in memberships_of(user) if m.role in allowed]


def jurisdiction_of(obj):
    """The division an object belongs to, for permission checks."""
    if isinstance(obj, Division):
        return obj
    getter = getattr(obj, "jurisdiction", None)
    if getter is not None:
        return getter() if callable(getter) else getter
    return obj.division


def can(user, perm, obj=None):
    """May ``user`` do ``perm`` (on ``obj``, i.e. inside its division's subtree)?"""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        roles_with(perm)
        return True
    divisions = divisions_with(user, perm)
    if obj is None:
        return bool(divisions)
    target = jurisdiction_of(obj)
    if target is None:
        return False
    return any(target.path.startswith(d.path) for d in divisions)


def has_role(user, *roles):
    return any(m.role in roles for m in memberships_of(user))
