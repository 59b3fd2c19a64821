"""A roster revision's anomaly leads, as its reviewers see them on the page where they approve it.

The same facts the inspectors' 异常线索 page lists for the whole county and the import's preview warns the
clerk about, here for one revision under review (submitted, not yet published): the person is a staff
member's registered relative or an active village cadre, is also on another village's roster of the same
category, period and phase, has an amount outside the category's range, or (for a payout) the payout does
not match what was announced or paid before.

Leads are computed when asked (the roster is frozen while it is reviewed, but relatives, cadres and other
villages' rosters are not); the reviewers' notes on them are ``LeadAcknowledgement`` rows, written by
``services.lead_acknowledge``. A lead is identified within its revision by ``key``: a hash of its kind and
the person's match key, so no ID number is stored beside the note. ``leads_for`` answers for many
revisions in a fixed number of queries (a list page's moves), ``revision_leads`` for one.
"""

import copy
import hashlib
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext as _

from villages.models import VillageCadre

from .diffs import entry_key
from .models import Kind, Phase, RevisionState, RosterEntry, Status
from .reconciliation import reconcile_many
from .selectors import REVIEWED_STATES, registered_relatives, same_slot_entries, staff_label, where

LEAD_KINDS = {
    "relative": "工作人员近亲属",
    "cadre": "村干部本人",
    "cross_village": "多村同期名单",
    "out_of_range": "金额超出范围",
    "reconciliation": "发放核对异常",
}
ENTRY_FIELDS = ("id", "revision_id", "person_key", "name", "group", "amount", "id_masked", "position")


@dataclass(frozen=True)
class Lead:
    kind: str
    key: str
    subject: str  # name and masked ID (or group): who the lead is about, as the reviewer sees it
    text: str  # what was found

    @property
    def kind_label(self):
        return _(LEAD_KINDS[self.kind])


def _key(kind, match):
    return hashlib.sha256(f"{kind}|{match}".encode()).hexdigest()[:32]


def _subject(entry):
    return f"{entry.name}（{entry.id_masked}）" if entry.id_masked else f"{entry.name}（{entry.group or '—'}）"


def _entry_lead(kind, entry, text):
    return Lead(kind, _key(kind, entry_key(entry)), _subject(entry), text)


def _entries(revisions):
    return (
        RosterEntry.objects.filter(revision_id__in=[r.pk for r in revisions])
        .only(*ENTRY_FIELDS)
        .order_by("revision_id", "position", "id")
    )


def _related(revisions, found):
    """Relatives of staff and village cadres. Three queries (one when nobody matches)."""
    cadres = VillageCadre.objects.filter(is_active=True).exclude(person_key="")
    relatives = registered_relatives()
    entries = list(
        _entries(revisions).filter(
            Q(person_key__in=relatives.values("person_key")) | Q(person_key__in=cadres.values("person_key"))
        )
    )
    if not entries:
        return
    keys = {e.person_key for e in entries}
    by_key = {}
    for relative in relatives.filter(person_key__in=keys).order_by("pk"):
        text = _("工作人员 %(staff)s 登记的近亲属（%(relation)s）") % {
            "staff": staff_label(relative.user),
            "relation": relative.relation,
        }
        by_key.setdefault(relative.person_key, []).append(("relative", text))
    for cadre in cadres.filter(person_key__in=keys).select_related("division__parent").order_by("pk"):
        text = _("%(place)s 村干部 %(name)s（%(position)s）本人") % {
            "place": where(cadre.division),
            "name": cadre.name,
            "position": cadre.position,
        }
        by_key.setdefault(cadre.person_key, []).append(("cadre", text))
    for entry in entries:
        for kind, text in by_key.get(entry.person_key, []):
            found[entry.revision_id].append(_entry_lead(kind, entry, text))


