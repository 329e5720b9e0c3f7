"""Benchmark of the public website: subject search, subject page and list page server time, report generation.

    .venv/bin/python benchmarks/portal_benchmark.py [--backend sqlite|postgresql|both]
        [--subjects 20000,100000] [--records 300000] [--queries 300]
    # the issue's sizes (run once; takes minutes):
    .venv/bin/python benchmarks/portal_benchmark.py --backend both --subjects 100000,1000000 --records 10000000

Data is generated set-based inside the database (SQLite recursive CTE / PostgreSQL generate_series), straight into
``subjects`` (the search index follows through its triggers / GIN index, as in production) and ``credit_records``
— not through the import pipeline. Baselines are measured in the same run on the same data:

- search: the same 3-character substring queries answered by a scan (``name LIKE '%q%' LIMIT 10`` with the index
  defeated); ratio = baseline p50 / search p50 (speed-up). Goal: search p99 ≤ 5 ms at 1,000,000 subjects.
- subject page (GET /subjects/{id}, rendered) and list page (GET /disclosures…, rendered): the one raw SQL query
  that fetches the same rows; ratio = page p99 / raw query p99 (what rendering and the disclosure rules cost).
Times are wall-clock around an in-process ASGI call (an upper bound of server time: no network).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://root@127.0.0.1:5432/test")
CITIES = "郑州开封洛阳平顶安阳鹤壁新乡焦作濮阳许昌漯河三门南阳商丘信阳周口驻马"  # 17 × 2 characters
SUFFIXES = "运输有限公司物流有限公司客运有限公司汽修有限公司货运有限公司建设有限公司交通工程公司驾校有限公司"  # 8 × 6
POOL = (
    "安百宝邦北博昌畅辰诚达大德鼎东恒华汇佳嘉建金锦京景聚凯康乐力利联隆龙茂美明铭宁鹏平瑞润森晟盛顺泰天通同万"
    "旺伟文祥翔欣新信星兴鑫旭亚阳耀宜益银永优宇裕远源跃运泽正志中众洲卓资鼎峰福富广国海航豪浩和宏鸿虎惠吉骏"
    "坤蓝朗雷立良林路伦迈民楠鹏奇启千强勤清庆秋全荣瑞三山尚胜时世仕舒双硕思速拓唐腾卫威旺维伟温沃祥鑫雄耀"
)
DOMAINS = ("道路运输", "公路建设", "公路管理", "水路运输")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def run_all(fn: Callable[[Any], Any], items: list[Any]) -> list[float]:
    """Milliseconds of ``fn(item)`` for each item."""
    out = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t) * 1000)
    return out


def fmt(ms: list[float]) -> str:
    return f"p50 {statistics.median(ms):7.2f} ms  p99 {pct(ms, 99):7.2f} ms"


def _subjects_sql(dialect: str) -> str:
    p = len(POOL)
    name = (
        f"substr(:cities, 1 + (i % 17) * 2, 2) || substr(:pool, 1 + (i * 7) % {p}, 1) "
        f"|| substr(:pool, 1 + (i * 13 + i / {p}) % {p}, 1) || substr(:pool, 1 + (i * 31 + i / {p * p}) % {p}, 1) "
        "|| substr(:suffixes, 1 + (i % 8) * 6, 6)"
    )
    if dialect == "sqlite":
        return (
            "WITH RECURSIVE n(i) AS (SELECT :start UNION ALL SELECT i + 1 FROM n WHERE i < :stop) "
            "INSERT INTO subjects (id, kind, name, uscc, region_code, created_at, updated_at) "
            f"SELECT i, CASE WHEN i % 10 = 0 THEN 'individual_business' ELSE 'org' END, {name}, "
            "'91' || printf('41%02d00', (i % 17) + 1) || printf('%010d', i), printf('41%02d00', (i % 17) + 1), "
            "datetime('now'), datetime('now') FROM n"
        )
    for param in (":cities", ":pool", ":suffixes"):
        name = name.replace(param, f"CAST({param} AS text)")
    return (
        "INSERT INTO subjects (id, kind, name, uscc, region_code, created_at, updated_at) "
        f"SELECT i, CASE WHEN i % 10 = 0 THEN 'individual_business' ELSE 'org' END, {name}, "
        "'91' || '41' || lpad(((i % 17) + 1)::text, 2, '0') || '00' || lpad(i::text, 10, '0'), "
        "'41' || lpad(((i % 17) + 1)::text, 2, '0') || '00', now(), now() FROM generate_series(CAST(:start AS integer), CAST(:stop AS integer)) AS i"
    )


def _records_sql(dialect: str) -> str:
    domain = "CASE i % 4 WHEN 0 THEN '道路运输' WHEN 1 THEN '公路建设' WHEN 2 THEN '公路管理' ELSE '水路运输' END"
    cat = "CASE WHEN i % 20 < 9 THEN 'XZCF' ELSE 'XZXK' END"
    if dialect == "sqlite":
        dept = "printf('41%02d00-jtj', (i % 17) + 1)"
        day = "date(:today, '-' || (i % 540) || ' days')"
        return (
            "WITH RECURSIVE n(i) AS (SELECT :start UNION ALL SELECT i + 1 FROM n WHERE i < :stop) "
            "INSERT INTO credit_records (id, category, natural_key, revision, is_current, status, subject_id, "
            "batch_id, department_code, decision_date, reported_at, deadline_estimated, severity, publicity_start, "
            "publicity_end, quality_score, content_hash, data, created_at) "
            f"SELECT i, {cat}, 'BN' || i, 1, 1, 'active', 1 + (i * 7919) % :subjects, 1, {dept}, {day}, "
            f"{day} || ' 02:00:00.000000', 0, CASE WHEN i % 20 < 9 THEN 'general' END, {day}, "
            f"CASE WHEN i % 20 < 9 THEN date({day}, '+365 days') ELSE '2099-12-31' END, 1.0, 'x', "
            f"json_object('decision_no', 'BN' || i, 'domain', {domain}, 'authority', '交通运输局', "
            f"'penalty_content', '罚款人民币五千元', 'license_content', '道路普通货物运输', 'decision_date', {day}), "
            "datetime('now') FROM n"
        )
    dept = "'41' || lpad(((i % 17) + 1)::text, 2, '0') || '00-jtj'"
    day = "(CAST(:today AS date) - (i % 540))"
    return (
        "INSERT INTO credit_records (id, category, natural_key, revision, is_current, status, subject_id, "
        "batch_id, department_code, decision_date, reported_at, deadline_estimated, severity, publicity_start, "
        "publicity_end, quality_score, content_hash, data, created_at) "
        f"SELECT i, {cat}, 'BN' || i, 1, true, 'active', 1 + (i::bigint * 7919) % :subjects, 1, {dept}, {day}, "
        f"{day}::timestamptz, false, CASE WHEN i % 20 < 9 THEN 'general' END, {day}, "
        f"CASE WHEN i % 20 < 9 THEN {day} + 365 ELSE DATE '2099-12-31' END, 1.0, 'x', "
        f"json_build_object('decision_no', 'BN' || i, 'domain', {domain}, 'authority', '交通运输局', "
        f"'penalty_content', '罚款人民币五千元', 'license_content', '道路普通货物运输', 'decision_date', {day}), "
        "now() FROM generate_series(CAST(:start AS integer), CAST(:stop AS integer)) AS i"
    )


def run(backend: str, sizes: list[int], records: int, queries: int) -> None:
    import httpx

    from transport_credit.bootstrap import initialize
    from transport_credit.db.engine import make_engine
    from transport_credit.db.uow import Database
    from transport_credit.portal import service as portal
    from transport_credit.search.service import search
    from transport_credit.server import create_app
    from transport_credit.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
        engine = make_engine(url)
    else:
        schema = f"bench_portal_{uuid.uuid4().hex[:6]}"
        admin = make_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = PG_URL + f"?options=-csearch_path%3D{schema}"
        engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    settings = Settings(
        env="test", data_dir=tmp, database_url=url, secret_key="b" * 40, pii_key="p" * 40, public_rate_per_minute=10**9
    )
    db = Database(engine)
    dialect = engine.dialect.name
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(f"\n=== {backend} ===", flush=True)
    try:
        initialize(db, settings)
        rng = random.Random(5)
        loaded = 0
        for size in sorted(sizes):
            t = time.perf_counter()
            with engine.begin() as c:
                step = 200_000
                for start in range(loaded + 1, size + 1, step):
                    stop = min(size, start + step - 1)
                    c.execute(
                        text(_subjects_sql(dialect)),
                        {"start": start, "stop": stop, "cities": CITIES, "pool": POOL, "suffixes": SUFFIXES},
                    )
            if dialect == "postgresql":  # what autovacuum does after a bulk load (visibility map, statistics)
                with engine.connect() as c:
                    c.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
            else:
                with engine.begin() as c:
                    c.execute(text("ANALYZE"))
            loaded = size
            print(f"subjects: {size:,} loaded (+ index) in {time.perf_counter() - t:.1f} s", flush=True)
            with engine.connect() as c:
                sample = [
                    r[0]
                    for r in c.execute(
                        text("SELECT name FROM subjects WHERE id IN :ids").bindparams(
                            __import__("sqlalchemy").bindparam("ids", expanding=True)
                        ),
                        {"ids": [rng.randint(1, size) for _ in range(queries)]},
                    )
                ]
            q3 = []
            for name in sample:
                k = rng.randint(2, len(name) - 3)  # inside the 字号 / suffix, not just the city
                q3.append(name[k : k + 3])
            q2 = [name[2:4] for name in sample[: max(20, queries // 5)]]
            codes = [f"9141{rng.randint(1, 17):02d}00{rng.randint(1, size):010d}"[:10] for _ in range(queries // 3)]
            with db.read() as s:
                for q in q3[:10]:
                    search(s, q)  # warm caches
                ms3 = run_all(lambda q: search(s, q), q3)
                ms2 = run_all(lambda q: search(s, q), q2)
                msc = run_all(lambda q: search(s, q), codes)
                msn = run_all(lambda q: search(s, q), sample)
                scan = text("SELECT id FROM subjects WHERE (name || '') LIKE :p LIMIT 10")
                msb = run_all(lambda q, scan=scan: s.execute(scan, {"p": f"%{q}%"}).all(), q3[:60])
            print(f"search @ {size:>9,} subjects  3-char substring: {fmt(ms3)}", flush=True)
            print(f"                               full name:       {fmt(msn)}")
            print(f"                               2-char:          {fmt(ms2)}")
            print(f"                               code prefix:     {fmt(msc)}")
            print(f"  baseline (scan LIKE, no index, same queries): {fmt(msb)}")
            print(
                f"  ratio baseline/search: p50 {statistics.median(msb) / statistics.median(ms3):.1f}x, "
                f"p99 {pct(msb, 99) / pct(ms3, 99):.1f}x "
                f"(goal: search p99 <= 5 ms at 1,000,000, every kind of query: "
                f"{'met' if max(pct(m, 99) for m in (ms3, ms2, msc, msn)) <= 5 else 'NOT met'} at this size)",
                flush=True,
            )
        subjects = loaded
        t = time.perf_counter()
        # Bulk-load practice: drop the secondary indexes of credit_records, load, build them again (sorted builds
        # instead of millions of random index inserts). The final schema is exactly the migrated one.
        from transport_credit.records.models import CreditRecord

        indexes = list(CreditRecord.__table__.indexes)
        with engine.begin() as c:
            for index in indexes:
                index.drop(c)
        step = 1_000_000
        today = dt.date.today().isoformat()
        for start in range(1, records + 1, step):
            stop = min(records, start + step - 1)
            with engine.begin() as c:
                c.execute(
                    text(_records_sql(dialect)), {"start": start, "stop": stop, "subjects": subjects, "today": today}
                )
            print(f"  records {stop:,} …", flush=True)
        with engine.begin() as c:
            for index in indexes:
                index.create(c)
            c.execute(text("ANALYZE"))
        print(f"records: {records:,} loaded (indexes rebuilt) in {time.perf_counter() - t:.1f} s", flush=True)

        app = create_app(settings, db)
        ids = [rng.randint(1, subjects) for _ in range(queries)]
        week_ago = (dt.date.today() - dt.timedelta(days=7)).isoformat()
        lists = [
            "/disclosures?kind=XZCF",
            "/disclosures?kind=XZCF&region=410300&domain=%E9%81%93%E8%B7%AF%E8%BF%90%E8%BE%93",
            "/disclosures?kind=XZXK&page=20",
            "/disclosures",
            f"/disclosures?kind=XZCF&from={week_ago}",
        ]
        n_list = max(20, queries // 3)

        async def pages() -> None:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as ac:

                async def get_ms(path: str) -> float:
                    t = time.perf_counter()
                    (await ac.get(path)).raise_for_status()
                    return (time.perf_counter() - t) * 1000

                for i in ids[:5]:
                    await get_ms(f"/subjects/{i}")
                floor = [await get_ms("/static/site/favicon.svg") for _ in range(n_list)]
                print(f"transport floor (a static file through the same ASGI client): {fmt(floor)}")
                page = [await get_ms(f"/subjects/{i}") for i in ids]
                with db.read() as s:
                    raw_q = text(
                        "SELECT * FROM credit_records WHERE subject_id = :s AND is_current ORDER BY decision_date DESC"
                    )
                    raw = run_all(lambda i: s.execute(raw_q, {"s": i}).all(), ids)
                print(f"subject page @ {subjects:,} subjects, {records:,} records: {fmt(page)}")
                print(
                    f"  baseline (raw query of the subject's records): {fmt(raw)}  "
                    f"ratio p99 page/raw = {pct(page, 99) / pct(raw, 99):.1f}",
                    flush=True,
                )
                first: list[float] = []
                for path in lists:
                    await get_ms(path)
                    ms = [await get_ms(path) for _ in range(n_list)]
                    first = first or ms
                    print(f"list page {path[:70]:<70} {fmt(ms)}", flush=True)
                with db.read() as s:
                    raw_list = text(
                        "SELECT * FROM credit_records WHERE category = 'XZCF' AND is_current AND status = 'active' "
                        "ORDER BY decision_date DESC, id DESC LIMIT 21"
                    )
                    rl = timed(lambda: s.execute(raw_list).all(), n_list)
                print(f"  baseline (raw top-21 query of XZCF): {fmt(rl)}", flush=True)
                print(f"  ratio p99 list page/raw = {pct(first, 99) / pct(rl, 99):.1f}", flush=True)

        asyncio.run(pages())
        reports = []
        for i in ids[:15]:
            t = time.perf_counter()
            with db.unit_of_work() as s:
                portal.issue_report(s, settings, i, base_url="http://bench/", issuer="信用交通·河南")
            reports.append((time.perf_counter() - t) * 1000)
        print(f"credit report PDF: {fmt(reports)} (goal <= 1000 ms)", flush=True)
    finally:
        engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)
        if schema is not None:
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    ap.add_argument("--subjects", default="20000,100000", help="comma-separated sizes, searched at each")
    ap.add_argument("--records", type=int, default=300_000)
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args()
    sizes = [int(x) for x in args.subjects.split(",")]
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    for backend in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
        run(backend, sizes, args.records, args.queries)


if __name__ == "__main__":
    main()
