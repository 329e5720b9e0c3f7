"""Benchmark: the 道路运输企业 evaluation model over N subjects with 10 credit records each, against one hand-written
SQL statement computing the same scores on the same database, plus dynamic re-evaluation latency of one subject.

    .venv/bin/python benchmarks/evaluation_benchmark.py [--subjects 20000[,200000]] [--backend sqlite|postgresql|both]
    # the issue's full sizes:
    .venv/bin/python benchmarks/evaluation_benchmark.py --subjects 100000,1000000 --backend both

For each database and size, in the same run and on the same data:
- data: subjects and records are generated set-based by SQL straight into the tables (``WITH RECURSIVE`` on
  SQLite, ``generate_series`` on PostgreSQL), not through the import pipeline; 80% of the subjects are road
  transport firms, 20% highway builders (outside the model), records spread over 2024–2025;
- baseline: ONE hand-written ``CREATE TABLE … AS SELECT`` computing every subject's score with conditional sums;
- engine: ``run_evaluation`` (population, rule hits with record ids, overrides, grades with constraints, results,
  warnings, audit) in one transaction; the scores are checked equal to the baseline's;
- publish: writing the results as XYPJ credit records (reported separately);
- dynamic: ``reevaluate_subjects`` for one subject at a time (a transaction each), p50 / p99 over 200 subjects,
  measured twice on different subjects: right after the bulk run and publication, and again after a checkpoint
  has written the bulk work out (``CHECKPOINT`` / ``wal_checkpoint(TRUNCATE)``): the steady state in which
  dynamic re-evaluations run all day.
The ratio engine / baseline is the figure of merit (goal ≤ 2); p99 goal ≤ 20 ms. Sizes run in separate processes.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

OUT = Path(__file__).parent / "out"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://root@127.0.0.1:5432/test")
CITIES = [
    "4101",
    "4102",
    "4103",
    "4104",
    "4105",
    "4106",
    "4107",
    "4108",
    "4109",
    "4110",
    "4111",
    "4112",
    "4113",
    "4114",
    "4115",
    "4116",
    "4117",
]

# Deterministic pseudo-random numbers from the subject number i and the record number j (both dialects).
SQLITE_DATA = """
INSERT INTO subjects (id, kind, name, uscc, region_code, created_at, updated_at)
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :n)
SELECT i, CASE WHEN i % 10 = 0 THEN 'individual_business' ELSE 'org' END, '企业' || i,
       '91' || c.code || '02' || substr('000000000' || i, -9) || 'X', c.code || '02', :now, :now
FROM seq JOIN bench_cities c ON c.k = i % :ncities;

INSERT INTO credit_records (id, category, natural_key, revision, is_current, status, subject_id, batch_id,
    department_code, decision_date, reported_at, deadline_estimated, severity, publicity_start, publicity_end,
    quality_score, content_hash, data, created_at)
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :n),
     js(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM js WHERE j < 9),
     base AS (
       SELECT i, j, i * 10 + j AS id,
         CASE WHEN j = 0 THEN 'XZXK' WHEN (i * 31 + j * 17) % 100 < 70 THEN 'XZCF'
              WHEN (i * 31 + j * 17) % 100 < 85 THEN 'XYCN' WHEN (i * 31 + j * 17) % 100 < 97 THEN 'HMD'
              ELSE 'HEIMD' END AS cat,
         CASE WHEN i % 5 = 0 THEN '公路建设' ELSE '道路运输' END AS dom,
         date('2024-01-01', '+' || ((i * 7 + j * 131) % 730) || ' days') AS day,
         (i * 13 + j * 7) % 10 AS sv, (i * 3 + j * 11) % 10 AS pt, (i * 17 + j * 5) % 100 AS vt,
         (i * j + i) % 60 AS fine, (i + j * 3) % 3 AS ff
       FROM seq, js)
