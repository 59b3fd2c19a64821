"""Disclosures, revisions, roster entries and ledgers of the simulated villages, in bulk.

One batch of villages at a time: disclosures and revisions through ``bulk_create`` (their ids are needed),
entries with the importer's own bulk statement (``disclosures.entry_writers``: COPY on PostgreSQL,
``executemany`` elsewhere), ledger lines through ``bulk_create``. Statuses follow the age of the period:
long past ones are confirmed (a few archived, a few corrected once), last month's are published, and the
current month's are anywhere in the review chain.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from disclosures.entry_writers import _Statement, _write_chunk
from disclosures.models import (
    Category,
    Disclosure,
    LedgerLine,
    Phase,
    Revision,
    RevisionState,
    Status,
)

from .rosters import ROSTER_PLANS, Roster, village_rosters

ENTRY_CHUNK = 20000
LEDGER_MONTHS, LEDGER_LINES = 6, 20
LEDGER_SUMMARIES = ("村部水电费", "保洁员工资", "村道维修", "办公用品", "慰问困难户", "会议误工补贴")
CURRENT_MONTH_STATES = (  # (share up to, status) for rosters of the current month
    (0.35, Status.DRAFT),
    (0.50, Status.SUBMITTED),
    (0.60, Status.TOWNSHIP_APPROVED),
    (0.65, Status.DISCIPLINE_APPROVED),
    (0.70, Status.RETURNED),
    (1.00, Status.PUBLISHED),
)
PUBLIC = (Status.PUBLISHED, Status.CONFIRMED, Status.ARCHIVED)
CHAIN = {  # the events a disclosure went through to reach its status, and who made each
    Status.DRAFT: (),
    Status.SUBMITTED: (("disclosure.submitted", "clerk"),),
    Status.RETURNED: (("disclosure.submitted", "clerk"), ("disclosure.returned", "reviewer")),
    Status.TOWNSHIP_APPROVED: (("disclosure.submitted", "clerk"), ("disclosure.township_approved", "reviewer")),
}
CHAIN[Status.DISCIPLINE_APPROVED] = (*CHAIN[Status.TOWNSHIP_APPROVED], ("disclosure.discipline_approved", "discipline"))
CHAIN[Status.PUBLISHED] = (*CHAIN[Status.DISCIPLINE_APPROVED], ("disclosure.published", "discipline"))
CHAIN[Status.CONFIRMED] = (*CHAIN[Status.PUBLISHED], ("disclosure.confirmed", None))
CHAIN[Status.ARCHIVED] = (*CHAIN[Status.CONFIRMED], ("disclosure.archived", "reviewer"))


@dataclass
class Planned:
    """One disclosure to write, with what its revisions and entries need."""

    village: object
    category: Category
    roster: Roster
    status: str
    at: dt.datetime
    corrected: bool = False
    big: bool = False  # the bench's big roster: people from a pool of their own
    disclosure: Disclosure = None
    revisions: list = field(default_factory=list)


@dataclass
class Totals:
    disclosures: int = 0
    revisions: int = 0
    entries: int = 0
    ledger_lines: int = 0


def _checksum(*parts):
    """A stand-in for ``public_text.revision_checksum`` (64 hex digits, one per revision): the data set is for load."""
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


def _status(rng, roster, calendar):
    age = calendar.last - roster.month_index
    if len(roster.period) == 4:  # yearly: the current year's lists are out, older ones confirmed
        return Status.PUBLISHED if roster.period == calendar.current_year() else Status.CONFIRMED
    if age == 0:
        draw = rng.random()
        return next(status for share, status in CURRENT_MONTH_STATES if draw <= share)
    if age == 1:
        return Status.PUBLISHED
    return Status.ARCHIVED if roster.month_index < 3 and rng.random() < 0.3 else Status.CONFIRMED


class DisclosureWriter:
    def __init__(self, *, rng, calendar, log, pool, big_roster):
        self.rng, self.calendar, self.log, self.pool, self.big_roster = rng, calendar, log, pool, big_roster
        self.categories = {c.slug: c for c in Category.objects.filter(slug__in=[*ROSTER_PLANS, "caiwu"])}
        self.statement = _Statement()
        self.totals = Totals()
        self.skip_last_month = set()  # villages whose last full month of 低保 was never published (overdue)

    def plan_village(self, village):
        scale = 0.6 + self.rng.random() * 0.8
        planned = []
        for slug, rosters in village_rosters(self.rng, self.calendar, self.pool, scale).items():
            for roster in rosters:
                if (
                    slug == "dibao"
                    and roster.month_index == self.calendar.last - 1
                    and village.index in self.skip_last_month
                ):
                    continue
                status = _status(self.rng, roster, self.calendar)
                at = self.calendar.month_start(roster.month_index) + dt.timedelta(days=self.rng.randrange(1, 6))
                corrected = status == Status.CONFIRMED and self.rng.random() < 0.01
                planned.append(Planned(village, self.categories[slug], roster, status, at, corrected))
        for m, period in self.calendar.months[-LEDGER_MONTHS:]:
            status = _status(self.rng, Roster(period, Phase.SINGLE, [], m), self.calendar)
            at = self.calendar.month_start(m) + dt.timedelta(days=self.rng.randrange(1, 6))
            planned.append(Planned(village, self.categories["caiwu"], Roster(period, Phase.SINGLE, [], m), status, at))
        if village.index == 0 and self.big_roster:
            planned.append(self._big_draft(village))
        return planned

    def _big_draft(self, village):
        """The bench's big roster: next year's 其他惠农补贴 notice, a draft of ``big_roster`` rows."""
        amounts, people = ROSTER_PLANS["huinong"][3], []
        for n in range(self.big_roster):
            people.append((n, Decimal(self.rng.randrange(amounts[0], amounts[1])), ""))
        year = str(int(self.calendar.current_year()) + 1)
        roster = Roster(year, Phase.PRE, people, self.calendar.last)
        at = self.calendar.month_start(self.calendar.last)
        return Planned(village, self.categories["huinong"], roster, Status.DRAFT, at, big=True)

    def write(self, planned, residents, big_residents):
        """Write one batch of planned disclosures with their revisions, entries, ledgers and events."""
        disclosures = Disclosure.objects.bulk_create([self._disclosure(p) for p in planned], batch_size=2000)
        for p, disclosure in zip(planned, disclosures, strict=True):
            p.disclosure = disclosure
            p.revisions = self._revisions(p)
        Revision.objects.bulk_create([r for p in planned for r in p.revisions], batch_size=2000)
        published = [p for p in planned if p.status in PUBLIC]
        for p in published:
            p.disclosure.current_revision = p.revisions[-1]
        Disclosure.objects.bulk_update([p.disclosure for p in published], ["current_revision"], batch_size=2000)
        self._entries(planned, residents, big_residents)
        self._ledgers([p for p in planned if p.category.slug == "caiwu"])
        for p in planned:
            self._events(p)
        self.totals.disclosures += len(planned)
        self.totals.revisions += sum(len(p.revisions) for p in planned)

    def _disclosure(self, p):
        public = p.status in PUBLIC
        published_at = p.at + dt.timedelta(days=4) if public else None
        days = p.category.objection_days
        return Disclosure(
            division=p.village.division,
            category=p.category,
            period=p.roster.period,
            phase=p.roster.phase,
            status=p.status,
            objection_ends_at=published_at + dt.timedelta(days=days) if public and days else None,
            first_published_at=published_at,
            confirmed_at=published_at + dt.timedelta(days=days) if p.status != Status.PUBLISHED and public else None,
            created_by_id=p.village.clerk_id,
            created_at=p.at,
            updated_at=published_at or p.at,
        )

    def _revisions(self, p):
        count = len(p.roster.people)
        total = sum((amount for _n, amount, _cls in p.roster.people), Decimal("0"))
        public = p.status in PUBLIC
        states = (
            [RevisionState.SUPERSEDED, RevisionState.PUBLISHED]
            if p.corrected
            else [RevisionState.PUBLISHED if public else RevisionState(p.status)]
        )
        revisions = []
        for number, state in enumerate(states, start=1):
            at = p.at + dt.timedelta(days=4 + 10 * (number - 1))
            closed = state in (RevisionState.PUBLISHED, RevisionState.SUPERSEDED)
            revisions.append(Revision(
                disclosure=p.disclosure, number=number, state=state, reason="更正个别户的金额" if number > 1 else "",
                created_by_id=p.village.clerk_id, created_at=p.at, submitted_at=at if state != "draft" else None,
                published_at=at if closed else None,
                checksum=_checksum(p.disclosure.pk, number, count, total) if closed else "",
                entry_count=count, amount_total=total, version=1,
            ))  # fmt: skip
        return revisions

    def _entries(self, planned, residents, big_residents):
        defaults, params = self.statement.defaults, []
        with connection.cursor() as cursor:
            for p in planned:
                people = big_residents if p.big else residents[p.village.index]
                stores_full = p.category.stores_full_id
                for revision in p.revisions:
                    for position, (n, amount, cls) in enumerate(p.roster.people, start=1):
                        person = people.person(n)
                        group = p.village.groups[n % len(p.village.groups)]
                        computed = (revision.pk, position, people.key_id, person.masked,
                                    people.encrypted_id(n) if stores_full else "", "")  # fmt: skip
                        own = (person.key, person.name, group, 1 + n % 5, amount, cls, "", position + 3)
                        params.append(computed + own + defaults)
                    if len(params) >= ENTRY_CHUNK:
                        self._flush(cursor, params)
                        params = []
            self._flush(cursor, params)

    def _flush(self, cursor, params):
        if params:
            _write_chunk(cursor, self.statement, params)
            self.totals.entries += len(params)

    def _events(self, p):
        village, disclosure, log = p.village, p.disclosure, self.log
        label, division_id = str(disclosure), village.division.pk
        actors = {"clerk": village.clerk, "reviewer": village.reviewer, "discipline": village.discipline, None: None}
        log.add(p.at, "disclosure.created", Disclosure, disclosure.pk, label, division_id, village.clerk)
        filled = "revision.ledger_replaced" if p.category.slug == "caiwu" else "revision.entries_replaced"
        log.add(
            p.at + dt.timedelta(hours=1),
            filled,
            Revision,
            p.revisions[0].pk,
            label,
            division_id,
            village.clerk,
            data={"count": p.revisions[0].entry_count},
        )
        for step, (action, who) in enumerate(CHAIN[p.status], start=1):
            at = p.at + dt.timedelta(days=step, hours=self.rng.randrange(8))
            log.add(at, action, Disclosure, disclosure.pk, label, division_id, actors[who])

    def _ledgers(self, planned):
        """Twenty lines of village accounts per month: income from the county, expenses, a running balance."""
        lines = []
        for p in planned:
            for revision in p.revisions:
                balance = Decimal(self.rng.randrange(20000, 90000))
                for position in range(1, LEDGER_LINES + 1):
                    income = Decimal(self.rng.choice((0, 0, 0, 1500, 8000)))
                    expense = Decimal(0 if income else self.rng.randrange(50, 3000))
                    balance += income - expense
                    lines.append(LedgerLine(
                        revision=revision, position=position, date=p.at.date() + dt.timedelta(days=position % 20),
                        voucher_no=f"{p.roster.period[2:].replace('-', '')}{position:03d}",
                        summary="县财政转移支付" if income else self.rng.choice(LEDGER_SUMMARIES),
                        income=income, expense=expense, balance=balance,
                    ))  # fmt: skip
        LedgerLine.objects.bulk_create(lines, batch_size=2000)
        self.totals.ledger_lines += len(lines)
