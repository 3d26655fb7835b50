"""A database that goes away answers 503; the service recovers by itself."""

import asyncio

import asyncpg
import httpx
from sqlalchemy import text

from app.db.session import DbSession
from app.main import create_app
from tests.conftest import make_settings
from tests.support.proxy import PostgresProxy


async def test_outage_gives_503_then_recovers(database_url: str) -> None:
    proxy = PostgresProxy(database_url)
    await proxy.start()
    app = create_app(
        make_settings(db_pool_timeout=2.0, db_connect_timeout=2.0),
        database_url=proxy.url_for(database_url),
    )

    @app.get("/_test/count")
    async def count(session: DbSession) -> int:
        return int((await session.execute(text("SELECT count(*) FROM user_account"))).scalar_one())

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        try:
            assert (await http.get("/_test/count")).status_code == 200
            assert (await http.get("/readyz")).json()["status"] == "ready"

            await proxy.stop()
            down = await http.get("/_test/count")
            assert down.status_code == 503, down.text
            assert down.headers["content-type"] == "application/problem+json"
            assert down.json()["code"] == "service.database_unavailable"
            assert down.headers["retry-after"] == "5"
            not_ready = await http.get("/readyz")
            assert not_ready.status_code == 503
            assert not_ready.json()["database"] == "unreachable"
            assert (await http.get("/healthz")).status_code == 200

            await proxy.start()
            back = await http.get("/_test/count")
            assert back.status_code == 200, back.text
            assert (await http.get("/readyz")).status_code == 200
        finally:
            await proxy.stop()
            await app.state.engine.dispose()


async def test_connections_the_server_closed_are_replaced_without_an_error(
    database_url: str,
) -> None:
    """No pre-ping round trips, yet a pooled connection whose backend was terminated
    (a restart, an administrator) is never handed to a request."""
    app = create_app(make_settings(db_pool_size=2, db_max_overflow=0), database_url=database_url)

    @app.get("/_test/pid")
    async def pid(session: DbSession) -> int:
        return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        try:
            first = (await http.get("/_test/pid")).json()
            other = await asyncpg.connect(database_url.replace("+asyncpg", ""))
            try:
                assert await other.fetchval("SELECT pg_terminate_backend($1)", first)
            finally:
                await other.close()
            await asyncio.sleep(0.5)  # the server's goodbye reaches the idle socket
            responses = [await http.get("/_test/pid") for _ in range(4)]
            assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
            assert first not in {r.json() for r in responses}
        finally:
            await app.state.engine.dispose()
