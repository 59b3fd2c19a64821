"""我的补贴: a resident finds themself on every published roster of the installation, by name and ID number.

The ID is normalised and turned into the keyed ``person_key`` (``sunshine.identity``) at once and never kept:
not stored, not logged, not in an audit event, not echoed back. The lookup reads the indexed
``RosterEntry.person_key`` and keeps the entries whose name matches too, so a wrong name and an unknown ID
give the same answer. Only the current revision of a public disclosure counts (a superseded version or a
taken-down roster does not), and only what the public roster page shows: the category's allow-listed fields.

Each (village, category, period) becomes one line with the announced (拟享受, pre) entry beside the paid
(发放, post) one and a plain flag. Offices announce only new and changed households (DESIGN §9), so a payment
without an announcement in the same period is "continuing" when the person was on an earlier roster of the
same village and category, and 未经公示直接发放 only when they were on none.

At most three queries whatever the number of entries: the person's entries by keyed hash (all that an unknown
ID or a wrong name costs), the public disclosures of the matching ones (with category, village and township),
and — only when an announcement has no payment beside it — which payout rosters exist.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, TextChoices
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from disclosures.models import PUBLIC_STATUSES, Disclosure, Phase, RosterEntry
from sunshine.audit.middleware import client_ip
from sunshine.ratelimit import count_hit, worst

DEFAULT_LIMITS = {
    # scope: (max lookups, window seconds). Generous per address (carrier NAT, the township kiosk's address is
    # exempt), stricter per browser session, and per person (whoever asks): nobody needs to look one ID up
    # more than a few times a day, and guessing IDs for a known name is what the limit is for.
    "address": (60, 3600),
    "session": (10, 3600),
    "person": (10, 86400),
}


class Flag(TextChoices):
    AS_ANNOUNCED = "as_announced", _("已按公示金额发放")
    AMOUNT_DIFFERS = "amount_differs", _("金额不一致")
    ANNOUNCED_NOT_PAID = "announced_not_paid", _("公示了但未发放")
    PAID_NOT_ANNOUNCED = "paid_not_announced", _("未经公示直接发放")
    CONTINUING = "continuing", _("继续发放（此前已在名单上）")
    AWAITING_PAYOUT = "awaiting_payout", _("已公示，发放结果尚未公开")
    PUBLISHED = "published", _("已公开")


ANOMALIES = {Flag.AMOUNT_DIFFERS, Flag.ANNOUNCED_NOT_PAID, Flag.PAID_NOT_ANNOUNCED}


@dataclass
class Side:
    """One roster entry as the public roster page shows it."""

    amount: Decimal | None  # None when the category does not publish amounts
    group: str
    url: str


@dataclass
class Line:
    category: str
    category_slug: str
    township: str
    village: str
    division_code: str
    period: str
    announced: Side | None = None
    paid: Side | None = None
    published: Side | None = None  # a roster without the two phases
    flag: str = ""
    sort_key: tuple = ()
    disclosures: list = field(default_factory=list, repr=False)  # the rosters this line was built from

    @property
    def flag_label(self):
        return Flag(self.flag).label

    @property
    def is_anomaly(self):
        return self.flag in ANOMALIES


_SPACES = re.compile(r"\s+")
_DOTS = str.maketrans({"・": "·", "•": "·", "‧": "·", ".": "·", "．": "·"})


def normalize_name(text):
    """Names compared as people type them: full-width folded (NFKC), spaces dropped, the middle dots of
    transliterated names made one."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(text or ""))).translate(_DOTS)


def limits():
    return {**DEFAULT_LIMITS, **settings.SELFQUERY_RATE_LIMITS}


def _limit_key(scope, ident):
    if scope == "person":
        # Not the person_key itself: a cache reader must not be able to join the counter to roster rows.
        ident = hashlib.sha256(f"selfquery-limit:{ident}".encode("ascii")).hexdigest()[:32]
    return f"selfquery:rl:{scope}:{ident}"


def refuse(request, key, *, session=True):
    """Count one lookup; a ``Refusal`` (else None) when the client or the person is over a limit.

    Kiosk addresses (``RATELIMIT_KIOSK_ADDRESSES``) count only per person: everyone at the township terminal
    shares its address and its browser."""
    checks = [("person", key)]
    if client_ip(request) not in settings.RATELIMIT_KIOSK_ADDRESSES:
        checks.append(("address", client_ip(request)))
        if session:
            if not request.session.session_key:
                # An empty session is never sent back as a cookie; this marker (nothing personal) makes the
                # browser keep it, so the next lookup counts against the same session.
                request.session["selfquery"] = True
                request.session.save()
            checks.append(("session", request.session.session_key))
    table = limits()
    return worst([count_hit(_limit_key(scope, ident), *table[scope]) for scope, ident in checks if ident])


