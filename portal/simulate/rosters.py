"""Who is on which roster, month by month: the simulated offices' lists for one village and category.

Monthly categories (低保, 特困) keep a set of households: most continue from month to month, a few leave,
and in announcement months the newly approved and changed households are published first on a pre roster
(拟新增/调整). A small share of village-months carry one anomaly of each kind reconciliation looks for
(paid but never announced, announced but not paid, an amount changed without notice). Yearly categories
publish everyone on the pre roster and pay nearly the same people; per-event 临时救助 pays a few people.
"""

from dataclasses import dataclass
from decimal import Decimal

# slug: (households per village, cadence, months between pre rosters, amount range in yuan, classes)
ROSTER_PLANS = {
    "dibao": (60, "monthly", 3, (300, 700), ("A", "B", "C")),
    "tekun": (15, "monthly", 6, (800, 1100), ("全自理", "半护理", "全护理")),
    "linshi": (3, "per_event", 0, (500, 3000), ("",)),
    "weifang": (5, "yearly", 0, (15000, 40000), ("C级", "D级")),
    "gengdi": (140, "yearly", 0, (200, 1800), ("",)),
    "huinong": (40, "yearly", 0, (200, 800), ("",)),
}
ANOMALY_SHARE = 0.12  # village-months with one anomaly of a kind


@dataclass
class Roster:
    """One roster to write: (period, phase) and its people as ``(n, amount, class)`` in order."""

    period: str
    phase: str
    people: list
    month_index: int  # 0 = the oldest month of the data set; the last month is the current one


def _amount(rng, low, high):
    return Decimal(rng.randrange(low // 10, high // 10 + 1) * 10)


class Households:
    """The households on one village's list for one category: ``{n: (amount, class)}``."""

    def __init__(self, rng, size, pool, amounts, classes):
        self.rng, self.pool, self.amounts, self.classes = rng, pool, amounts, classes
        self.members = {}
        self._next = rng.randrange(pool)
        for _ in range(size):
            self.add_new()

    def add_new(self):
        n = self._next % self.pool
        self._next += 1 + self.rng.randrange(5)
        self.members[n] = (_amount(self.rng, *self.amounts), self.rng.choice(self.classes))
        return n

    def drop_some(self, count):
        for n in self.rng.sample(sorted(self.members), min(count, max(len(self.members) - 1, 0))):
            del self.members[n]

    def change_amount(self, n):
        amount, cls = self.members[n]
        self.members[n] = (amount + Decimal(self.rng.choice((-50, 30, 50, 80))), cls)

    def listed(self, keys=None):
        keys = sorted(self.members) if keys is None else keys
        return [(n, *self.members[n]) for n in keys if n in self.members]


def monthly_rosters(rng, months, size, pre_every, amounts, classes, pool):
    """Pre and post rosters of a monthly category over ``months`` (``[(index, "YYYY-MM")]``)."""
    homes = Households(rng, size, pool, amounts, classes)
    out = []
    for m, period in months:
        announced = []
        if m == 0:
            announced = sorted(homes.members)  # the first notice lists everyone already receiving
        elif m % pre_every == 0:
            homes.drop_some(rng.randrange(1, 4))
            announced = [homes.add_new() for _ in range(max(1, size // 15))]
            for n in rng.sample(sorted(homes.members), min(2, len(homes.members))):
                homes.change_amount(n)
                announced.append(n)
        else:
            homes.drop_some(rng.randrange(0, 2))
        pre = homes.listed(sorted(set(announced)))
        paid_keys = None
        if m and rng.random() < ANOMALY_SHARE:  # paid but never announced
            homes.add_new()
        if m and rng.random() < ANOMALY_SHARE:  # an amount changed without notice
            homes.change_amount(rng.choice(sorted(homes.members)))
        if pre and rng.random() < ANOMALY_SHARE:  # announced but not paid this month
            skipped = rng.choice(pre)[0]
            paid_keys = [n for n in sorted(homes.members) if n != skipped]
        if pre:
            out.append(Roster(period, "pre", pre, m))
        out.append(Roster(period, "post", homes.listed(paid_keys), m))
    return out


def yearly_rosters(rng, years, size, amounts, classes, pool):
    """A pre roster listing everyone, then the payout, for each year (``[(month index, "YYYY")]``)."""
    homes = Households(rng, size, pool, amounts, classes)
    out = []
    for m, year in years:
        homes.drop_some(max(1, size // 20))
        for _ in range(max(1, size // 20)):
            homes.add_new()
        pre = homes.listed()
        paid = list(pre)
        if rng.random() < ANOMALY_SHARE * 2 and len(paid) > 1:
            paid.pop(rng.randrange(len(paid)))
        out.append(Roster(year, "pre", pre, m))
        out.append(Roster(year, "post", paid, m))
    return out


def event_rosters(rng, events, size, amounts, classes, pool):
    """临时救助: a few people announced and paid per event (``[(month index, "YYYY-MM-DD")]``)."""
    out = []
    for m, day in events:
        homes = Households(rng, size, pool, amounts, classes)
        pre = homes.listed()
        out.append(Roster(day, "pre", pre, m))
        out.append(Roster(day, "post", pre, m))
    return out


def village_rosters(rng, calendar, pool, scale):
    """Every roster of one village: ``{slug: [Roster, ...]}``; ``scale`` sizes the village (0.6–1.4)."""
    result = {}
    for slug, (size, cadence, pre_every, amounts, classes) in ROSTER_PLANS.items():
        size = max(2, round(size * scale))
        if cadence == "monthly":
            result[slug] = monthly_rosters(rng, calendar.months, size, pre_every, amounts, classes, pool)
        elif cadence == "yearly":
            result[slug] = yearly_rosters(rng, calendar.years, size, amounts, classes, pool)
        else:
            result[slug] = event_rosters(rng, calendar.events, size, amounts, classes, pool)
    return result
