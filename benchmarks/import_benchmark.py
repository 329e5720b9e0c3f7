"""Benchmark: importing a 行政处罚 file in GB18030, end to end, against the raw bulk load of the same rows.

    .venv/bin/python benchmarks/import_benchmark.py [--rows 1000000] [--backend sqlite|postgresql|both]

For each database, in the same run:
- baseline: the same rows loaded into a plain table of text columns by the database's fastest plain path
  (SQLite: csv reader + ``executemany`` in one transaction; PostgreSQL: ``COPY … FROM STDIN (ENCODING 'GB18030')``);
- end to end: ``tcredit import`` (parse, validate against the catalog, subjects, revisions, provenance, quarantine);
- storage floor: the rows the end-to-end import stored in ``credit_records``, read back and inserted again into a
  fresh database by the same bulk path the pipeline uses (with the table's indexes), with no parsing or validation.
  It bounds what any pipeline can reach with this schema, and shows how much of the gap is the storage itself.
Both print rows/s; the ratio end-to-end / baseline is the figure of merit (goal ≥ 0.6). Each measurement runs in
its own process so its peak memory (max RSS) is its own: the import must stream, not hold the file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

OUT = Path(__file__).parent / "out"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://root@127.0.0.1:5432/test")


def make_file(rows: int) -> Path:
    """The benchmark file (cached): realistic rows with the standard headers, GB18030."""
    from transport_credit.catalog.loader import shipped_documents
    from transport_credit.catalog.rules import merge_catalog
    from transport_credit.demo import generator as g

    OUT.mkdir(exist_ok=True)
    path = OUT / f"xzcf-{rows}.csv"
    if path.exists():
        return path
    catalog = merge_catalog([d.document for d in shipped_documents("henan")])
    cat = catalog.category("XZCF")
    headers = {f.key: f.name for f in cat.fields}
    rng = random.Random(2026)
    cities = {"410100": "郑州市", "410300": "洛阳市", "410400": "平顶山市", "410700": "新乡市", "411300": "南阳市"}
    subjects = g.subjects(max(1000, rows // 5), list(cities), cities, seed=11)
    authority = g.Authority("河南省交通运输综合行政执法局", "11410000MB00010080", "豫交执")
    tmp = path.with_suffix(".tmp")
    g.write_csv(
        tmp, headers, g.penalty_rows(subjects, authority, dt.date(2025, 1, 1), dt.date(2026, 10, 31), rows, rng)
    )
    tmp.rename(path)
    return path


def _child(kind: str, backend: str, url: str, path: str) -> None:
    """Runs in a subprocess: one measurement; prints JSON."""
    from sqlalchemy import text

    from transport_credit.db.engine import make_engine

    t0 = time.perf_counter()
    rows = 0
    if kind == "raw":
        import csv

        engine = make_engine(url)
        with open(path, encoding="gb18030", newline="") as fh:
            header = next(csv.reader(fh))
        cols = ", ".join(f'"c{i}" TEXT' for i in range(len(header)))
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS raw_load"))
            conn.execute(text(f"CREATE TABLE raw_load ({cols})"))
        t0 = time.perf_counter()
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            if backend == "sqlite":
                with open(path, encoding="gb18030", newline="") as fh:
                    reader = csv.reader(fh)
                    next(reader)
                    marks = ", ".join("?" for _ in header)
                    cur.execute("BEGIN")
                    cur.executemany(f"INSERT INTO raw_load VALUES ({marks})", reader)
                    rows = cur.execute("SELECT count(*) FROM raw_load").fetchone()[0]
                raw.commit()
            else:
                sql = "COPY raw_load FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING 'GB18030')"
                with open(path, "rb") as fh, cur.copy(sql) as copy:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        copy.write(block)
                raw.commit()
                cur.execute("SELECT count(*) FROM raw_load")
                rows = cur.fetchone()[0]
        finally:
            raw.close()
    elif kind == "floor":
        import polars as pl

        from transport_credit.bootstrap import initialize
        from transport_credit.db.dialect import bulk_insert_frame
        from transport_credit.db.uow import Database
        from transport_credit.records.models import CreditRecord
        from transport_credit.settings import Settings

        settings = Settings(data_dir=Path(path).parent / "var", database_url=url)
        db = Database(make_engine(settings.effective_database_url))
        initialize(db, settings)
        stored = pl.read_parquet(_stored_path(Path(path)))
        if backend == "postgresql":
            stored = stored.with_columns(
                pl.when(pl.col("pii_cipher").is_not_null())
                .then(pl.lit("\\x") + pl.col("pii_cipher").bin.encode("hex"))
                .alias("pii_cipher")
            )
        chunk = settings.import_chunk_rows
        t0 = time.perf_counter()
        with db.unit_of_work() as session:
            for start in range(0, stored.height, chunk):
                bulk_insert_frame(session, CreditRecord.__table__, stored.slice(start, chunk))  # type: ignore[arg-type]
        rows = stored.height
    else:
        from transport_credit.bootstrap import initialize
        from transport_credit.common.actor import Actor
        from transport_credit.db.uow import Database
        from transport_credit.ingest.service import import_file
        from transport_credit.settings import Settings

        settings = Settings(data_dir=Path(path).parent / "var", database_url=url)
        db = Database(make_engine(settings.effective_database_url))
        initialize(db, settings)
        actor = Actor("benchmark", "cli", roles=frozenset({"admin"}))
        t0 = time.perf_counter()
        with db.unit_of_work() as session:
            summary = import_file(session, actor, settings, Path(path), category="XZCF", department="410000-zfj")
        rows = summary.total
        assert summary.accepted + summary.warned + summary.rejected + summary.unchanged + summary.revised == rows
        elapsed = time.perf_counter() - t0
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        _save_stored_rows(db, Path(path))  # after the measurement: its memory is not the import's
        print(json.dumps({"rows": rows, "seconds": elapsed, "peak_mib": peak_kib / 1024}))
        return
    elapsed = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": rows, "seconds": elapsed, "peak_mib": peak_kib / 1024}))


def _stored_path(path: Path) -> Path:
    return path.parent / "stored-records.parquet"


def _save_stored_rows(db: object, path: Path) -> None:
    """Keep the rows the import stored (every column but the id, as the database's text) for the floor measurement."""
    import polars as pl

    from transport_credit.db.uow import Database
    from transport_credit.records.models import CreditRecord

    assert isinstance(db, Database)
    table = CreditRecord.__table__
    textual = {
        "decision_date",
        "report_deadline",
        "publicity_start",
        "publicity_min_end",
        "publicity_end",
        "reported_at",
        "created_at",
        "data",
        "warnings",
    }
    names = [c.name for c in table.c if c.name != "id"]  # type: ignore[attr-defined]
    cols = ", ".join(f"CAST({n} AS TEXT) AS {n}" if n in textual else n for n in names)
    with db.read() as session:
        result = session.connection().exec_driver_sql(f"SELECT {cols} FROM credit_records ORDER BY id")
        frame = pl.DataFrame([tuple(r) for r in result], schema=names, orient="row", infer_schema_length=None)
    frame.write_parquet(_stored_path(path))


def _database(backend: str, workdir: Path) -> tuple[str, str | None]:
    """A fresh, empty database URL for one measurement (and a PostgreSQL schema to drop afterwards)."""
    if backend == "sqlite":
        return f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:6]}.db'}", None
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{PG_URL}?options=-csearch_path%3D{schema}", schema


