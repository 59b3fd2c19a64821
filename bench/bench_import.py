"""Roster import benchmark: 100,000 rows, whole import (read, validate, insert), three ways, two databases.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--iie-rows 5000] [--repeat 2] [--no-postgres|--no-sqlite]

Ways, each in its own subprocess (so peak memory is per way):
  ours  — python manage.py import_roster's path: roster_import_file() = upload (read, header
          detection, validation, warnings, preview stored) + confirm (insert in one transaction).
  iie   — django-import-export 4.x, default ModelResource for RosterEntry, tablib reading the same
          xlsx (only the header texts renamed to field names and the revision column added). Timed on
          the first --iie-rows rows (default 5,000) and extrapolated linearly to --rows (said so in the output).
  raw   — the ceiling: python-calamine parsing the file plus one plain cursor.executemany INSERT.
Databases: SQLite (a fresh file) and PostgreSQL (DATABASE_URL=postgres://postgres@127.0.0.1:5432/sunshine_bench,
dropped and created again). Peak memory is the subprocess's maxrss (getrusage), Django included.
"""

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgres://postgres@127.0.0.1:5432/sunshine_bench"
HEADER = ["序号", "户主姓名", "身份证号码", "村民小组", "保障人数", "月保障金额（元）", "保障类别", "备注"]
FIELD_OF = {
    "户主姓名": "name",
    "身份证号码": "id_masked",
    "村民小组": "group",
    "保障人数": "household_size",
    "月保障金额（元）": "amount",
    "保障类别": "assistance_class",
    "备注": "remark",
}
YEARS = {"ours": 2026, "raw": 2025, "iie": 2024}  # each run imports into its own period


def generate(path, rows):
    sys.path.insert(0, str(ROOT))
    from openpyxl import Workbook

    from sunshine.identity import check_char

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("名单")
    ws.append(HEADER)
    start = datetime.date(1950, 1, 1)
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
    for i in range(rows):
        birth = start + datetime.timedelta(days=i // 1000)
        body = f"350102{birth:%Y%m%d}{i % 1000:03d}"
        name = surnames[i % 20] + given[(i // 20) % len(given)] + (given[(i // 500) % len(given)] if i % 3 else "")
        amount = 300 + (i % 900) + (0.5 if i % 2 else 0)
        ws.append([i + 1, name, body + check_char(body), f"{i % 9 + 1}组", i % 5 + 1, amount, "A类", ""])
    wb.save(path)


# --------------------------------------------------------------------------- workers (run in subprocesses)


def _setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")
    import django

    django.setup()


def _world(period):
    from django.contrib.auth import get_user_model

    from disclosures.models import Cadence, Category, Kind
    from disclosures.services import disclosure_open_draft
    from villages.models import Division, Level, Membership, Role

    county, _ = Division.objects.get_or_create(code="990100000000", defaults={"name": "基准县", "level": Level.COUNTY})
    township, _ = Division.objects.get_or_create(
        code="990101000000", defaults={"name": "基准乡", "level": Level.TOWNSHIP, "parent": county}
    )
    village, _ = Division.objects.get_or_create(
        code="990101001000", defaults={"name": "基准村", "level": Level.VILLAGE, "parent": township}
    )
    user, _ = get_user_model().objects.get_or_create(username="bench_clerk", defaults={"is_staff": True})
    Membership.objects.get_or_create(user=user, division=village, role=Role.VILLAGE_CLERK)
    category, _ = Category.objects.get_or_create(
        slug="dibao",
        defaults={
            "name": "最低生活保障（低保）",
            "kind": Kind.ROSTER,
            "cadence": Cadence.MONTHLY,
            "public_fields": ["name", "group", "household_size", "amount"],
        },
    )
    revision = disclosure_open_draft(actor=user, division=village, category=category, period=period, phase="pre")
    return user, village, category, revision


def worker_prepare():
    _setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def worker_ours(path, rows, period):
    _setup()
    from disclosures.importer.services import roster_import_file

    user, village, category, _revision = _world(period)
    started = time.perf_counter()
    job, revision = roster_import_file(
        actor=user, division=village, category=category, period=period, phase="pre", path=path
    )
    elapsed = time.perf_counter() - started
    assert revision is not None and revision.entry_count == rows, job.result.get("errors", [])[:3]
    return elapsed, rows


def worker_raw(path, rows, period):
    _setup()
    from django.db import connection, transaction
    from python_calamine import CalamineWorkbook

    from disclosures.models import RosterEntry

    _user, _village, _category, revision = _world(period)
    q = connection.ops.quote_name
    columns = ["revision_id", "position", "person_key", "key_id", "name", "group", "household_size", "amount"]
    columns += ["assistance_class", "id_masked", "id_encrypted", "bank_account_encrypted", "remark", "source_row"]
    sql = (
        f"INSERT INTO {q(RosterEntry._meta.db_table)} ({', '.join(q(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    started = time.perf_counter()
    data = CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
    params = [
        (revision.pk, i, "", 1, r[1], r[3], int(r[4]), r[5], r[6], r[2], "", "", r[7], i + 2)
        for i, r in enumerate(data[1:])
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)
    elapsed = time.perf_counter() - started
    assert RosterEntry.objects.filter(revision=revision).count() == rows
    return elapsed, rows


def worker_iie(path, rows, period):
    _setup()
    import tablib
    from import_export.resources import modelresource_factory

    from disclosures.models import RosterEntry

    _user, _village, _category, revision = _world(period)
    resource = modelresource_factory(RosterEntry)()
    started = time.perf_counter()
    with open(path, "rb") as handle:
        dataset = tablib.Dataset().load(handle, format="xlsx")
    dataset.headers = [FIELD_OF.get(h, "position") for h in dataset.headers]
    dataset.append_col([revision.pk] * len(dataset), header="revision")
    dataset.append_col([None] * len(dataset), header="id")
    result = resource.import_data(dataset, dry_run=False, raise_errors=True)
    elapsed = time.perf_counter() - started
    assert not result.has_errors() and RosterEntry.objects.filter(revision=revision).count() == rows
    return elapsed, rows


def worker_main(argv):
    way, path, rows, period = argv[0], argv[1], int(argv[2]), argv[3]
    if way == "prepare":
        worker_prepare()
        return
    elapsed, done = {"ours": worker_ours, "raw": worker_raw, "iie": worker_iie}[way](path, rows, period)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "rows": done, "peak_mb": peak_mb}))


# --------------------------------------------------------------------------- driver


def run_worker(way, path, rows, env, period="-"):
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", way, str(path), str(rows), period],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"{way} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1]) if way != "prepare" else None