def _cross_village(revisions, found):
    """The person is on a submitted (or later) roster of the same slot in another village. Two queries."""
    disclosure = "revision__disclosure__"
    elsewhere = (
        same_slot_entries(
            OuterRef(f"{disclosure}category_id"), OuterRef(f"{disclosure}period"), OuterRef(f"{disclosure}phase")
        )
        .filter(person_key=OuterRef("person_key"), revision__state__in=REVIEWED_STATES)
        .exclude(revision__disclosure__status=Status.TAKEN_DOWN)
        .exclude(revision__disclosure__division_id=OuterRef(f"{disclosure}division_id"))
    )
    entries = list(_entries(revisions).exclude(person_key="").filter(Exists(elsewhere)))
    if not entries:
        return
    by_revision = {r.pk: r for r in revisions}
    places = {}
    others = RosterEntry.objects.filter(
        revision__disclosure__category_id__in={r.disclosure.category_id for r in revisions},
        revision__disclosure__period__in={r.disclosure.period for r in revisions},
    )
    rows = (
        others.filter(person_key__in={e.person_key for e in entries}, revision__state__in=REVIEWED_STATES)
        .values_list(
            "person_key", f"{disclosure}category_id", f"{disclosure}period", f"{disclosure}phase",
            f"{disclosure}division_id", f"{disclosure}division__name", f"{disclosure}division__parent__name",
        )
        .order_by()
        .distinct()
    )  # fmt: skip
    for key, category_id, period, phase, division_id, name, parent in rows:
        places.setdefault((key, category_id, period, phase), {})[division_id] = f"{parent or ''} {name}".strip()
    for entry in entries:
        d = by_revision[entry.revision_id].disclosure
        names = sorted(
            name
            for division_id, name in places.get((entry.person_key, d.category_id, d.period, d.phase), {}).items()
            if division_id != d.division_id
        )
        text = _("也在 %(places)s 同类别同期的名单上") % {"places": "、".join(names)}
        found[entry.revision_id].append(_entry_lead("cross_village", entry, text))


def _out_of_range(revisions, found):
    """Amounts outside the category's configured range. One query."""
    category = "revision__disclosure__category__"
    entries = (
        _entries(revisions)
        .filter(amount__isnull=False)
        .filter(Q(amount__lt=F(f"{category}amount_min")) | Q(amount__gt=F(f"{category}amount_max")))
    )
    by_revision = {r.pk: r for r in revisions}
    for entry in entries:
        c = by_revision[entry.revision_id].disclosure.category
        low = c.amount_min if c.amount_min is not None else 0
        high = c.amount_max if c.amount_max is not None else _("不限")
        text = _("金额 %(amount)s 元超出类别范围 %(low)s–%(high)s 元") % {
            "amount": entry.amount,
            "low": low,
            "high": high,
        }
        found[entry.revision_id].append(_entry_lead("out_of_range", entry, text))


def _reconciliation(revisions, found):
    """A payout under review compared with the notices and the previous payout, as the public page will once it
    is published. Two queries, none without a payout among ``revisions``."""
    posts = []
    for revision in revisions:
        if revision.disclosure.phase != Phase.POST:
            continue
        post = copy.copy(revision.disclosure)  # the payout as it will be: this revision current
        post.current_revision_id = revision.pk
        posts.append(post)
    for result in reconcile_many(posts):
        if result.previous is None and not result.pres:
            continue  # the first payout in the system has nothing to be compared with
        for row in result.rows:
            if row.is_anomaly:
                text = _("%(outcome)s（公示 %(announced)s，上期 %(previous)s，本期 %(paid)s）") % {
                    "outcome": row.outcome_label,
                    "announced": row.announced if row.announced is not None else "—",
                    "previous": row.previous if row.previous is not None else "—",
                    "paid": row.paid if row.paid is not None else "—",
                }
                key = _key("reconciliation", f"{row.outcome}|{row.name}|{row.group}")
                subject = f"{row.name}（{row.group or '—'}）"
                found[result.post.current_revision_id].append(Lead("reconciliation", key, subject, text))


def leads_for(revisions):
    """``{revision id: [Lead]}`` for roster revisions (with ``disclosure__category`` at hand); others have none."""
    rosters = [r for r in revisions if r.disclosure.category.kind == Kind.ROSTER]
    found = {r.pk: [] for r in revisions}
    if rosters:
        for step in (_related, _cross_village, _out_of_range, _reconciliation):
            step(rosters, found)
    return found


def revision_leads(revision):
    """The leads of one revision, in a stable order (kind, then person)."""
    if revision.state == RevisionState.SUPERSEDED:
        return []
    return leads_for([revision])[revision.pk]
