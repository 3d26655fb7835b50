"""HTTP baseline: latency and throughput of the cheapest routes through a real server.

Starts ``redgrid serve`` (uvicorn, one process) on a free loopback port against
BENCH_DATABASE_URL (default: the embedded server under var/bench), then drives it
with httpx from this process. Bounded: a fixed number of requests, then it stops.
"""

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = 2000
CONCURRENCY = 16


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _drive(base: str, path: str) -> tuple[float, list[float]]:
    latencies: list[float] = []
    remaining = REQUESTS

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, limits=limits) as client:
        for _ in range(50):  # warm-up
            await client.get(path)
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies


def run(database_url: str) -> None:
    from sqlalchemy.engine import make_url

    from app.db.embedded import ensure_database
    from app.db.session import libpq_url

    url = make_url(database_url)
    admin = libpq_url(url.set(database="postgres").render_as_string(hide_password=False))
    ensure_database(admin, url.database or "redgrid_bench")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "REDGRID_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--migrate", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        print(f"http baseline: {REQUESTS} requests, {CONCURRENCY} concurrent, one uvicorn process")
        for path in ("/healthz", "/readyz"):
            elapsed, latencies = asyncio.run(_drive(base, path))
            q = statistics.quantiles(latencies, n=100)
            print(
                f"  GET {path:<9} {REQUESTS / elapsed:7.0f} req/s   p50 {q[49] * 1000:6.2f} ms"
                f"   p95 {q[94] * 1000:6.2f} ms   p99 {q[98] * 1000:6.2f} ms"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
