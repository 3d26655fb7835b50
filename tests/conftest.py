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