SELECT id, cat, cat || '-' || id, 1, 1, 'active', i, 0, '410000-zfj', day, :now, 0,
  CASE WHEN cat = 'XZCF' THEN CASE WHEN sv = 0 THEN 'serious' WHEN sv < 3 THEN 'minor' ELSE 'general' END END,
  CASE WHEN cat IN ('HMD', 'HEIMD') THEN day END,
  CASE WHEN cat IN ('HMD', 'HEIMD') THEN date(day, '+' || (365 + 365 * (i % 2)) || ' days') END,
  1.0, 'bench',
  CASE cat
    WHEN 'XZCF' THEN json_object(
      'penalty_type', CASE WHEN pt < 6 THEN '罚款' WHEN pt < 8 THEN '警告' WHEN pt < 9 THEN '罚款；没收违法所得'
                           ELSE '通报批评' END,
      'fine_amount', fine / 10.0,
      'violation_type', CASE WHEN vt < 20 THEN '超限运输' WHEN vt < 30 THEN '客运车辆超员'
                             ELSE '未按规定随车携带道路运输证' END,
      'domain', dom, 'subdomain', '道路货物运输')
    WHEN 'XYCN' THEN json_object('fulfilment', CASE ff WHEN 0 THEN '已履约' WHEN 1 THEN '未履约' ELSE '履约中' END,
                                 'domain', dom)
    ELSE json_object('domain', dom, 'subdomain', '道路货物运输') END,
  :now
FROM base;
"""

PG_DATA = """
INSERT INTO subjects (id, kind, name, uscc, region_code, created_at, updated_at)
SELECT i, CASE WHEN i % 10 = 0 THEN 'individual_business' ELSE 'org' END, '企业' || i,
       '91' || c.code || '02' || lpad(i::text, 9, '0') || 'X', c.code || '02', :now, :now
FROM generate_series(1, :n) AS i JOIN bench_cities c ON c.k = i % :ncities;

INSERT INTO credit_records (id, category, natural_key, revision, is_current, status, subject_id, batch_id,
    department_code, decision_date, reported_at, deadline_estimated, severity, publicity_start, publicity_end,
    quality_score, content_hash, data, created_at)
WITH base AS (
  SELECT i, j, i::bigint * 10 + j AS id,
    CASE WHEN j = 0 THEN 'XZXK' WHEN (i * 31 + j * 17) % 100 < 70 THEN 'XZCF'
         WHEN (i * 31 + j * 17) % 100 < 85 THEN 'XYCN' WHEN (i * 31 + j * 17) % 100 < 97 THEN 'HMD'
         ELSE 'HEIMD' END AS cat,
    CASE WHEN i % 5 = 0 THEN '公路建设' ELSE '道路运输' END AS dom,
    DATE '2024-01-01' + ((i * 7 + j * 131) % 730) AS day,
    (i * 13 + j * 7) % 10 AS sv, (i * 3 + j * 11) % 10 AS pt, (i * 17 + j * 5) % 100 AS vt,
    (i * j + i) % 60 AS fine, (i + j * 3) % 3 AS ff
  FROM generate_series(1, :n) AS i, generate_series(0, 9) AS j)
SELECT id, cat, cat || '-' || id, 1, true, 'active', i, 0, '410000-zfj', day, :now, false,
  CASE WHEN cat = 'XZCF' THEN CASE WHEN sv = 0 THEN 'serious' WHEN sv < 3 THEN 'minor' ELSE 'general' END END,
  CASE WHEN cat IN ('HMD', 'HEIMD') THEN day END,
  CASE WHEN cat IN ('HMD', 'HEIMD') THEN day + (365 + 365 * (i % 2)) END,
  1.0, 'bench',
  CASE cat
    WHEN 'XZCF' THEN json_build_object(
      'penalty_type', CASE WHEN pt < 6 THEN '罚款' WHEN pt < 8 THEN '警告' WHEN pt < 9 THEN '罚款；没收违法所得'
                           ELSE '通报批评' END,
      'fine_amount', fine / 10.0,
      'violation_type', CASE WHEN vt < 20 THEN '超限运输' WHEN vt < 30 THEN '客运车辆超员'
                             ELSE '未按规定随车携带道路运输证' END,
      'domain', dom, 'subdomain', '道路货物运输')
    WHEN 'XYCN' THEN json_build_object('fulfilment', CASE ff WHEN 0 THEN '已履约' WHEN 1 THEN '未履约' ELSE '履约中' END,
                                       'domain', dom)
    ELSE json_build_object('domain', dom, 'subdomain', '道路货物运输') END,
  :now
