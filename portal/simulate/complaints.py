"""Complaints of the simulated county, in every state and at every level, some overdue, in bulk.

Ages are spread over the months of the data set; older complaints are mostly closed, recent ones still
open. Identity is encrypted as intake stores it (a small set of encrypted names and phones is reused: the
data set is for load, not for people). Every state × level is present however few complaints are asked for.
"""

import datetime as dt
import itertools

from django.utils import timezone

from complaints.models import ALPHABET, Complaint, ComplaintCategory, Status, hash_secret, phone_key
from sunshine.identity import encrypt
from villages.models import Level, Role

BY_AGE = (  # (older than days, [(share up to, status)])
    (90, ((0.80, Status.CLOSED), (0.88, Status.REPLIED), (0.95, Status.REJECTED), (1.0, Status.IN_PROGRESS))),
    (30, ((0.40, Status.CLOSED), (0.65, Status.REPLIED), (0.85, Status.IN_PROGRESS), (0.90, Status.ACCEPTED),
          (0.95, Status.REJECTED), (1.0, Status.SUBMITTED))),
    (0, ((0.30, Status.SUBMITTED), (0.55, Status.ACCEPTED), (0.80, Status.IN_PROGRESS), (0.90, Status.REPLIED),
         (0.95, Status.CLOSED), (1.0, Status.REJECTED))),
)  # fmt: skip
LEVELS = ((0.60, Level.VILLAGE), (0.90, Level.TOWNSHIP), (1.0, Level.COUNTY))
TEXTS = (
    "{v}村口垃圾池满了，一个多星期没人清运。",
    "{v}的灌溉渠塌了一段，影响插秧。",
    "{v}低保名单里有人家里开着小车，是否符合条件？",
    "{v}村务公开栏三个月没更新了。",
    "{v}的耕地地力保护补贴到现在还没发到卡上。",
    "{v}村道有个大坑，晚上看不清。",
)
STEP_ACTIONS = {  # the events a complaint went through to reach its state
    Status.SUBMITTED: ("complaint.submitted",),
    Status.REJECTED: ("complaint.submitted", "complaint.rejected"),
    Status.ACCEPTED: ("complaint.submitted", "complaint.accepted"),
    Status.IN_PROGRESS: ("complaint.submitted", "complaint.accepted", "complaint.started"),
}
STEP_ACTIONS[Status.REPLIED] = (*STEP_ACTIONS[Status.IN_PROGRESS], "complaint.replied")
STEP_ACTIONS[Status.CLOSED] = (*STEP_ACTIONS[Status.REPLIED], "complaint.closed")
FORCED = list(itertools.product(Status.values, (Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY)))
BATCH = 5000


def _pick(table, draw):
    return next(value for share, value in table if draw <= share)


class ComplaintWriter:
    def __init__(self, *, rng, calendar, log):
        self.rng, self.calendar, self.log = rng, calendar, log
        self.now = timezone.now()
        self.days = max((self.now - calendar.month_start(0)).days, 1)
        self.categories = list(ComplaintCategory.objects.filter(is_objection=False, is_active=True))
        self.codes = set(Complaint.objects.values_list("tracking_code", flat=True))
        self.secret = hash_secret("SIM123")  # one secret for every simulated complaint: nobody tracks them
        self.names = [encrypt(f"模拟留言人{i}") for i in range(20)]
        self.phones = [(encrypt(f"1390791{i:04d}"), phone_key(f"1390791{i:04d}")) for i in range(20)]
        self.written = 0

    def write(self, count, villages):
        pending = []
        for i in range(count):
            village = villages[self.rng.randrange(len(villages))]
            pending.append(self._complaint(i, village))
            if len(pending) >= BATCH:
                self._flush(pending)
                pending = []
        self._flush(pending)
        return self.written

    def _flush(self, pending):
        made = Complaint.objects.bulk_create([c for c, _v in pending], batch_size=2000)
        for complaint, (_c, village) in zip(made, pending, strict=True):
            self._events(complaint, village)
        self.written += len(made)

    def _code(self):
        while True:
            code = "".join(self.rng.choice(ALPHABET) for _ in range(8))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _complaint(self, i, village):
        if i < len(FORCED):
            status, level = FORCED[i]
            age = 5 + i  # recent enough to be anywhere in the chain
        else:
            age = int(self.days * self.rng.random() ** 0.7)
            status = _pick(next(table for older, table in BY_AGE if age >= older), self.rng.random())
            level = _pick(LEVELS, self.rng.random())
        at = self.now - dt.timedelta(days=age, seconds=self.rng.randrange(86400))
        cadres = level != Level.VILLAGE and self.rng.random() < 0.05
        division, role = {
            Level.VILLAGE: (village.division, Role.VILLAGE_CLERK),
            Level.TOWNSHIP: (village.township, Role.TOWNSHIP_DISCIPLINE if cadres else Role.TOWNSHIP_REVIEWER),
            Level.COUNTY: (village.county, Role.COUNTY_INSPECTOR),
        }[level]
        complaint = Complaint(
            tracking_code=self._code(), secret_hash=self.secret, category=self.rng.choice(self.categories),
            village=village.division, township=village.township, county=village.county, division=division,
            level=level, handler_role=role, status=status, concerns_cadres=cadres, submitted_at=at, updated_at=at,
            text=self.rng.choice(TEXTS).format(v=village.division.name), escalation_count=int(level != Level.VILLAGE),
        )  # fmt: skip
        self._identity(complaint)
        self._clock(complaint, at)
        return complaint, village

    def _identity(self, complaint):
        if self.rng.random() < 0.25:
            complaint.anonymous = False
            complaint.filer_name_enc = self.rng.choice(self.names)
            complaint.filer_phone_enc, complaint.filer_phone_key = self.rng.choice(self.phones)

    def _clock(self, c, at):
        """Times for each step reached; open ones get a deadline, which the older ones have missed."""
        day = dt.timedelta(days=1)
        if c.status == Status.SUBMITTED:
            c.due_at = at + 15 * day
            return
        if c.status == Status.REJECTED:
            c.rejected_at, c.reject_reason, c.accepted_on_time = at + 3 * day, "不属于受理范围。", True
            return
        c.accepted_at, c.accepted_on_time, c.first_contact_at = at + 2 * day, True, at + day
        c.due_at = c.accepted_at + 60 * day
        if c.status in (Status.IN_PROGRESS, Status.REPLIED, Status.CLOSED):
            c.started_at = at + 3 * day
        if c.status in (Status.REPLIED, Status.CLOSED):
            c.replied_at, c.due_at = at + 20 * day, None
            c.reply, c.outcome, c.concluded_on_time = "已核实并处理，详见答复。", "substantiated", True
        if c.status == Status.CLOSED:
            c.closed_at = at + 35 * day

    def _events(self, c, village):
        actor = {Level.VILLAGE: village.clerk, Level.TOWNSHIP: village.reviewer}.get(c.level, village.inspector)
        label = c.tracking_code
        for step, action in enumerate(STEP_ACTIONS[c.status]):
            at = c.submitted_at + dt.timedelta(days=2 * step, hours=step)
            who = None if action == "complaint.submitted" else actor
            self.log.add(at, action, Complaint, c.pk, label, c.division_id, who)
        if c.level != Level.VILLAGE:
            at = c.submitted_at + dt.timedelta(hours=5)
            self.log.add(at, "complaint.escalated", Complaint, c.pk, label, c.division_id, village.clerk,
                         changes={"level": [Level.VILLAGE.value, c.level]})  # fmt: skip
