"""Hundreds of clients that hang up mid-request (half a body sent, or a whole request
sent and the socket closed, politely or with a reset, before reading the answer) leave
``redgrid serve`` healthy: no pooled connection stays checked out, a normal request
works, nothing is half-written and the ledger verifies."""

import asyncio
import itertools
import json
import re
import socket
import struct
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.orders.models import ServiceOrder, ServiceOrderEvent
from app.points.models import PointsAccount, Redemption, Reward
from tests.support.cli import redgrid
from tests.support.cluster import ApiCluster
from tests.support.town import World, committed_world

PRICE = 5
FUNDS = 3 * PRICE
STOCK = 1000
PER_KIND = 75  # four kinds: 300 clients
_keys = itertools.count(1)
ORDER = {"category": "repair", "title": "水管漏水", "description": "厨房水管漏水", "channel": "app"}


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiCluster]:
    """One API process, with a pool of 5 for 300 clients."""
    api = ApiCluster(database_url, tmp_path_factory.mktemp("disconnects") / "api.log", workers=1)
    try:
        yield api.start()
    finally:
        api.stop()


@pytest.fixture
async def world(engine: AsyncEngine, settings: Settings) -> AsyncIterator[World]:
    async with committed_world(engine, settings) as built:
        yield built


def _request(path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _hang_up(url: str, raw: bytes, *, cut: int | None, reset: bool) -> None:
    """Send ``raw`` (only its first ``cut`` bytes when given), then close without
    reading: with a TCP reset when ``reset``, else with a FIN."""
    host, port = url.removeprefix("http://").split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    writer.write(raw[:cut] if cut is not None else raw)
    await writer.drain()
    if reset:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()
    await writer.wait_closed()


async def _pool_checked_out(client: httpx.AsyncClient) -> float:
    text = (await client.get("/metrics")).text
    match = re.search(r"^redgrid_db_pool_checked_out ([0-9.e+]+)$", text, re.MULTILINE)
    assert match, text
    return float(match.group(1))


async def test_three_hundred_clients_hanging_up_leave_the_pool_healthy(
    server: ApiCluster, world: World, database_url: str
) -> None:
    reward = await world.reward(stock=STOCK, price=PRICE)
    members = await world.callers("member", 25, points=FUNDS, at="c1")
    residents = await world.callers("resident", 10)

    def redeem(n: int) -> bytes:
        headers = members[n % len(members)] | {"Idempotency-Key": f"hangup-{next(_keys)}"}
        return _request(f"/api/v1/rewards/{reward}/redeem", headers, b"")

    def submit(n: int) -> bytes:
        headers = residents[n % len(residents)] | {
            "Idempotency-Key": f"hangup-{next(_keys)}",
            "Content-Type": "application/json",
        }
        return _request("/api/v1/orders", headers, json.dumps(ORDER).encode())

    half_bodies = [submit(n) for n in range(PER_KIND)]
    clients = [
        # Half a body, then gone: the request can never complete.
        *(
            _hang_up(server.url, raw, cut=len(raw) - 40, reset=n % 2 == 0)
            for n, raw in enumerate(half_bodies)
        ),
        # Whole requests, then gone before the answer: each runs or not, never half.
        *(_hang_up(server.url, redeem(n), cut=None, reset=n % 2 == 0) for n in range(PER_KIND)),
        *(_hang_up(server.url, redeem(n), cut=None, reset=n % 2 == 1) for n in range(PER_KIND)),
        *(_hang_up(server.url, submit(n), cut=None, reset=n % 2 == 0) for n in range(PER_KIND)),
    ]
    for start in range(0, len(clients), 100):
        await asyncio.gather(*clients[start : start + 100])

    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        # The requests that did start finish in their own time; then nothing is held.
        for _ in range(600):
            checked_out = await _pool_checked_out(client)
            if checked_out == 0:
                break
            await asyncio.sleep(0.1)
        assert checked_out == 0
        normal = await client.post(
            f"/api/v1/rewards/{reward}/redeem",
            headers=members[0] | {"Idempotency-Key": f"hangup-{next(_keys)}"},
        )
        assert normal.status_code in (201, 409), normal.text
        if normal.status_code == 409:
            assert normal.json()["code"] == "points.insufficient_balance"
        assert (await client.get("/readyz")).status_code == 200
        assert await _pool_checked_out(client) == 0

    town_id = world.units["town"].id
    redeemed = await world.scalar(select(func.count()).where(Redemption.town_id == town_id))
    assert await world.scalar(select(Reward.stock).where(Reward.id == reward)) == STOCK - redeemed
    balances = select(func.sum(PointsAccount.balance)).where(
        PointsAccount.town_id == town_id, PointsAccount.kind == "member"
    )
    assert await world.scalar(balances) == 25 * FUNDS - PRICE * redeemed
    assert await world.scalar(select(func.min(PointsAccount.balance))) >= 0
    # Every order filed is whole: it has its 点单 event.
    without_history = select(func.count()).where(
        ServiceOrder.town_id == town_id,
        ~select(ServiceOrderEvent.id).where(ServiceOrderEvent.order_id == ServiceOrder.id).exists(),
    )
    assert await world.scalar(without_history) == 0
    verified = await asyncio.to_thread(redgrid, "verify-ledger", database_url=database_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
