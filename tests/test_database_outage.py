"""A database that goes away answers 503; the service recovers by itself."""

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