FROM base
ORDER BY i, j;
"""

# Subjects i and i + SAME_RECORDS get the same generated records (the generator's moduli: 100, 730, 60, 10, 3, 2), so
# the second dynamic sample changes as many grades as the first.
SAME_RECORDS = 21900

# The baseline: one statement, written by hand from data/evaluation/road_transport_enterprise.yaml.
BASELINE = """
CREATE TABLE bench_baseline AS
SELECT s.id AS subject_id,
  {greatest}(0.0, {least}(100.0, 100.0 - COALESCE(a.ded, 0) + {least}(COALESCE(a.bon, 0), 10.0))) AS score
FROM subjects s
LEFT JOIN (
  SELECT r.subject_id,
    5.0 * SUM(CASE WHEN r.category = 'XZCF' AND r.severity IN ('minor', 'general') THEN 1 ELSE 0 END)
    + 20.0 * SUM(CASE WHEN r.category = 'XZCF' AND r.severity = 'serious' THEN 1 ELSE 0 END)
    + {least}(15.0, 3.0 * SUM(CASE WHEN r.category = 'XZCF' AND {num_fine} >= 1 THEN 1 ELSE 0 END))
    + {least}(20.0, 5.0 * SUM(CASE WHEN r.category = 'XZCF' AND ({vt} LIKE '%超限%' OR {vt} LIKE '%超载%'
                                                             OR {vt} LIKE '%超员%') THEN 1 ELSE 0 END))
    + 10.0 * SUM(CASE WHEN r.category = 'XYCN' AND {ful} = '未履约' THEN 1 ELSE 0 END) AS ded,
    CASE WHEN SUM(CASE WHEN r.category = 'HMD' THEN 1 ELSE 0 END) > 0 THEN 5.0 ELSE 0.0 END
    + {least}(5.0, 1.0 * SUM(CASE WHEN r.category = 'XYCN' AND {ful} = '已履约' THEN 1 ELSE 0 END)) AS bon
  FROM credit_records r
  WHERE r.is_current = {true} AND r.status = 'active' AND r.category IN ('XZCF', 'XYCN', 'HMD')
    AND r.decision_date BETWEEN '2025-01-01' AND '2025-12-31'
  GROUP BY r.subject_id
) a ON a.subject_id = s.id
WHERE s.kind IN ('org', 'individual_business')
  AND EXISTS (SELECT 1 FROM credit_records p WHERE p.subject_id = s.id AND p.category IN ('XZXK', 'XZCF', 'XYCN')
              AND p.is_current = {true} AND p.status = 'active' AND p.decision_date <= '2025-12-31'
              AND {dom} = '道路运输')
