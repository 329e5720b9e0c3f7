"""Baseline of the check benchmark: a minimal raw ASGI app that returns the same subject row from the same database.

No framework, no authentication, no rules: read the JSON body, one indexed SELECT by USCC, return the row as JSON.
Served by uvicorn exactly like the platform (one worker). ``BENCH_DATABASE_URL`` names the database.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import orjson

URL = os.environ["BENCH_DATABASE_URL"]
SQL = "SELECT id, kind, name, uscc, id_masked, region_code, legal_representative FROM subjects WHERE uscc = {}"
_conn: Any = None


def _connection() -> Any:
    global _conn
    if _conn is None:
        if URL.startswith("sqlite:///"):
            _conn = sqlite3.connect(URL[len("sqlite:///") :], check_same_thread=False)
        else:
            import psycopg

            _conn = psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    return _conn


def _lookup(code: str) -> Any:
    conn = _connection()
    mark = "?" if isinstance(conn, sqlite3.Connection) else "%s"
    cur = conn.execute(SQL.format(mark), (code,))
    row = cur.fetchone()
    return (
        None
        if row is None
        else dict(zip(("id", "kind", "name", "uscc", "id_masked", "region_code", "legal_rep"), row, strict=True))
    )


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        msg = await receive()
        body += msg.get("body", b"")
        if not msg.get("more_body"):
            break
    code = orjson.loads(body)["subject_code"]
    row = _lookup(code)
    payload = orjson.dumps({"subject": row})
    await send(
        {
            "type": "http.response.start",
            "status": 200 if row else 404,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})
