"""Reconciliation of a hand-made pre/post pair, totals included."""

from decimal import Decimal

from disclosures.reconciliation import Outcome, reconcile
from tests.disclosures.helpers import IDS, entry, published_roster


def outcomes(result):
    return {row.name: (row.outcome, row.announced, row.previous, row.paid) for row in result.rows}


def test_pre_post_pair(world, categories, crew):
    dibao = categories["dibao"]
    pre = published_roster(
        *crew,
        world.v1,
        dibao,
        period="2026-10",
        phase="pre",
        rows=[
            entry("张三", 500, id_number=IDS[0]),
            entry("李四", 300, id_number=IDS[1]),
            entry("王五", 200, id_number=IDS[2]),
            entry("无证号", 100, group="二组"),
        ],
    )
    post = published_roster(
        *crew,
        world.v1,
        dibao,
        period="2026-10",
        phase="post",
        pre=pre,
        rows=[
            entry("张三", 500, id_number=IDS[0]),
            entry("李肆", 350, id_number=IDS[1]),  # same person (same ID), name typed differently, amount differs
            entry("赵六", 400, id_number=IDS[3]),
            entry("无证号", 100, group="二组"),  # matched by name and group
        ],
    )
    result = reconcile(post)
    D = Decimal
    assert outcomes(result) == {
        "张三": (Outcome.AS_ANNOUNCED, D("500"), None, D("500")),
        "李肆": (Outcome.AMOUNT_DIFFERS, D("300"), None, D("350")),
        "赵六": (Outcome.PAID_NOT_ANNOUNCED, None, None, D("400")),
        "王五": (Outcome.ANNOUNCED_NOT_PAID, D("200"), None, None),
        "无证号": (Outcome.AS_ANNOUNCED, D("100"), None, D("100")),
    }
    totals = {t.outcome: (t.count, t.announced, t.paid) for t in result.totals}
    assert totals == {
        Outcome.AS_ANNOUNCED: (2, D("600"), D("600")),
        Outcome.AMOUNT_DIFFERS: (1, D("300"), D("350")),
        Outcome.PAID_NOT_ANNOUNCED: (1, D("0"), D("400")),
        Outcome.ANNOUNCED_NOT_PAID: (1, D("200"), D("0")),
    }
    assert (result.announced_total, result.paid_total, result.anomaly_count) == (D("1100"), D("1350"), 3)
    assert result.rows[0].is_anomaly and not result.rows[-1].is_anomaly  # anomalies first


def test_monthly_payout_against_previous_month_and_new_announcements(world, categories, crew):
    """A payout names everyone; only newly announced households appear on the pre roster."""
    dibao = categories["dibao"]
    published_roster(
        *crew,
        world.v1,
        dibao,
        period="2026-09",
        phase="post",
        rows=[entry("钱七", 600, id_number=IDS[0]), entry("孙八", 100, id_number=IDS[1]), entry("周九", 300)],
    )
    published_roster(*crew, world.v1, dibao, period="2026-10", phase="pre", rows=[entry("吴十", 250, id_number=IDS[2])])
    post = published_roster(
        *crew,
        world.v1,
        dibao,
        period="2026-10",
        phase="post",
        rows=[entry("钱七", 600, id_number=IDS[0]), entry("周九", 320), entry("吴十", 250, id_number=IDS[2])],
    )
    result = reconcile(post)
    D = Decimal
    assert outcomes(result) == {
        "钱七": (Outcome.CONTINUING, None, D("600"), D("600")),
        "周九": (Outcome.AMOUNT_CHANGED, None, D("300"), D("320")),
        "吴十": (Outcome.AS_ANNOUNCED, D("250"), None, D("250")),
        "孙八": (Outcome.STOPPED, None, D("100"), None),
    }
    assert result.anomaly_count == 1
    assert result.previous.period == "2026-09"


def test_reconciliation_needs_a_published_post_roster(world, categories, crew):
    pre = published_roster(*crew, world.v1, categories["dibao"], period="2026-10", phase="pre")
    assert reconcile(pre) is None