def _drop(schema: str | None) -> None:
    if schema:
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def measure(kind: str, backend: str, path: Path, workdir: Path) -> dict[str, float]:
    url, schema = _database(backend, workdir)
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--child", kind, backend, url, str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]
    except subprocess.CalledProcessError as exc:
        print(exc.stderr, file=sys.stderr)
        raise
    finally:
        _drop(schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    t = time.perf_counter()
    path = make_file(args.rows)
    print(
        f"file: {path.name} ({path.stat().st_size / 1e6:.0f} MB, GB18030), made or found in {time.perf_counter() - t:.0f} s"
    )
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        for backend in backends:
            raw = measure("raw", backend, path, Path(tmp))
            e2e = measure("e2e", backend, path, Path(tmp))
            floor = measure("floor", backend, path, Path(tmp))
            raw_rate = raw["rows"] / raw["seconds"]
            e2e_rate = e2e["rows"] / e2e["seconds"]
            print(f"\n[{backend}] {int(e2e['rows']):,} rows")
            print(
                f"  baseline raw bulk load : {raw_rate:10,.0f} rows/s  ({raw['seconds']:.1f} s, peak {raw['peak_mib']:.0f} MiB)"
            )
            print(
                f"  end-to-end import      : {e2e_rate:10,.0f} rows/s  ({e2e['seconds']:.1f} s, peak {e2e['peak_mib']:.0f} MiB)"
            )
            floor_rate = floor["rows"] / floor["seconds"]
            print(
                f"  storage floor          : {floor_rate:10,.0f} rows/s  ({floor['seconds']:.1f} s, the stored rows only)"
            )
            print(f"  ratio end-to-end / raw : {e2e_rate / raw_rate:.2f}  (goal ≥ 0.60)")
            print(f"  ratio floor / raw      : {floor_rate / raw_rate:.2f}  (ceiling for end to end with this schema)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(*sys.argv[2:6])
    else:
        main()
