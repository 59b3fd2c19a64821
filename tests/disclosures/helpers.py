"""Shared fixtures and story steps for the disclosure tests (import them into a test module)."""

import datetime as dt
from decimal import Decimal

from disclosures import services as s
from disclosures.models import LedgerLine, RosterEntry
from sunshine.identity import encrypt, mask_id, person_key

# Valid GB 11643 numbers (checksums correct), used as seeded secrets.
IDS = [
    "110101199003070011",
    "110101199003074190",
    "11010119900307803X",
    "110101199003071735",
    "110101199003076473",
]


def entry(name, amount, *, id_number=None, group="一组", household_size=1, assistance_class="A", remark="", bank=""):
    return RosterEntry(
        name=name,
        group=group,
        household_size=household_size,
        amount=Decimal(str(amount)) if amount is not None else None,
        assistance_class=assistance_class,
        id_masked=mask_id(id_number) if id_number else "",
        person_key=person_key(id_number) if id_number else "",
        id_encrypted=encrypt(id_number) if id_number else "",
        bank_account_encrypted=encrypt(bank) if bank else "",
        remark=remark,
    )


def draft_roster(actor, division, category, period="2026-10", phase="pre", rows=None, pre=None):
    revision = s.disclosure_open_draft(
        actor=actor, division=division, category=category, period=period, phase=phase, pre_disclosure=pre
    )
    s.revision_replace_entries(actor=actor, revision=revision, entries=rows or [entry("张三", 500, id_number=IDS[0])])
    return revision.disclosure


def draft_ledger(actor, division, category, period="2026-10", lines=None):
    revision = s.disclosure_open_draft(actor=actor, division=division, category=category, period=period)
    lines = lines or [
        LedgerLine(date=dt.date(2026, 10, 3), voucher_no="记-01", summary="村民集资", income=Decimal("81500")),
        LedgerLine(date=dt.date(2026, 10, 9), voucher_no="记-02", summary="购买水泥", expense=Decimal("6833")),
    ]
    s.revision_replace_ledger(actor=actor, revision=revision, lines=lines)
    return revision.disclosure


def acknowledge_leads(disclosure, actor, note="已核实"):
    """Acknowledge every open anomaly lead of the approval waiting on ``disclosure`` (as a reviewer would, one by
    one, before approving): stories about publishing a roster that has leads pass through this step."""
    revision = s.working_revision(disclosure)
    revision.disclosure = disclosure
    move = s.pending_review_move(revision)
    for lead in s.open_leads(revision, move) if move else []:
        s.lead_acknowledge(actor=actor, revision=revision, lead_key=lead.key, note=note)


def approve_and_publish(disclosure, reviewer, discipline=None):
    s.disclosure_submit(disclosure=disclosure, actor=reviewer) if _needs_submit(disclosure) else None
    acknowledge_leads(disclosure, reviewer)
    s.disclosure_approve_township(disclosure=disclosure, actor=reviewer)
    if disclosure.category.review_chain == "reviewer_discipline":
        acknowledge_leads(disclosure, discipline)
        s.disclosure_approve_discipline(disclosure=disclosure, actor=discipline)
        s.disclosure_publish(disclosure=disclosure, actor=discipline)
    else:
        s.disclosure_publish(disclosure=disclosure, actor=reviewer)
    disclosure.refresh_from_db()
    return disclosure


def _needs_submit(disclosure):
    revision = s.working_revision(disclosure)
    return revision is not None and revision.state in ("draft", "returned")


def published_roster(clerk, reviewer, discipline, division, category, **kw):
    disclosure = draft_roster(clerk, division, category, **kw)
    s.disclosure_submit(disclosure=disclosure, actor=clerk)
    return approve_and_publish(disclosure, reviewer, discipline)
