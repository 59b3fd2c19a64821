"""Who may see a complaint's private parts: its photos and the filer's contact details.

The filer's name, phone and e-mail are shown to nobody without the logged reveal (``complaint.identity_revealed``,
with a reason), at every level: the handler (the membership with the complaint's handler role at its handling
division, see ``routing.can_handle``) and the county's inspectors may make it, so an inspector handling a complaint
escalated to the county reveals it like any other. Photos and the reported location stay visible to the handler
(they are what the handler works from); a county inspector sees them only after the reveal, which is
remembered in the inspector's session, so the photo URLs the reveal page shows answer for that
session only (a staff session ends after a working day, see ``STAFF_SESSION_HOURS``). Everyone else
who may see the complaint (supervisors above, county admins) sees its text and state only.
"""

from villages.permissions import can

from .routing import can_handle

REVEALED_SESSION_KEY = "complaints_revealed"


def may_reveal(user, complaint):
    """Who may make the logged reveal: the county's inspectors and whoever handles the complaint now."""
    return can(user, "complaint.reveal_identity", complaint) or can_handle(user, complaint)


def revealed_in_session(request, complaint):
    """Whether this session's user revealed ``complaint`` (through the logged reveal) earlier in the session."""
    return complaint.pk in request.session.get(REVEALED_SESSION_KEY, [])


def may_see_private(request, complaint):
    """Photos and contact: the handler, or an inspector who revealed it in this session."""
    user = request.user
    if can_handle(user, complaint):
        return True
    return can(user, "complaint.reveal_identity", complaint) and revealed_in_session(request, complaint)


def remember_reveal(request, complaint):
    """Called after the logged reveal: the photos of ``complaint`` answer for the rest of this session."""
    revealed = [pk for pk in request.session.get(REVEALED_SESSION_KEY, []) if pk != complaint.pk]
    request.session[REVEALED_SESSION_KEY] = [*revealed[-49:], complaint.pk]
