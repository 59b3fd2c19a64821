"""Who may see a complaint's private parts: its photos and the filer's contact details.

The handler (the membership with the complaint's handler role at its handling division, see
``routing.can_handle``) sees them. A county inspector sees them only after the logged reveal
(``complaint.identity_revealed``, with a reason), which also covers the photos: the reveal is
remembered in the inspector's session, so the photo URLs the reveal page shows answer for that
session only (a staff session ends after a working day, see ``STAFF_SESSION_HOURS``). Everyone else
who may see the complaint (supervisors above, county admins) sees its text and state only.
"""

from villages.permissions import can

from .routing import can_handle

REVEALED_SESSION_KEY = "complaints_revealed"


def may_reveal(user, complaint):
    return can(user, "complaint.reveal_identity", complaint)


def revealed_in_session(request, complaint):
    """Whether this session's user revealed ``complaint`` (through the logged reveal) earlier in the session."""
    return complaint.pk in request.session.get(REVEALED_SESSION_KEY, [])


def may_see_private(request, complaint):
    """Photos and contact: the handler, or an inspector who revealed it in this session."""
    user = request.user
    if can_handle(user, complaint):
        return True
    return may_reveal(user, complaint) and revealed_in_session(request, complaint)


def remember_reveal(request, complaint):
    """Called after the logged reveal: the photos of ``complaint`` answer for the rest of this session."""
    revealed = [pk for pk in request.session.get(REVEALED_SESSION_KEY, []) if pk != complaint.pk]
    request.session[REVEALED_SESSION_KEY] = [*revealed[-49:], complaint.pk]