"""


def _baseline_sql(dialect: str) -> str:
    if dialect == "postgresql":
        return BASELINE.format(
            greatest="GREATEST",
            least="LEAST",
            true="true",
            num_fine="CAST(r.data ->> 'fine_amount' AS FLOAT)",
            vt="(r.data ->> 'violation_type')",
            ful="(r.data ->> 'fulfilment')",
            dom="(p.data ->> 'domain')",
        )
    return BASELINE.format(
        greatest="max",
        least="min",
        true="1",
        num_fine="CAST(json_extract(r.data, '$.fine_amount') AS REAL)",
        vt="json_extract(r.data, '$.violation_type')",
        ful="json_extract(r.data, '$.fulfilment')",
        dom="json_extract(p.data, '$.domain')",
    )


def _child(backend: str, url: str, n: int, dynamic_samples: int) -> dict[str, object]:
    """Runs in a subprocess: one database, one size; returns the figures."""
    from sqlalchemy import text

    from transport_credit.bootstrap import initialize
    from transport_credit.common.actor import ROLE_CREDIT_OFFICE, Actor
    from transport_credit.db.engine import make_engine
    from transport_credit.db.uow import Database
    from transport_credit.evaluation import service
    from transport_credit.evaluation.models import EvaluationResult
    from transport_credit.settings import Settings

    settings = Settings(
        env="test", data_dir=Path(tempfile.mkdtemp()), database_url=url, pii_key="bench-pii-key-0123456789-0123456789"
    )  # type: ignore[arg-type]
    db = Database(make_engine(settings.effective_database_url))
    initialize(db, settings)
    actor = Actor("bench", "cli", department_code="410000-ysc", roles=frozenset({ROLE_CREDIT_OFFICE}))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    t0 = time.perf_counter()
    script = PG_DATA if backend == "postgresql" else SQLITE_DATA
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE bench_cities (k INTEGER PRIMARY KEY, code TEXT)"))
        conn.execute(
            text("INSERT INTO bench_cities VALUES " + ", ".join(f"({k}, '{c}')" for k, c in enumerate(CITIES)))
        )
        for stmt in [s for s in script.split(";\n") if s.strip()]:
            conn.execute(text(stmt), {"n": n, "now": now, "ncities": len(CITIES)})
        if backend == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('subjects', 'id'), :n)"), {"n": n})
            conn.execute(text("SELECT setval(pg_get_serial_sequence('credit_records', 'id'), :m)"), {"m": n * 10 + 10})
    with db.engine.begin() as conn:
        # only this benchmark's tables: a database-wide ANALYZE would lock other schemas' tables
        conn.execute(text("ANALYZE subjects" if backend == "sqlite" else "ANALYZE subjects, credit_records"))
        if backend == "sqlite":
            conn.execute(text("ANALYZE credit_records"))
    generated = time.perf_counter() - t0

    with db.engine.begin() as conn:
        t0 = time.perf_counter()
        conn.execute(text(_baseline_sql(backend)))
        baseline = time.perf_counter() - t0
        base_count, base_sum = conn.execute(text("SELECT COUNT(*), SUM(score) FROM bench_baseline")).one()

    t0 = time.perf_counter()
    with db.unit_of_work() as s:
        summary = service.run_evaluation(s, actor, settings, "road_transport_enterprise", "2025")
    engine_s = time.perf_counter() - t0
    with db.read() as s:
        from sqlalchemy import func, select

        eng_count, eng_sum = s.execute(
            select(func.count(), func.sum(EvaluationResult.score)).where(EvaluationResult.run_id == summary.run_id)
        ).one()
        # explanation rows (one per subject and source) and the rules and overrides they record as applied
        hit_rows, applied = s.execute(
            text(
                "SELECT COUNT(*), SUM(CASE WHEN source = 'rules' THEN applied ELSE 1 END) FROM evaluation_hits "
                "WHERE run_id = :r"
            ),
            {"r": summary.run_id},
        ).one()
    same = int(eng_count) == int(base_count) and abs(float(eng_sum) - float(base_sum)) < 1e-6 * max(1, float(base_sum))

    t0 = time.perf_counter()
    with db.unit_of_work() as s:
        published = service.publish_run(s, actor, settings, summary.run_id)
    publish_s = time.perf_counter() - t0
    with db.read() as s:
        linked = s.scalar(
            text("SELECT COUNT(*) FROM evaluation_results WHERE run_id = :r AND record_id IS NOT NULL"),
            {"r": summary.run_id},
        )
    assert linked == published, (linked, published)

    # dynamic re-evaluation of one subject at a time (one transaction each), after a warm-up: first right after
    # the bulk publication, then on other subjects once a checkpoint has written the bulk work out (steady state)
    step = max(1, n // (dynamic_samples + 1))

    def dynamic(offset: int) -> tuple[float, float, int]:
        ids = [(i - 1 + offset) % n + 1 for i in range(1, n + 1, step) if i % 5 != 0][: dynamic_samples + 10]
        lat, changed = [], 0
        for k, sid in enumerate(ids):
            t0 = time.perf_counter()
            with db.unit_of_work() as s:
                out = service.reevaluate_subjects(s, actor, settings, [sid], models=["road_transport_enterprise"])
            if k >= 10:
                lat.append((time.perf_counter() - t0) * 1000)
                changed += sum(1 for r in out if r.published)
        lat.sort()
        return statistics.median(lat), lat[min(len(lat) - 1, int(len(lat) * 0.99))], changed

    after_bulk = dynamic(0)
    if backend == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CHECKPOINT"))
    else:  # outside the engine's connections, which open every transaction with BEGIN IMMEDIATE
        import sqlite3

        with contextlib.closing(sqlite3.connect(url[len("sqlite:///") :])) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    settled = dynamic(SAME_RECORDS)  # other subjects whose generated records follow the same pattern
    db.engine.dispose()
    return {
        "backend": backend,
        "subjects": n,
        "records": n * 10,
        "generate_s": round(generated, 1),
        "evaluated": int(eng_count),
        "hit_rows": int(hit_rows or 0),
        "rules_applied": int(applied or 0),
        "baseline_s": round(baseline, 2),
        "engine_s": round(engine_s, 2),
        "ratio": round(engine_s / baseline, 2),
        "scores_equal": same,
        "publish_s": round(publish_s, 2),
        "published": published,
        "dynamic_p50_ms": round(after_bulk[0], 1),
        "dynamic_p99_ms": round(after_bulk[1], 1),
        "dynamic_changed": after_bulk[2],
        "settled_p50_ms": round(settled[0], 1),
        "settled_p99_ms": round(settled[1], 1),
        "settled_changed": settled[2],
        "grades": summary.grade_counts,
    }


def _url(backend: str) -> tuple[str, str | None]:
    """A fresh database: a temporary SQLite file, or a new PostgreSQL schema (returned to drop it afterwards)."""
    if backend == "sqlite":
        path = Path(tempfile.mkdtemp(dir=OUT)) / "bench.db"
        return f"sqlite:///{path}", None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    from sqlalchemy import text

    from transport_credit.db.engine import make_engine

    admin = make_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}", schema


def _drop(schema: str) -> None:
    from sqlalchemy import text

    from transport_credit.db.engine import make_engine

    admin = make_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", default="20000", help="comma-separated sizes (issue: 100000,1000000)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--dynamic-samples", type=int, default=200)
    parser.add_argument("--child", nargs=3, metavar=("BACKEND", "URL", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        backend, url, n = args.child
        print(json.dumps(_child(backend, url, int(n), args.dynamic_samples), ensure_ascii=False))
        return
    OUT.mkdir(exist_ok=True)
    sizes = [int(x) for x in args.subjects.split(",")]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = []
    for backend in backends:
        for n in sizes:
            url, schema = _url(backend)
            try:
                proc = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--dynamic-samples",
                        str(args.dynamic_samples),
                        "--child",
                        backend,
                        url,
                        str(n),
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if proc.returncode != 0:
                    print(proc.stderr[-4000:], file=sys.stderr)
                    raise SystemExit(f"{backend} {n}: failed")
                r = json.loads(proc.stdout.strip().splitlines()[-1])
            finally:
                if schema:
                    _drop(schema)
                elif url.startswith("sqlite:///"):
                    db_path = Path(url[len("sqlite:///") :])
                    for suffix in ("", "-wal", "-shm"):
                        Path(str(db_path) + suffix).unlink(missing_ok=True)
                    db_path.parent.rmdir()
            results.append(r)
            print(
                f"{backend:10} {n:>9,} subjects {n * 10:>11,} records | baseline (one SQL statement) "
                f"{r['baseline_s']:8.2f} s | engine {r['engine_s']:8.2f} s | ratio {r['ratio']:5.2f} "
                f"(goal ≤ 2) | scores equal: {r['scores_equal']} | publish XYPJ {r['publish_s']:.2f} s | "
                f"dynamic p50 / p99 (goal ≤ 20 ms): right after the bulk run {r['dynamic_p50_ms']} / "
                f"{r['dynamic_p99_ms']} ms ({r['dynamic_changed']} of {args.dynamic_samples} changed grade), after a "
                f"checkpoint {r['settled_p50_ms']} / {r['settled_p99_ms']} ms ({r['settled_changed']} changed) | "
                f"data generated in {r['generate_s']} s",
                flush=True,
            )
    for backend in backends:
        rows = [r for r in results if r["backend"] == backend]
        if len(rows) > 1:
            a, b = rows[0], rows[-1]
            print(
                f"{backend}: subjects ×{b['subjects'] / a['subjects']:.0f} → engine time "
                f"×{b['engine_s'] / a['engine_s']:.1f}, baseline ×{b['baseline_s'] / a['baseline_s']:.1f}, "
                f"dynamic p99 {a['dynamic_p99_ms']} → {b['dynamic_p99_ms']} ms"
            )
    (OUT / "evaluation_benchmark.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