def recreate_postgres():
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS sunshine_bench")
        conn.execute("CREATE DATABASE sunshine_bench")


def best_of(way, path, rows, env, repeat):
    """Run ``way`` ``repeat`` times (fresh process, own period each) and keep the fastest, with the highest peak."""
    runs = [run_worker(way, path, rows, env, f"{YEARS[way]}-{n + 1:02d}") for n in range(repeat)]
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "peak_mb": max(r["peak_mb"] for r in runs), "all": [r["seconds"] for r in runs]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--iie-rows", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of ours and raw per database (best is kept)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    path, small = tmp / "roster.xlsx", tmp / "roster-iie.xlsx"
    started = time.perf_counter()
    iie_rows = min(args.iie_rows, args.rows)
    generate(path, args.rows)
    generate(small, iie_rows)
    print(
        f"generated {args.rows:,} rows → {path} ({path.stat().st_size / 1048576:.1f} MB) and the first {iie_rows:,} "
        f"rows for django-import-export in {time.perf_counter() - started:.1f} s"
    )
    databases = [] if args.no_sqlite else [("SQLite", f"sqlite:///{tmp / 'bench.sqlite3'}")]
    if not args.no_postgres:
        recreate_postgres()
        databases.append(("PostgreSQL", PG_URL))
    table = []
    for label, url in databases:
        env = {**os.environ, "DATABASE_URL": url, "PRIVATE_MEDIA_ROOT": str(tmp / "private"), "LOG_LEVEL": "ERROR"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        run_worker("prepare", path, 0, env)
        results = {
            "ours": best_of("ours", path, args.rows, env, args.repeat),
            "raw": best_of("raw", path, args.rows, env, args.repeat),
            "iie": best_of("iie", small, iie_rows, env, 1),
        }
        iie_full = results["iie"]["seconds"] * args.rows / iie_rows
        for way in ("ours", "iie", "raw"):
            r = results[way]
            seconds = iie_full if way == "iie" else r["seconds"]
            if way == "iie" and iie_rows != args.rows:
                note = (
                    f"timed on {iie_rows:,} rows: {r['seconds']:.1f} s, extrapolated linearly ×{args.rows / iie_rows:g}"
                )
            else:
                note = "runs: " + ", ".join(f"{x:.2f}" for x in r["all"])
            table.append((label, way, seconds, args.rows / seconds, r["peak_mb"], note))
        ours = results["ours"]["seconds"]
        raw = results["raw"]["seconds"]
        ratio = f"django-import-export / ours = {iie_full / ours:.1f}×   ours / raw = {ours / raw:.2f}×"
        table.append((label, "ratio", None, None, None, ratio))
    print()
    print(f"{'database':<11} {'way':<5} {'seconds':>9} {'rows/s':>10} {'peak MB':>8}  note")
    for label, way, seconds, rate, peak, note in table:
        if seconds is None:
            print(f"{label:<11} {way:<5} {'':>9} {'':>10} {'':>8}  {note}")
        else:
            print(f"{label:<11} {way:<5} {seconds:>9.2f} {rate:>10,.0f} {peak:>8.0f}  {note}")
    print(
        f"\nrows: {args.rows:,}; total {time.perf_counter() - started:.0f} s; python {sys.version.split()[0]}; "
        f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2:])
    else:
        main()
