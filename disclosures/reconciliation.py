"""Reconciliation of a post-disbursement roster, as offices really publish (DESIGN §9).

A 低保 pre-disbursement notice lists only households newly approved or changed; the monthly payout
names everyone paid. So the payout for a period is compared with the previous period's payout plus
every pre roster published since (and the pre roster it is explicitly linked to).
People are matched by keyed hash, falling back to name and group.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from .diffs import entry_key
from .models import PUBLIC_STATUSES, Disclosure, Phase, RosterEntry


class Outcome(TextChoices):
    AS_ANNOUNCED = "as_announced", _("按公示发放")
    CONTINUING = "continuing", _("继续发放")
    AMOUNT_DIFFERS = "amount_differs", _("发放金额与公示不同")
    AMOUNT_CHANGED = "amount_changed", _("金额较上期变化但未公示")
    PAID_NOT_ANNOUNCED = "paid_not_announced", _("已发放但未公示")
    ANNOUNCED_NOT_PAID = "announced_not_paid", _("已公示但未发放")
    STOPPED = "stopped", _("上期发放、本期未发放")


ANOMALIES = {Outcome.AMOUNT_DIFFERS, Outcome.AMOUNT_CHANGED, Outcome.PAID_NOT_ANNOUNCED, Outcome.ANNOUNCED_NOT_PAID}


@dataclass
class Row:
    name: str
    group: str
    outcome: str
    announced: Decimal | None = None
    previous: Decimal | None = None
    paid: Decimal | None = None

    @property
    def outcome_label(self):
        return Outcome(self.outcome).label

    @property
    def is_anomaly(self):
        return self.outcome in ANOMALIES


@dataclass
class Total:
    outcome: str
    count: int = 0
    announced: Decimal = Decimal("0")
    paid: Decimal = Decimal("0")

    @property
    def label(self):
        return Outcome(self.outcome).label

    @property
    def is_anomaly(self):
        return self.outcome in ANOMALIES


@dataclass
class Reconciliation:
    post: Disclosure
    previous: Disclosure | None
    pres: list
    rows: list = field(default_factory=list)

    @property
    def totals(self):
        by = {o: Total(outcome=o) for o in Outcome.values}
        for row in self.rows:
            total = by[row.outcome]
            total.count += 1
            total.announced += row.announced or 0
            total.paid += row.paid or 0
        return [t for t in by.values() if t.count]

    @property
    def paid_total(self):
        return sum((r.paid or 0 for r in self.rows), Decimal("0"))

    @property
    def announced_total(self):
        return sum((r.announced or 0 for r in self.rows), Decimal("0"))

    @property
    def anomaly_count(self):
        return sum(1 for r in self.rows if r.is_anomaly)


def _counterparts(post, siblings):
    """The previous payout and the pre rosters ``post`` is compared with, chosen from its public siblings."""
    earlier = [d for d in siblings if d.phase == Phase.POST and d.period < post.period]
    previous = max(earlier, key=lambda d: d.period, default=None)
    pres = sorted(
        (
            d
            for d in siblings
            if d.pk == post.pre_disclosure_id
            or (d.phase == Phase.PRE and d.period <= post.period and (previous is None or d.period > previous.period))
        ),
        key=lambda d: (d.period, d.pk),
    )
    return previous, pres


def _public_siblings(posts):
    """Public disclosures (with a current revision) of the villages and categories of ``posts``, by pair."""
    by_pair = {}
    rows = Disclosure.objects.filter(
        division_id__in={p.division_id for p in posts},
        category_id__in={p.category_id for p in posts},
        status__in=PUBLIC_STATUSES,
    ).exclude(current_revision=None)
    for disclosure in rows:
        by_pair.setdefault((disclosure.division_id, disclosure.category_id), []).append(disclosure)
    return by_pair


def reconcile_many(posts):
    """Reconciliations of published post rosters, in the order given (two queries however many)."""
    posts = [p for p in posts if p.phase == Phase.POST and p.current_revision_id is not None]
    if not posts:
        return []
    by_pair = _public_siblings(posts)
    picked = [(post, *_counterparts(post, by_pair.get((post.division_id, post.category_id), []))) for post in posts]
    revision_ids = set()
    for post, previous, pres in picked:
        revision_ids.add(post.current_revision_id)
        revision_ids.update(p.current_revision_id for p in pres)
        if previous is not None:
            revision_ids.add(previous.current_revision_id)
    by_revision = {}
    # Ordered by position alone (within a revision the later line wins a key), not by the model's ordering,
    # which joins the revision and its disclosure to sort.
    entries = RosterEntry.objects.filter(revision_id__in=revision_ids).order_by("revision_id", "position", "id")
    for entry in entries.only("revision_id", "person_key", "name", "group", "amount", "position"):
        by_revision.setdefault(entry.revision_id, []).append(entry)
    return [_compare(post, previous, pres, by_revision) for post, previous, pres in picked]


def reconcile(post):
    """The reconciliation of a published post roster (two queries whatever its size), or None."""
    if post.phase != Phase.POST or post.current_revision_id is None:
        return None
    return reconcile_many([post])[0]


def _compare(post, previous, pres, by_revision):
    def keyed(revision_id):
        return {entry_key(e): e for e in by_revision.get(revision_id, [])}

    paid = keyed(post.current_revision_id)
    before = keyed(previous.current_revision_id) if previous else {}
    announced = {}
    for pre in pres:  # later notices override earlier ones
        announced.update(keyed(pre.current_revision_id))

    rows = []
    for key, entry in paid.items():
        last = before.get(key)
        previous_amount = last.amount if last is not None else None
        row = Row(name=entry.name, group=entry.group, outcome="", paid=entry.amount, previous=previous_amount)
        if key in announced:
            row.announced = announced[key].amount
            row.outcome = Outcome.AS_ANNOUNCED if row.announced == entry.amount else Outcome.AMOUNT_DIFFERS
        elif last is not None:
            row.outcome = Outcome.CONTINUING if row.previous == entry.amount else Outcome.AMOUNT_CHANGED
        else:
            row.outcome = Outcome.PAID_NOT_ANNOUNCED
        rows.append(row)
    for key, entry in announced.items():
        if key not in paid:
            rows.append(
                Row(name=entry.name, group=entry.group, outcome=Outcome.ANNOUNCED_NOT_PAID, announced=entry.amount)
            )
    for key, entry in before.items():
        if key not in paid and key not in announced:
            rows.append(Row(name=entry.name, group=entry.group, outcome=Outcome.STOPPED, previous=entry.amount))
    order = {o: i for i, o in enumerate(Outcome.values)}
    rows.sort(key=lambda r: (not r.is_anomaly, order[r.outcome], r.group, r.name))
    return Reconciliation(post=post, previous=previous, pres=pres, rows=rows)
