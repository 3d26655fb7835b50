"""A real server for the contract tests: uvicorn on a loopback port, over a database of
its own migrated by Alembic and seeded with the orders tests' world (committed for real,
dropped at the end; the per-test row guard watches the shared test database only)."""

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db.session import create_engine
from app.main import create_app
from tests.conftest import make_settings
from tests.orders.conftest import World, build_world
from tests.support.databases import base_name, drop_database, recreate_database, worker_suffix

PORTS = os.environ.get("REDGRID_CONTRACT_PORTS", "8760-8769")


def _free_port() -> int:
    low, high = (int(p) for p in PORTS.split("-"))
    for port in range(low, high + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


@dataclass
class LiveServer:
    base_url: str
    settings: Settings
    world: World
    usernames: dict[str, str]
    database_url: str


async def _seed(settings: Settings, url: str) -> tuple[World, dict[str, str]]:
    engine = create_engine(settings, url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as db:
            world = await build_world(db, settings)
            await db.commit()
            return world, {name: user.username for name, user in world.users.items()}
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    from app.cli import migrate

    server_url = os.environ["TEST_DATABASE_URL"]
    name = f"{base_name(server_url)}_contract_{worker_suffix()}"
    url = recreate_database(server_url, name)
    try:
        migrate(url)
        settings = make_settings()
        world, usernames = asyncio.run(_seed(settings, url))
        port = _free_port()
        config = uvicorn.Config(
            create_app(settings, database_url=url),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            assert thread.is_alive(), "uvicorn stopped"
            time.sleep(0.05)
        try:
            yield LiveServer(f"http://127.0.0.1:{port}", settings, world, usernames, url)
        finally:
            server.should_exit = True
            thread.join(timeout=15)
    finally:
        drop_database(server_url, name)
