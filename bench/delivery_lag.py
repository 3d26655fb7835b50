"""Delivery lag: committed → received, through the outbox relay and the webhook sender.

    python -m bench lag [--rate 100] [--seconds 60] [--workers 1]

In a fresh database (migrated, dropped afterwards) on BENCH_DATABASE_URL (default: the
embedded server under var/bench): one community, a subscription to ``order.*`` owned
by its administrator, pointing at a receiver on loopback that answers 200 at once.
``redgrid worker`` runs as production runs it (its own process, concurrency 4). This
process then commits order events at a sustained ``--rate`` per second, one event per
transaction as order steps are, spread over 500 orders, and notes the wall-clock time
each commit returned. The lag of an event is when the receiver got it minus when its
transaction committed; the report gives p50, p90, p99 and the maximum over every event,
the rate reached, and any event that arrived twice or never. Bounded: it stops after
``--seconds`` of load plus at most two minutes of draining.
"""

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

ROOT = Path(__file__).resolve().parents[1]
ORDERS = 500
# BENCH_PROFILE=<file>: run the worker under cProfile, writing its profile there.
PROFILE = (
    ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if "BENCH_PROFILE" in os.environ else []
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


STEPS = ("submitted", "triaged", "dispatched", "accepted", "contacted", "resolved")


async def _world(sessions: async_sessionmaker[AsyncSession], receiver_url: str) -> object:
    from app.config import Settings
    from app.integrations.webhooks import signing
    from app.integrations.webhooks.models import WebhookSubscription
    from tests.support.factory import make_tree, make_user

    box = signing.SecretBox(Settings().pii_key)
    async with sessions() as session, session.begin():
        units = await make_tree(session)
        admin = await make_user(session, ("community_admin", units["c1"]))
        community = units["c1"]
        session.add(
            WebhookSubscription(
                org_unit_id=community.id,
                owner_subject=f"user:{admin.id}",
                url=receiver_url,
                event_types=["order.*"],
                secret=box.seal(signing.new_secret()),
                town_id=community.town_id,
                community_id=community.id,
            )
        )
    return units["g1"]


async def _load(
    sessions: async_sessionmaker[AsyncSession], place: object, rate: float, seconds: float
) -> dict[int, float]:
    """Commits ``rate`` events a second for ``seconds``; event id → wall time of commit."""
    from app.integrations import events

    committed: dict[int, float] = {}
    total = int(rate * seconds)
    started = time.perf_counter()
    pending: set[asyncio.Task[None]] = set()

    async def one(n: int) -> None:
        order = n % ORDERS
        step = STEPS[(n // ORDERS) % len(STEPS)]
        async with sessions() as session:
            async with session.begin():
                event = await events.publish(
                    session,
                    f"order.{step}",
                    aggregate_type="order",
                    aggregate_id=f"bench-{order}",
                    payload={"order_id": order, "step": step, "n": n},
                    place=place,  # type: ignore[arg-type]
                )
            committed[event.id] = time.time()

    for n in range(total):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(n))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    elapsed = time.perf_counter() - started
    reached = len(committed) / elapsed
    print(f"  committed {len(committed):,} events in {elapsed:.1f} s ({reached:.1f}/s)")
    return committed


def _worker(database_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDGRID_LOG_LEVEL": "WARNING",
        "REDGRID_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
    }
    log = (ROOT / "var" / "bench-worker.log").open("ab")
    return subprocess.Popen(
        [sys.executable, *PROFILE, "-m", "app.cli", "worker", "--concurrency", "4"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _cpu_seconds(process: subprocess.Popen[bytes] | None) -> float:
    """User and system CPU time a process (or this one, for None) has used so far."""
    times = psutil.Process(process.pid if process else None).cpu_times()
    return float(times.user + times.system)


def _receiver(port: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.receiver", str(port), str(log)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _arrivals(log: Path) -> tuple[dict[int, float], int]:
    """First arrival of each event (by webhook-id), and how many came again."""
    arrivals: dict[int, float] = {}
    duplicates = 0
    for line in log.read_text().splitlines():
        message_id, _, at = line.partition(" ")
        event_id = int(message_id.removeprefix("msg_"))
        if event_id in arrivals:
            duplicates += 1
        else:
            arrivals[event_id] = float(at)
    return arrivals, duplicates


async def _measure(database_url: str, rate: float, seconds: float, workers: int) -> None:
    from app.config import Settings
    from app.db.session import create_engine, create_session_factory

    port = _free_port()
    (ROOT / "var").mkdir(exist_ok=True)
    log = ROOT / "var" / "bench-receiver.log"
    log.unlink(missing_ok=True)
    receiver = _receiver(port, log)
    # Few connections: commits of one event each need little concurrency at this rate.
    engine = create_engine(Settings(), database_url, pool_size=6, max_overflow=4, pool_timeout=60)
    sessions = create_session_factory(engine)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        place = await _world(sessions, f"http://127.0.0.1:{port}/hook")
        processes = [_worker(database_url) for _ in range(workers)]
        await asyncio.sleep(8)  # the workers start and LISTEN
        print(f"delivery lag: {rate:g} events/s for {seconds:g} s, {workers} worker process(es)")
        committed = await _load(sessions, place, rate, seconds)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if log.exists() and len(_arrivals(log)[0]) >= len(committed):
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(1)
        arrivals, duplicates = _arrivals(log)
        lags = [arrivals[e] - t for e, t in committed.items() if e in arrivals]
        missing = len(committed) - len(lags)
        q = statistics.quantiles(lags, n=100)
        print(
            f"  lag committed → received: p50 {q[49] * 1000:.0f} ms   p90 {q[89] * 1000:.0f} ms"
            f"   p99 {q[98] * 1000:.0f} ms   max {max(lags) * 1000:.0f} ms"
        )
        print(f"  received {len(lags):,}, missing {missing}, duplicates {duplicates}")
        cpu = {
            "worker": sum(_cpu_seconds(p) for p in processes),
            "receiver": _cpu_seconds(receiver),
            "this process (load and waiting)": _cpu_seconds(None),
        }
        per_event = ", ".join(
            f"{name} {seconds / len(committed) * 1000:.2f} ms" for name, seconds in cpu.items()
        )
        print(f"  CPU per event: {per_event}")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"  load average (1, 5, 15 min) at the end: {load} on {os.cpu_count()} CPUs")
        print(json.dumps({"p50_ms": round(q[49] * 1000), "p99_ms": round(q[98] * 1000)}))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        receiver.terminate()
        receiver.wait(timeout=30)
        await engine.dispose()


def run(
    server_url: str,
    *,
    rate: float = 100,
    seconds: float = 60,
    workers: int = 1,
    keep: bool = False,
) -> None:
    from app.cli import migrate
    from tests.support.databases import base_name, drop_database, recreate_database

    name = f"{base_name(server_url)}_lag"
    database_url = recreate_database(server_url, name)
    try:
        migrate(database_url)
        asyncio.run(_measure(database_url, rate, seconds, workers))
    finally:
        if not keep:
            drop_database(server_url, name)


def main() -> None:
    from bench.__main__ import server_url

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    run(server_url(), rate=args.rate, seconds=args.seconds, workers=args.workers)


if __name__ == "__main__":
    main()
