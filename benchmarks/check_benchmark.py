"""Benchmark: the credit check endpoint (POST /api/v1/checks) against a raw ASGI baseline, same database, same run.

    .venv/bin/python benchmarks/check_benchmark.py [--backend sqlite|postgresql|both]
        [--subjects 1000000 --entries 100000 --duration 30] [--soak-seconds 600 --soak-rate 500]

For each database:
1. data, generated set-based in SQL straight into a fresh database (``INSERT … SELECT`` over a recursive CTE on
   SQLite, ``generate_series`` on PostgreSQL): N subjects, E black-list entries (list_entries rows plus their
   HEIMD credit records in publicity, so E/N of the checks hit a black-listed subject and raise a warning); then
   ``VACUUM ANALYZE`` and ``CHECKPOINT`` (PostgreSQL) or ``ANALYZE`` and a WAL checkpoint (SQLite);
2. the platform served the way the README serves it in production (``tcredit serve``: uvicorn, app factory, one
   worker) pinned to CPU 0 with ``taskset``; the load generator (benchmarks/_loadgen.py, asyncio keep-alive
   connections, closed loop) pinned to CPU 1; random subject codes; ``--duration`` seconds after a warm-up;
3. baseline: a minimal raw ASGI app (benchmarks/_raw_check_asgi.py) that returns the same subject row from the same
   database by one indexed SELECT, served by uvicorn the same way, measured the same way;
4. optionally a soak: a fixed request rate for ``--soak-seconds``, server memory (RSS) sampled every 10 s.
Prints throughput and p50/p99 latency of both and the ratio (goal: ≥ 0.5 × baseline throughput, p99 ≤ 10 ms).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv" / "bin"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://root@127.0.0.1:5432/test")
PII_KEY = "benchmark-pii-key-0123456789abcdefghij"
SCHEMA = "bench_checks"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def prepare(backend: str, subjects: int, entries: int, workdir: Path) -> tuple[str, str, Path]:
    """A fresh database with the data; returns (url, api key, file of subject codes)."""
    sys.path.insert(0, str(ROOT / "src"))
    from sqlalchemy import text

    from transport_credit.auth import service as auth
    from transport_credit.auth.schema import SCOPE_CHECK
    from transport_credit.bootstrap import initialize
    from transport_credit.common.actor import SYSTEM
    from transport_credit.db.engine import make_engine
    from transport_credit.db.uow import Database
    from transport_credit.records.service import service_batch
    from transport_credit.settings import Settings

    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        admin = make_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
        with admin.begin() as c:
            c.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            c.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        admin.dispose()
        url = PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{SCHEMA}"
    settings = Settings(env="development", database_url=url, pii_key=PII_KEY, data_dir=workdir)  # type: ignore[arg-type]
    db = Database(make_engine(settings.effective_database_url))
    initialize(db, settings)
    t0 = time.perf_counter()
    step = max(1, subjects // max(entries, 1))
    pg = backend == "postgresql"
    start: object = dt.date(2026, 1, 1) if pg else "2026-01-01"
    end: object = dt.date(2099, 12, 31) if pg else "2099-12-31"
    with db.unit_of_work() as s:
        batch = service_batch(s, SYSTEM, category="HEIMD", department_code="410000-fgc", note="benchmark")
        if pg:
            series = "generate_series(1, :n) AS g(i)"
            code = "'91410100' || lpad(i::text, 9, '0') || 'X'"
            now = "now()"
        else:
            series = "n"
            code = "'91410100' || printf('%09d', i) || 'X'"
            now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
        prefix = "" if pg else "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n) "
        s.execute(
            text(
                prefix + "INSERT INTO subjects (kind, name, uscc, region_code, legal_representative, created_at, "
                f"updated_at) SELECT 'org', '基准测试运输' || i || '号有限公司', {code}, '410100', '王伟', {now}, {now} "
                f"FROM {series}"
            ),
            {"n": subjects},
        )
        obj = "json_build_object" if pg else "json_object"
        true = "true" if pg else "1"
        s.execute(
            text(
                "INSERT INTO credit_records (category, natural_key, revision, is_current, status, subject_id, batch_id,"
                " department_code, decision_date, reported_at, deadline_estimated, severity, publicity_start,"
                " publicity_end, quality_score, content_hash, data, created_at) "
                f"SELECT 'HEIMD', 'HEIMD-BENCH-' || id, 1, {true}, 'active', id, :batch, '410000-fgc', :start, {now},"
                f" {'false' if pg else '0'}, 'serious', :start, :end, 1.0, 'bench',"
                f" {obj}('subject_name', name, 'decision_no', 'HEIMD-BENCH-' || id, 'list_name',"
                " '失信联合惩戒对象名单（黑名单）', 'reason', '一年内违法超限运输 5 次', 'basis', '交政研发〔2018〕181号',"
                f" 'authority', '河南省交通运输厅', 'valid_until', '2099-12-31'), {now} "
                "FROM subjects WHERE id % :step = 0"
            ),
            {"batch": batch.id, "start": start, "end": end, "step": step},
        )
        s.execute(
            text(
                "INSERT INTO list_entries (entry_no, list_code, list_type, subject_id, subject_name, origin, state,"
                " reason, basis, department_code, evidence, proposed_by, proposed_at, listed_at, valid_from,"
                " valid_until, record_key, updated_at) "
                "SELECT 'HEIMD-BENCH-' || id, 'black', 'black', id, name, 'manual', 'listed', '基准测试', '基准测试',"
                f" '410000-fgc', '[]', 'benchmark', {now}, {now}, :start, :end, 'HEIMD-BENCH-' || id, {now} "
                "FROM subjects WHERE id % :step = 0"
            ),
            {"start": start, "end": end, "step": step},
        )
        _, key = auth.create_api_client(s, SYSTEM, "基准测试审批系统", "410000-ysj", [], [SCOPE_CHECK])
    # The server then meets the data as a running platform does: statistics, visibility map and hint bits set
    # (VACUUM ANALYZE, what autovacuum would do soon after a load and docs/operations.md asks for after a large
    # one; the CI server runs with autovacuum off), and the load's WAL written out by a checkpoint, so the
    # measurement is of serving checks, not of the database digesting its own set-up.
    if pg:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE subjects, credit_records, list_entries"))
            c.execute(text("CHECKPOINT"))
    else:
        with db.engine.begin() as c:
            c.execute(text("ANALYZE"))
        import sqlite3  # outside the engine, whose connections open every transaction with BEGIN IMMEDIATE

        raw = sqlite3.connect(workdir / "bench.db")
        try:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            raw.close()
    print(
        f"  data: {subjects:,} subjects, {subjects // step:,} list entries in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    db.engine.dispose()
    rng = random.Random(4)
    codes = workdir / "codes.txt"
    codes.write_text("\n".join(f"91410100{rng.randint(1, subjects):09d}X" for _ in range(20000)))
    return url, key, codes


def _env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "TRANSPORT_CREDIT_DATABASE_URL": url,
            "TRANSPORT_CREDIT_PII_KEY": PII_KEY,
            "TRANSPORT_CREDIT_LOG_LEVEL": "WARNING",
            "TRANSPORT_CREDIT_PROVINCE": "henan",
            "BENCH_DATABASE_URL": url,
        }
    )
    return env


def _serve(cmd: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        ["taskset", "-c", "0", *cmd], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _wait_port(port, proc)
    return proc


def _load(port: int, key: str, codes: Path, duration: float, *, path: str, rate: float = 0) -> dict[str, object]:
    cmd = [
        "taskset",
        "-c",
        "1",
        str(VENV / "python"),
        str(ROOT / "benchmarks" / "_loadgen.py"),
        "--port",
        str(port),
        "--key",
        key,
        "--codes",
        str(codes),
        "--duration",
        str(duration),
        "--path",
        path,
    ]
    if rate:
        cmd += ["--rate", str(rate), "--connections", "32", "--warmup", "0"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _server_pid(proc: subprocess.Popen[bytes]) -> int:
    return proc.pid  # tcredit serve runs uvicorn in-process with one worker


def run(backend: str, args: argparse.Namespace) -> dict[str, object]:
    print(f"== {backend}", flush=True)
    with tempfile.TemporaryDirectory(prefix="checkbench-") as tmp:
        url, key, codes = prepare(backend, args.subjects, args.entries, Path(tmp))
        env = _env(url)
        port = _free_port()
        app = _serve([str(VENV / "tcredit"), "serve", "--port", str(port)], env, port)
        try:
            _load(port, key, codes, 3, path="/api/v1/checks")  # warm caches (key verification, rules, pages)
            platform = _load(port, key, codes, args.duration, path="/api/v1/checks")
            soak = None
            if args.soak_seconds:
                soak = _soak(app, port, key, codes, args)
        finally:
            app.terminate()
            app.wait(10)
        port = _free_port()
        raw = _serve(
            [
                str(VENV / "uvicorn"),
                "_raw_check_asgi:app",
                "--app-dir",
                "benchmarks",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env,
            port,
        )
        try:
            _load(port, key, codes, 3, path="/")
            baseline = _load(port, key, codes, args.duration, path="/")
        finally:
            raw.terminate()
            raw.wait(10)
    ratio = round(float(platform["rps"]) / float(baseline["rps"]), 2)  # type: ignore[arg-type]
    result = {
        "backend": backend,
        "subjects": args.subjects,
        "entries": args.entries,
        "duration_s": args.duration,
        "platform": platform,
        "baseline": baseline,
        "ratio": ratio,
        "soak": soak,
    }
    print(
        f"  baseline (raw ASGI, one SELECT): {baseline['rps']} req/s, p50 {baseline['p50_ms']} ms, "
        f"p99 {baseline['p99_ms']} ms",
        flush=True,
    )
    print(
        f"  POST /api/v1/checks:            {platform['rps']} req/s, p50 {platform['p50_ms']} ms, "
        f"p99 {platform['p99_ms']} ms, errors {platform['errors']}",
        flush=True,
    )
    print(f"  ratio platform / baseline: {ratio}  (goal ≥ 0.5; p99 goal ≤ 10 ms)", flush=True)
    if soak:
        print(f"  soak {args.soak_seconds} s at {args.soak_rate}/s: {soak}", flush=True)
    return result


def _soak(
    app: subprocess.Popen[bytes], port: int, key: str, codes: Path, args: argparse.Namespace
) -> dict[str, object]:
    pid = _server_pid(app)
    samples = [round(_rss_mib(pid), 1)]
    cmd_result: dict[str, object] = {}
    import threading

    def go() -> None:
        cmd_result.update(_load(port, key, codes, args.soak_seconds, path="/api/v1/checks", rate=args.soak_rate))

    t = threading.Thread(target=go)
    t.start()
    while t.is_alive():
        t.join(10)
        samples.append(round(_rss_mib(pid), 1))
    return {
        **cmd_result,
        "rss_mib_samples": samples,
        "rss_start_mib": samples[1] if len(samples) > 1 else samples[0],
        "rss_end_mib": samples[-1],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    ap.add_argument("--subjects", type=int, default=20_000, help="full size: 1000000")
    ap.add_argument("--entries", type=int, default=2_000, help="full size: 100000")
    ap.add_argument("--duration", type=float, default=10, help="seconds of load (full: 30)")
    ap.add_argument("--soak-seconds", type=float, default=0, help="fixed-rate soak (full: 600)")
    ap.add_argument("--soak-rate", type=float, default=500, help="requests per second during the soak")
    args = ap.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = [run(b, args) for b in backends]
    out = ROOT / "benchmarks" / "out"
    out.mkdir(exist_ok=True)
    (out / "check_benchmark.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
