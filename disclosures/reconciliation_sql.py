"""Reconciliation anomalies of many payouts in one SQL statement (issue 14: 异常线索 at county volume).

``disclosures.reconciliation`` compares one payout in Python, which is right for its public page (a few hundred
rows, every outcome shown). Over a county it loaded every entry of every payout as model instances: 19–29 s and
1.7 GB. Here the same rules (DESIGN §9) run in the database as set operations over the entry key, and only the
anomalous rows come back:

- ``post``: the payouts asked for (a queryset of disclosures, already scoped and filtered);
- ``prev``: each payout's previous public payout of the same village and category (highest earlier period);
- ``pre``: the public pre rosters it is compared with: the one it names, and every one of a period after the
  previous payout and not after its own;
- ``latest``: one entry per key and revision (the last by position, as the Python dict keeps the last one);
- ``announced``: per payout and key, the entry of the latest pre roster (period, then id), as later notices
  override earlier ones.

Computed on read, not stored at publication: a pre roster published or taken down later, or a corrected previous
payout, changes the answer, and a stored table would have to follow every such move. Written in the SQL that
SQLite (3.39+) and PostgreSQL both speak. ``tests/disclosures/test_reconciliation_sql.py`` holds it equal to the
Python reconciliation on hand-made and randomized rosters.
"""

from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connections

from .models import PUBLIC_STATUSES, Disclosure, Phase, RosterEntry
from .reconciliation import Outcome, Row

CENT = Decimal("0.01")


def _sql(quote):
    d = quote(Disclosure._meta.db_table)
    e = quote(RosterEntry._meta.db_table)
    group = quote("group")
    key = f"COALESCE(NULLIF(e.person_key, ''), e.name || '|' || e.{group})"
    statuses = ", ".join(["%s"] * len(PUBLIC_STATUSES))
    public = f"s.status IN ({statuses}) AND s.current_revision_id IS NOT NULL"
    return f"""
WITH post AS (
    SELECT id, division_id, category_id, period, pre_disclosure_id, current_revision_id AS revision_id
    FROM {d} WHERE id IN (__POSTS__)
), pub AS (
    SELECT s.id, s.division_id, s.category_id, s.period, s.phase, s.current_revision_id AS revision_id
    FROM {d} s
    WHERE {public} AND EXISTS (
        SELECT 1 FROM post p WHERE p.division_id = s.division_id AND p.category_id = s.category_id)
), ranked_prev AS (
    SELECT p.id AS post_id, s.period, s.revision_id,
           ROW_NUMBER() OVER (PARTITION BY p.id ORDER BY s.period DESC) AS rn
    FROM post p JOIN pub s ON s.division_id = p.division_id AND s.category_id = p.category_id
    WHERE s.phase = %s AND s.period < p.period
), prev AS (
    SELECT post_id, period, revision_id FROM ranked_prev WHERE rn = 1
), pre AS (
    SELECT p.id AS post_id, s.id AS pre_id, s.period, s.revision_id
    FROM post p JOIN pub s ON s.division_id = p.division_id AND s.category_id = p.category_id
    LEFT JOIN prev ON prev.post_id = p.id
    WHERE s.id = p.pre_disclosure_id
       OR (s.phase = %s AND s.period <= p.period AND (prev.period IS NULL OR s.period > prev.period))
), revs AS (
    SELECT revision_id FROM post UNION SELECT revision_id FROM prev UNION SELECT revision_id FROM pre
), keyed AS (
    SELECT e.revision_id, {key} AS k, e.name, e.{group} AS grp, e.amount,
           ROW_NUMBER() OVER (PARTITION BY e.revision_id, {key} ORDER BY e.position DESC, e.id DESC) AS rn
    FROM {e} e WHERE e.revision_id IN (SELECT revision_id FROM revs)
), latest AS (
    SELECT revision_id, k, name, grp, amount FROM keyed WHERE rn = 1
), ranked_announced AS (
    SELECT pre.post_id, l.k, l.name, l.grp, l.amount,
           ROW_NUMBER() OVER (PARTITION BY pre.post_id, l.k ORDER BY pre.period DESC, pre.pre_id DESC) AS rn
    FROM pre JOIN latest l ON l.revision_id = pre.revision_id
), announced AS (
    SELECT post_id, k, name, grp, amount FROM ranked_announced WHERE rn = 1
), compared AS (
    SELECT post_id FROM prev UNION SELECT post_id FROM pre
), paid AS (
    SELECT p.id AS post_id, l.k, l.name, l.grp, l.amount
    FROM post p JOIN latest l ON l.revision_id = p.revision_id
    WHERE p.id IN (SELECT post_id FROM compared)
)
SELECT paid.post_id, paid.name, paid.grp,
       CASE WHEN a.k IS NOT NULL THEN %s WHEN b.k IS NOT NULL THEN %s ELSE %s END,
       a.amount, b.amount, paid.amount
FROM paid
LEFT JOIN announced a ON a.post_id = paid.post_id AND a.k = paid.k
LEFT JOIN (SELECT prev.post_id, l.k, l.amount FROM prev JOIN latest l ON l.revision_id = prev.revision_id) b
       ON b.post_id = paid.post_id AND b.k = paid.k
WHERE (a.k IS NOT NULL AND a.amount IS DISTINCT FROM paid.amount)
   OR (a.k IS NULL AND b.k IS NOT NULL AND b.amount IS DISTINCT FROM paid.amount)
   OR (a.k IS NULL AND b.k IS NULL)
UNION ALL
SELECT a.post_id, a.name, a.grp, %s, a.amount, NULL, NULL
FROM announced a
LEFT JOIN paid ON paid.post_id = a.post_id AND paid.k = a.k
WHERE paid.k IS NULL AND a.post_id IN (SELECT post_id FROM compared)
"""


def _decimal(value):
    """SQLite hands amounts back as int or float; PostgreSQL as Decimal. Both become Decimal with two places."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT)


def anomaly_rows(posts):
    """``{post id: [Row]}``: the anomalous reconciliation rows of the payouts in ``posts`` (a queryset of
    disclosures), in one query whatever their number and size. A payout with neither a previous payout nor a
    pre roster to compare with has none (its first period would be all 已发放但未公示)."""
    db = posts.db
    connection = connections[db]
    try:
        ids_sql, ids_params = (
            posts.filter(phase=Phase.POST).order_by().values("pk").query.get_compiler(using=db).as_sql()
        )
    except EmptyResultSet:  # a queryset known to be empty (e.g. ``none()`` for a user without a jurisdiction)
        return {}
    sql = _sql(connection.ops.quote_name).replace("__POSTS__", ids_sql)
    statuses = tuple(str(s) for s in PUBLIC_STATUSES)
    params = [
        *ids_params,
        *statuses,
        str(Phase.POST),
        str(Phase.PRE),
        str(Outcome.AMOUNT_DIFFERS),
        str(Outcome.AMOUNT_CHANGED),
        str(Outcome.PAID_NOT_ANNOUNCED),
        str(Outcome.ANNOUNCED_NOT_PAID),
    ]
    by_post = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for post_id, name, group, outcome, announced, previous, paid in cursor.fetchall():
            by_post.setdefault(post_id, []).append(
                Row(
                    name=name,
                    group=group,
                    outcome=Outcome(outcome),
                    announced=_decimal(announced),
                    previous=_decimal(previous),
                    paid=_decimal(paid),
                )
            )
    order = {o: i for i, o in enumerate(Outcome.values)}
    for rows in by_post.values():
        rows.sort(key=lambda r: (order[r.outcome], r.group, r.name))  # as Reconciliation sorts its anomalies
    return by_post

