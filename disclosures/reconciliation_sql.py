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

"The latest" is written as NOT EXISTS (no later one), not as ROW_NUMBER() = 1: PostgreSQL estimates a filter
on a window function at a fraction of a percent of its rows, then joins the "few" rows in nested loops
(39 s on the county data set for one month); an anti-join it estimates well and hashes (under a second).

Computed on read, not stored at publication: a pre roster published or taken down later, or a corrected previous
payout, changes the answer, and a stored table would have to follow every such move. Written in the SQL that
SQLite (3.39+) and PostgreSQL both speak. ``tests/disclosures/test_reconciliation_sql.py`` holds it equal to the
Python reconciliation on hand-made and randomized rosters.
"""

import re
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connections

from .models import PUBLIC_STATUSES, Disclosure, Phase, RosterEntry
from .reconciliation import Outcome, Row

CENT = Decimal("0.01")
# The outcomes the statement returns: exactly ``reconciliation.ANOMALIES``.
ANOMALY_NAMES = ("AMOUNT_DIFFERS", "AMOUNT_CHANGED", "PAID_NOT_ANNOUNCED", "ANNOUNCED_NOT_PAID")


def _literal(value):
    """A code constant (a status, phase or outcome value) as an SQL string literal; only plain words qualify."""
    value = str(value)
    if not re.fullmatch(r"[a-z_]+", value):
        raise ValueError(value)
    return f"'{value}'"


def _sql(quote):
    d = quote(Disclosure._meta.db_table)
    e = quote(RosterEntry._meta.db_table)
    group = quote("group")
    key = f"COALESCE(NULLIF(e.person_key, ''), e.name || '|' || e.{group})"
    statuses = ", ".join(_literal(s) for s in PUBLIC_STATUSES)
    public = f"s.status IN ({statuses}) AND s.current_revision_id IS NOT NULL"
    post_phase, pre_phase = _literal(Phase.POST), _literal(Phase.PRE)
    o = {name: _literal(getattr(Outcome, name)) for name in ANOMALY_NAMES}
    # Entries travel as (id, key, amount) only; names and groups are read for the anomalous rows at the end.
    # Counterparts are looked up per payout through the (division, category, period, phase) unique index, in
    # scalar subqueries and joins on it, so that no plan depends on how many rows a CTE is guessed to hold.
    return f"""
WITH post AS (
    SELECT p.id, p.division_id, p.category_id, p.period, p.pre_disclosure_id, p.current_revision_id AS revision_id,
           (SELECT MAX(s.period) FROM {d} s
            WHERE s.division_id = p.division_id AND s.category_id = p.category_id AND s.phase = {post_phase}
              AND {public} AND s.period < p.period) AS prev_period
    FROM {d} p WHERE p.id IN (__POSTS__)
), prev AS (
    SELECT p.id AS post_id, s.current_revision_id AS revision_id
    FROM post p JOIN {d} s ON s.division_id = p.division_id AND s.category_id = p.category_id
         AND s.phase = {post_phase} AND s.period = p.prev_period
    WHERE {public}
), pre AS (
    SELECT p.id AS post_id, s.id AS pre_id, s.period, s.current_revision_id AS revision_id
    FROM post p JOIN {d} s ON s.division_id = p.division_id AND s.category_id = p.category_id
         AND s.phase = {pre_phase} AND s.period <= p.period AND (p.prev_period IS NULL OR s.period > p.prev_period)
    WHERE {public}
    UNION
    SELECT p.id AS post_id, s.id AS pre_id, s.period, s.current_revision_id AS revision_id
    FROM post p JOIN {d} s ON s.id = p.pre_disclosure_id
    WHERE {public} AND s.division_id = p.division_id AND s.category_id = p.category_id
), compared AS (
    SELECT post_id FROM prev UNION SELECT post_id FROM pre
), keyed AS (
    SELECT e.id, e.position, e.revision_id, {key} AS k, e.amount
    FROM {e} e
    WHERE e.revision_id IN (SELECT revision_id FROM post WHERE id IN (SELECT post_id FROM compared)
                            UNION SELECT revision_id FROM prev UNION SELECT revision_id FROM pre)
), latest AS (
    SELECT x.id, x.revision_id, x.k, x.amount FROM keyed x
    WHERE NOT EXISTS (
        SELECT 1 FROM keyed later
        WHERE later.revision_id = x.revision_id AND later.k = x.k
          AND (later.position > x.position OR (later.position = x.position AND later.id > x.id)))
), offered AS (
    SELECT pre.post_id, pre.pre_id, pre.period, l.id, l.k, l.amount
    FROM pre JOIN latest l ON l.revision_id = pre.revision_id
), announced AS (
    SELECT a.post_id, a.id, a.k, a.amount FROM offered a
    WHERE NOT EXISTS (
        SELECT 1 FROM offered later
        WHERE later.post_id = a.post_id AND later.k = a.k
          AND (later.period > a.period OR (later.period = a.period AND later.pre_id > a.pre_id)))
), paid AS (
    SELECT p.id AS post_id, l.id, l.k, l.amount
    FROM post p JOIN latest l ON l.revision_id = p.revision_id
    WHERE p.id IN (SELECT post_id FROM compared)
), before AS (
    SELECT prev.post_id, l.k, l.amount FROM prev JOIN latest l ON l.revision_id = prev.revision_id
)
SELECT r.post_id, n.name, n.{group}, r.outcome, r.announced, r.previous, r.paid FROM (
SELECT paid.post_id, paid.id,
       CASE WHEN a.k IS NOT NULL THEN {o["AMOUNT_DIFFERS"]} WHEN b.k IS NOT NULL THEN {o["AMOUNT_CHANGED"]}
            ELSE {o["PAID_NOT_ANNOUNCED"]} END AS outcome,
       a.amount AS announced, b.amount AS previous, paid.amount AS paid
FROM paid
LEFT JOIN announced a ON a.post_id = paid.post_id AND a.k = paid.k
LEFT JOIN before b ON b.post_id = paid.post_id AND b.k = paid.k
WHERE (a.k IS NOT NULL AND a.amount IS DISTINCT FROM paid.amount)
   OR (a.k IS NULL AND b.k IS NOT NULL AND b.amount IS DISTINCT FROM paid.amount)
   OR (a.k IS NULL AND b.k IS NULL)
UNION ALL
SELECT a.post_id, a.id, {o["ANNOUNCED_NOT_PAID"]}, a.amount, NULL, NULL
FROM announced a
WHERE a.post_id IN (SELECT post_id FROM compared)
  AND NOT EXISTS (SELECT 1 FROM paid WHERE paid.post_id = a.post_id AND paid.k = a.k)
) r JOIN {e} n ON n.id = r.id
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
    params = ids_params
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

