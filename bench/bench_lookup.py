"""我的补贴 benchmark: server time of one self-query over 1,000,000 published roster entries.

    .venv/bin/python bench/bench_lookup.py [--entries 1000000] [--lookups 300] [--no-postgres|--no-sqlite]

Builds, in a throw-away database, one county of 250 villages with 4 roster categories × 10 periods × pre and
post rosters of 50 people each (20,000 published disclosures; 1,000,000 entries; each village has 1,000
residents, so a person is on about 4 rosters). Entries go in with the importer's bulk statement (COPY on
PostgreSQL, executemany on SQLite, ``disclosures.entry_writers``); disclosures and revisions are bulk-created
as published (the review services would take hours for 20,000 rosters and are not what is measured).

Then it times, for random residents (found), wrong names (not found) and unknown IDs:
  request — POST /my/ through the whole stack (middleware, form, ID normalisation and keyed hash, rate limit
            counters in the cache, the two queries, the template), Django's test client;
  lookup  — ``portal.selfquery.lookup`` alone (the queries and the pairing).
and, as a baseline, GET of the blank form (the same middleware and base template, no lookup).
Median and p95 in milliseconds. Databases: SQLite (a fresh file) and PostgreSQL
(postgres://postgres@127.0.0.1:5432/sunshine_lookup, dropped and created again).
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgres://postgres@127.0.0.1:5432/sunshine_lookup"
CATEGORIES, PERIODS, PER_ROSTER, RESIDENTS = ("dibao", "tekun", "gengdi", "huinong"), 10, 50, 1000
PER_VILLAGE = len(CATEGORIES) * PERIODS * 2 * PER_ROSTER  # 4,000 entries: 1,000,000 entries are 250 villages
SURNAMES, GIVEN = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


def _setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")
    import django

    django.setup()


def resident(village, n):
    """(name, ID number) of resident ``n`` of village ``village`` (valid GB 11643 numbers)."""
    from sunshine.identity import check_char

    serial = village * RESIDENTS + n
    body = f"99{village:04d}{1940 + serial % 60:04d}{1 + serial % 12:02d}{1 + serial % 28:02d}{n:03d}"
    name = SURNAMES[serial % 20] + GIVEN[(serial // 20) % len(GIVEN)] + GIVEN[(serial // 500) % len(GIVEN)]
    return name, body + check_char(body)


def _divisions(count):
    from villages.models import Division, Level

    county = Division.objects.create(code="990000000000", name="基准县", level=Level.COUNTY)
    villages = []
    for v in range(count):
        township_code = f"9900{v // 25 + 1:02d}000000"
        township = Division.objects.filter(code=township_code).first() or Division.objects.create(
            code=township_code, name=f"第{v // 25 + 1}乡", level=Level.TOWNSHIP, parent=county
        )
        villages.append(
            Division.objects.create(
                code=f"{township_code[:6]}{v % 25 + 1:03d}000",
                name=f"第{v + 1}村",
                level=Level.VILLAGE,
                parent=township,
            )
        )
    return villages


def _rosters(villages, categories):
    """Published disclosures with one published revision each; returns [(revision_id, village_index, k)]."""
    from django.utils import timezone

    from disclosures.models import Disclosure, Revision, RevisionState, Status

    now, plan = timezone.now(), []
    for v, village in enumerate(villages):
        for c, category in enumerate(categories):
            for p in range(PERIODS):
                for phase in ("pre", "post"):
                    plan.append((v, c * PERIODS + p, Disclosure(
                        division=village, category=category, period=f"2026-{p + 1:02d}", phase=phase,
                        status=Status.CONFIRMED, first_published_at=now,
                    )))  # fmt: skip
    disclosures = Disclosure.objects.bulk_create([d for _v, _k, d in plan], batch_size=2000)
    revisions = Revision.objects.bulk_create(
        [
            Revision(disclosure=d, number=1, state=RevisionState.PUBLISHED, published_at=now, entry_count=PER_ROSTER)
            for d in disclosures
        ],
        batch_size=2000,
    )
    for d, r in zip(disclosures, revisions, strict=True):
        d.current_revision = r
    Disclosure.objects.bulk_update(disclosures, ["current_revision"], batch_size=2000)
    return [(r.pk, v, k) for (v, k, _d), r in zip(plan, revisions, strict=True)]


def _entries(rosters, keys):
    """Every roster's 50 people, written with the importer's bulk statement (COPY on PostgreSQL)."""
    from django.conf import settings
    from django.db import connection

    from disclosures.entry_writers import _Statement, _write_chunk
    from sunshine.identity import mask_id

    statement, key_id, params = _Statement(), settings.IDENTITY_HASH_KEY_ID, []
    with connection.cursor() as cursor:
        for revision_id, v, k in rosters:
            # Roster k of a village: 50 residents starting at a different place, so everyone is on a few.
            for position in range(1, PER_ROSTER + 1):
                n = (k * 23 + position * 19) % RESIDENTS
                name, number, key = keys[(v, n)]
                amount = Decimal(300 + (n % 7) * 50 + (k % 3 == 0 and position == 7) * 20)
                computed = (revision_id, position, key_id, mask_id(number), "", "")
                own = (key, name, f"{n % 9 + 1}组", n % 5 + 1, amount, "A", "", position)
                params.append(computed + own + statement.defaults)
            if len(params) >= 20000:
                _write_chunk(cursor, statement, params)
                params = []
        if params:
            _write_chunk(cursor, statement, params)


def worker_build(villages_count):
    _setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from disclosures.categories import seed_categories
    from disclosures.models import Category, RosterEntry
    from sunshine.identity import person_key

    call_command("migrate", verbosity=0)
    seed_categories()
    started = time.perf_counter()
    with transaction.atomic():
        villages = _divisions(villages_count)
        categories = [Category.objects.get(slug=slug) for slug in CATEGORIES]
        rosters = _rosters(villages, categories)
        keys = {}
        for v in range(villages_count):
            for n in range(RESIDENTS):
                name, number = resident(v, n)
                keys[(v, n)] = (name, number, person_key(number))
        _entries(rosters, keys)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"entries": RosterEntry.objects.count(), "build_s": round(time.perf_counter() - started, 1)}


def _percentiles(samples):
    samples = sorted(samples)
    return round(statistics.median(samples) * 1000, 2), round(samples[int(len(samples) * 0.95) - 1] * 1000, 2)


def worker_time(villages_count, lookups):
    _setup()
    from django.conf import settings
    from django.test import Client

    from portal import selfquery
    from sunshine.identity import person_key

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SELFQUERY_RATE_LIMITS = dict.fromkeys(selfquery.DEFAULT_LIMITS, (10**9, 60))
    rng = random.Random(13)
    people = [resident(rng.randrange(villages_count), rng.randrange(RESIDENTS)) for _ in range(lookups)]
    cases = {
        "found": people,
        "wrong name": [("无此人", number) for _name, number in people[: lookups // 3]],
        "unknown ID": [resident(villages_count + 7, n) for n in range(lookups // 3)],
    }
    client = Client()
    client.get("/my/")  # warm up: templates, URL resolver, connection
    figures, lines = {}, []
    for case, asked in cases.items():
        request_times, lookup_times = [], []
        for name, number in asked:
            started = time.perf_counter()
            response = client.post("/my/", {"name": name, "id_number": number})
            request_times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
            key = person_key(number)
            started = time.perf_counter()
            found = selfquery.lookup(name=name, key=key)
            lookup_times.append(time.perf_counter() - started)
            if case == "found":
                lines.append(len(found))
            else:
                assert found == []
        figures[case] = {"request": _percentiles(request_times), "lookup": _percentiles(lookup_times)}
    blank = []
    for _ in range(len(people)):  # the page's fixed cost: the same stack and template with no lookup
        started = time.perf_counter()
        client.get("/my/")
        blank.append(time.perf_counter() - started)
    figures["blank form GET (baseline)"] = {"request": _percentiles(blank), "lookup": (0, 0)}
    figures["lines per found resident (mean)"] = round(statistics.mean(lines), 1)
    return figures


def _run(worker, *args, env):
    code = (
        f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); from bench.bench_lookup import {worker}; "
        f"print(json.dumps({worker}(*{list(args)!r})))"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(f"{worker} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _fresh_postgres():
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS sunshine_lookup")
        conn.execute("CREATE DATABASE sunshine_lookup")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--redis", action="store_true", help="rate-limit counters in Redis DB 11, as in production")
    args = parser.parse_args()
    villages = max(1, args.entries // PER_VILLAGE)
    targets = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            targets.append(("SQLite", f"sqlite:///{tmp}/lookup.sqlite3"))
        if not args.no_postgres:
            _fresh_postgres()
            targets.append(("PostgreSQL", PG_URL))
        for label, url in targets:
            cache = "redis://127.0.0.1:6379/11" if args.redis else ""  # empty: this process's memory
            env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "ERROR", "CACHE_URL": cache}
            env.pop("REDIS_URL", None)
            built = _run("worker_build", villages, env=env)
            figures = _run("worker_time", villages, args.lookups, env=env)
            print(f"{label}: {built['entries']:,} entries in {villages} villages (built in {built['build_s']} s)")
            for case, value in figures.items():
                if isinstance(value, dict):
                    print(
                        f"  {case:<26} request median {value['request'][0]:>6} ms, p95 {value['request'][1]:>6} ms;"
                        f"  lookup alone median {value['lookup'][0]:>6} ms, p95 {value['lookup'][1]:>6} ms"
                    )
                else:
                    print(f"  {case}: {value}")


if __name__ == "__main__":
    main()
