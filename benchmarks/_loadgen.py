"""A small HTTP/1.1 keep-alive load generator (asyncio, raw sockets): closed loop for throughput, open loop at a
fixed rate for the soak. Prints one JSON line with counts and latencies."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from pathlib import Path


def _request(host: str, port: int, path: str, body: bytes, key: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"X-API-Key: {key}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, req: bytes) -> int:
    writer.write(req)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def closed_loop(args: argparse.Namespace, bodies: list[bytes]) -> dict[str, object]:
    lat: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + args.duration
    warm_until = time.perf_counter() + args.warmup

    async def worker(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        reader, writer = await asyncio.open_connection(args.host, args.port)
        while True:
            now = time.perf_counter()
            if now > deadline:
                break
            req = _request(args.host, args.port, args.path, rng.choice(bodies), args.key)
            t0 = time.perf_counter()
            status = await _one(reader, writer, req)
            t1 = time.perf_counter()
            statuses[status] = statuses.get(status, 0) + 1
            if status != 200:
                errors += 1
            if t0 >= warm_until:
                lat.append(t1 - t0)
        writer.close()

    await asyncio.gather(*(worker(i) for i in range(args.connections)))
    return _summary(lat, errors, statuses, args.duration - args.warmup)


async def open_loop(args: argparse.Namespace, bodies: list[bytes]) -> dict[str, object]:
    """Fixed rate: requests are sent on schedule over a pool of connections (latency includes queueing)."""
    lat: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(args.connections):
        pool.put_nowait(await asyncio.open_connection(args.host, args.port))
    rng = random.Random(7)
    start = time.perf_counter()
    interval = 1.0 / args.rate
    tasks = []

    async def send(due: float) -> None:
        nonlocal errors
        conn = await pool.get()
        try:
            status = await _one(
                conn[0], conn[1], _request(args.host, args.port, args.path, rng.choice(bodies), args.key)
            )
        except Exception:
            status = 0
        lat.append(time.perf_counter() - due)
        statuses[status] = statuses.get(status, 0) + 1
        if status != 200:
            errors += 1
        pool.put_nowait(conn)

    n = 0
    while True:
        due = start + n * interval
        if due - start > args.duration:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(due)))
        n += 1
        if len(tasks) > 5000:
            await asyncio.gather(*tasks)
            tasks = []
    await asyncio.gather(*tasks)
    return _summary(lat, errors, statuses, args.duration)


def _summary(lat: list[float], errors: int, statuses: dict[int, int], seconds: float) -> dict[str, object]:
    lat.sort()

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else 0.0

    return {
        "requests": len(lat),
        "rps": round(len(lat) / seconds, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": round(lat[-1] * 1000, 2) if lat else 0.0,
        "errors": errors,
        "statuses": {str(k): v for k, v in statuses.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/api/v1/checks")
    ap.add_argument("--key", default="")
    ap.add_argument("--codes", required=True, help="file with one subject code a line")
    ap.add_argument("--matter", default="XK-DLYS-JY")
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--rate", type=float, default=0, help="fixed request rate (open loop); 0 = closed loop")
    args = ap.parse_args()
    codes = Path(args.codes).read_text().split()
    bodies = [json.dumps({"subject_code": c, "matter_code": args.matter}).encode() for c in codes]
    result = asyncio.run(open_loop(args, bodies) if args.rate else closed_loop(args, bodies))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
