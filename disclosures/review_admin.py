"""The reviewers' side of the disclosure page: a roster's anomaly leads beside the approval buttons.

Shown to whoever may see anomaly leads (``disclosure.anomalies``: never village clerks, the leads name staff
and other villages) while a revision is under review. The reviewer or discipline officer whose approval is
waiting acknowledges each lead with a note (``services.lead_acknowledge``); until then ``transition`` refuses
the approval and ``available_moves`` does not offer it, and this panel says why.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sunshine.times import local_minute
from villages.permissions import can
from villages.selectors import scope_for

from . import selectors, services
from .leads import revision_leads
from .models import CLOSED_REVISION_STATES, EDITABLE_REVISION_STATES, MOVES, Disclosure, LeadAcknowledgement


def leads_panel(request, disclosure, revision):
    """The panel's context for ``disclosure``'s working ``revision`` under review, or None when there is nothing to
    show. Leads already computed for the page's buttons (``services.open_leads``) are reused."""
    if not can(request.user, selectors.ANOMALY_PERM, disclosure.division):
        return None
    if revision is None or revision.state in EDITABLE_REVISION_STATES or revision.state in CLOSED_REVISION_STATES:
        return None
    revision.disclosure = disclosure
    leads = getattr(revision, "_leads", None)
    if leads is None:
        leads = revision._leads = revision_leads(revision)
    acks = list(LeadAcknowledgement.objects.filter(revision=revision).select_related("acknowledged_by"))
    move = services.pending_review_move(revision)
    may_acknowledge = move is not None and can(request.user, move.perm, disclosure.division)
    rows = []
    for lead in leads:
        notes = [
            {
                "step": MOVES[a.move].label,
                "note": a.note,
                "who": a.acknowledged_by,
                "at": local_minute(a.acknowledged_at),
            }
            for a in acks
            if a.lead_key == lead.key
        ]
        done = move is not None and any(a.lead_key == lead.key and a.move == move.name for a in acks)
        rows.append({"lead": lead, "notes": notes, "open": move is not None and not done})
    open_count = sum(1 for row in rows if row["open"])
    return {
        "revision": revision,
        "rows": rows,
        "move": move,
        "open_count": open_count,
        "may_acknowledge": may_acknowledge,
        "action": reverse("admin:disclosures_disclosure_acknowledge_lead", args=[disclosure.pk]),
        "next": request.get_full_path(),
    }


@require_POST
def acknowledge_lead_view(request, pk):
    """POST ``lead``, ``note``: acknowledge one lead, then back to the disclosure page (its filters kept)."""
    disclosure = scope_for(Disclosure.objects.select_related("division", "category"), request.user, "disclosure.view")
    disclosure = disclosure.filter(pk=pk).first()
    if disclosure is None:
        raise Http404
    revision = services.working_revision(disclosure)
    if revision is None:
        raise Http404
    revision.disclosure = disclosure
    try:
        services.lead_acknowledge(
            actor=request.user,
            revision=revision,
            lead_key=request.POST.get("lead", ""),
            note=request.POST.get("note", ""),
        )
    except (ValidationError, PermissionDenied) as exc:
        text = "；".join(exc.messages) if isinstance(exc, ValidationError) else (str(exc) or _("没有权限"))
        messages.error(request, text)
    else:
        messages.success(request, _("已记录核实说明。"))
    target = request.POST.get("next", "")
    change_url = reverse("admin:disclosures_disclosure_change", args=[disclosure.pk])
    return redirect(target if target.startswith(change_url) else change_url)
