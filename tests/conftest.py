"""Test harness: the real PostgreSQL, built by the real migrations, once per worker.

``TEST_DATABASE_URL`` names the server (CI points it at the machine's PostgreSQL);
unset, the controller process starts an embedded PostgreSQL under ``var/test`` and
hands its URL to the xdist workers through the environment. Each worker gets its
own database; each test runs in a transaction that is rolled back at its end, and
the app's sessions join it through savepoints so application code may commit.
"""

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from app.config import Settings
from app.db.session import create_engine
from tests.support.databases import base_name, drop_database, recreate_database, worker_suffix

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") or os.environ.get("TEST_DATABASE_URL"):
        return
    from app.db.embedded import start_embedded

    os.environ["TEST_DATABASE_URL"] = start_embedded(ROOT / "var" / "test", "redgrid_test")


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "secret_key": "test-secret-key-" + "x" * 32,
        "pii_key": "test-pii-key-" + "y" * 32,
        "log_json": False,
        "db_pool_size": 5,
        "db_max_overflow": 20,
        # Concurrency tests fire more requests than the pool holds: they queue, not 503.
        "db_pool_timeout": 60.0,
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture(scope="session")
def server_url() -> str:
    return os.environ["TEST_DATABASE_URL"]


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """This worker's database, migrated to head by Alembic."""
    from app.cli import migrate

    name = f"{base_name(server_url)}_{worker_suffix()}"
    url = recreate_database(server_url, name)
    migrate(url)
    yield url
    drop_database(server_url, name)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return make_settings()


@pytest.fixture(scope="session")
async def app(settings: Settings, database_url: str) -> AsyncIterator[FastAPI]:
    from app.main import create_app

    application = create_app(settings, database_url=database_url)
    yield application
    await application.state.engine.dispose()


@pytest.fixture(scope="session")
async def engine(settings: Settings, database_url: str) -> AsyncIterator[AsyncEngine]:
    """A separate engine for tests that need real, independent connections."""
    test_engine = create_engine(settings, database_url, pool_size=60, max_overflow=10)
    yield test_engine
    await test_engine.dispose()


@pytest.fixture
async def connection(app: FastAPI) -> AsyncIterator[AsyncConnection]:
    async with app.state.engine.connect() as conn:
        transaction = await conn.begin()
        try:
            yield conn
        finally:
            await transaction.rollback()


@pytest.fixture
async def db(app: FastAPI, connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """The test's own session, and every request's, inside one rolled-back transaction."""

    def session_factory() -> AsyncSession:
        # A fresh session per request: nothing loaded by one request (or by the
        # test) is attached to the next, so a hidden lazy load fails here too.
        return AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    original = app.state.session_factory
    app.state.session_factory = session_factory
    session = session_factory()
    try:
        yield session
    finally:
        await session.close()
        app.state.session_factory = original


@pytest.fixture
async def client(app: FastAPI, db: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def live_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests commit for real (concurrency tests); clean up after."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


COMMITTING_FIXTURES = {"engine", "live_client", "database_url"}
# The job queue's and the relay's own bookkeeping: finished jobs, their events and the
# relay's outcome counters are history a worker keeps, not rows a test made.
BOOKKEEPING = ("procrastinate_", "relay_counter")


async def _row_counts(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        names = await conn.fetch(
            "SELECT quote_ident(table_name) AS name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
        )
        query = " UNION ALL ".join(
            f"SELECT '{r['name']}' AS name, count(*) AS n FROM {r['name']}" for r in names
        )
        return {r["name"]: r["n"] for r in await conn.fetch(query)}
    finally:
        await conn.close()


@pytest.fixture(autouse=True)
async def _leaves_no_rows(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """A test that commits for real must delete what it wrote: a row left behind shows
    up in a later test on this worker as someone else's failure."""
    if not COMMITTING_FIXTURES & set(request.fixturenames):
        yield
        return
    url: str = request.getfixturevalue("database_url")
    before = await _row_counts(url)
    yield
    after = await _row_counts(url)
    left = {
        t: after[t] - before.get(t, 0)
        for t in after
        if after[t] != before.get(t, 0) and not t.startswith(BOOKKEEPING)
    }
    assert not left, f"{request.node.nodeid} left committed rows behind: {left}"