def _entries(key, wanted):
    """The person's entries on current public revisions, each with ``.public_disclosure`` set.

    Two simple queries rather than one six-table join: PostgreSQL spent more time planning that join than
    running it (bench/bench_lookup.py). The first, on the indexed ``person_key``, is all an unknown ID or a
    wrong name costs; the second reads the disclosures (with category, village and township) of the matches."""
    rows = RosterEntry.objects.filter(person_key=key).order_by().only("revision_id", "name", "group", "amount")
    entries = [entry for entry in rows if normalize_name(entry.name) == wanted]
    if not entries:
        return []
    # Status is checked here, not in SQL: given both, SQLite's planner picked the status index and read every
    # published disclosure (40 ms over 20,000) instead of the few rows the current_revision index finds.
    disclosures = {
        d.current_revision_id: d
        for d in Disclosure.objects.filter(current_revision_id__in={e.revision_id for e in entries})
        .select_related("category", "division__parent")
        .order_by()
        .only(
            "status", "period", "phase", "pre_disclosure_id", "division_id", "category_id", "current_revision_id",
            "category__name", "category__slug", "category__sort_order", "category__public_fields",
            "division__code", "division__name", "division__path", "division__parent_id", "division__parent__name",
        )
        if d.status in PUBLIC_STATUSES
    }  # fmt: skip
    for entry in entries:
        entry.public_disclosure = disclosures.get(entry.revision_id)
    return [entry for entry in entries if entry.public_disclosure is not None]


def _side(entry):
    disclosure = entry.public_disclosure
    fields = disclosure.category.public_fields or ()
    url = reverse(
        "disclosures:detail",
        args=[disclosure.division.code, disclosure.category.slug, disclosure.period, disclosure.phase],
    )
    return Side(
        amount=entry.amount if "amount" in fields else None,
        group=entry.group if "group" in fields else "",
        url=url,
    )


def _line(disclosure):
    division, category = disclosure.division, disclosure.category
    return Line(
        category=category.name,
        category_slug=category.slug,
        township=division.parent.name if division.parent_id else "",
        village=division.name,
        division_code=division.code,
        period=disclosure.period,
        sort_key=(category.sort_order, category.slug, _descending(disclosure.period), division.path),
    )


def _descending(text):
    return tuple(-ord(c) for c in text)


def _payouts_published(unpaid_pres):
    """(division, category, period) slots and pre-disclosure ids that have a public payout roster."""
    if not unpaid_pres:
        return set(), set()
    rows = (
        Disclosure.objects.filter(phase=Phase.POST, status__in=PUBLIC_STATUSES, current_revision__isnull=False)
        .filter(
            Q(pre_disclosure_id__in=[d.pk for d in unpaid_pres])
            | Q(
                division_id__in={d.division_id for d in unpaid_pres},
                category_id__in={d.category_id for d in unpaid_pres},
                period__in={d.period for d in unpaid_pres},
            )
        )
        .values_list("division_id", "category_id", "period", "pre_disclosure_id")
    )
    slots, linked = set(), set()
    for division_id, category_id, period, pre_id in rows:
        slots.add((division_id, category_id, period))
        linked.add(pre_id)
    return slots, linked


def _slot(disclosure):
    return (disclosure.division_id, disclosure.category_id, disclosure.period)


def _pair(entries):
    """Lines keyed by the pre disclosure (or the slot); a payout joins the announcement it is linked to."""
    lines, pres_by_slot = {}, {}
    for entry in entries:
        disclosure = entry.public_disclosure
        if disclosure.phase == Phase.PRE:
            pres_by_slot[_slot(disclosure)] = disclosure.pk
    for entry in sorted(entries, key=lambda e: e.public_disclosure.phase != Phase.PRE):
        disclosure = entry.public_disclosure
        if disclosure.phase == Phase.POST:
            pre_id = disclosure.pre_disclosure_id if disclosure.pre_disclosure_id in lines else None
            key = pre_id or pres_by_slot.get(_slot(disclosure)) or ("post", disclosure.pk)
        else:
            key = disclosure.pk if disclosure.phase == Phase.PRE else ("single", disclosure.pk)
        line = lines.setdefault(key, _line(disclosure))
        line.disclosures.append(disclosure)
        side = {Phase.PRE: "announced", Phase.POST: "paid"}.get(disclosure.phase, "published")
        setattr(line, side, _side(entry))
    return list(lines.values())


def _flag_lines(lines):
    """Set each line's flag; one query, only when an announcement has no payment beside it."""
    unpaid = [d for line in lines if line.paid is None for d in line.disclosures if d.phase == Phase.PRE]
    slots, linked = _payouts_published(unpaid)
    earlier = {}  # (division, category) → the earliest period the person was on any of its rosters
    for line in lines:
        for d in line.disclosures:
            pair = (d.division_id, d.category_id)
            earlier[pair] = min(earlier.get(pair, d.period), d.period)
    for line in lines:
        first = line.disclosures[0]
        if line.published is not None:
            line.flag = Flag.PUBLISHED
        elif line.paid is None:
            paid_roster = _slot(first) in slots or first.pk in linked
            line.flag = Flag.ANNOUNCED_NOT_PAID if paid_roster else Flag.AWAITING_PAYOUT
        elif line.announced is None:
            before = earlier[(first.division_id, first.category_id)] < first.period
            line.flag = Flag.CONTINUING if before else Flag.PAID_NOT_ANNOUNCED
        elif line.announced.amount != line.paid.amount:
            line.flag = Flag.AMOUNT_DIFFERS
        else:
            line.flag = Flag.AS_ANNOUNCED


def lookup(*, name, key):
    """Every public roster line of the person with keyed hash ``key`` whose entries carry ``name``.

    An empty list both when nobody has this ID and when the name does not match: the two must not differ."""
    wanted = normalize_name(name)
    entries = _entries(key, wanted) if wanted and key else []
    lines = _pair(entries)
    _flag_lines(lines)
    return sorted(lines, key=lambda line: line.sort_key)
