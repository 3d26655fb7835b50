"""Health, readiness, metrics and the offline API docs."""

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class TestHealthz:
    async def test_answers(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


class TestReadyz:
    async def test_ready_at_head(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/readyz")).json()
        assert body["status"] == "ready"
        assert body["migrations"] == "ok"
        assert body["revision"] == body["expected_revision"]

    async def test_not_ready_when_behind(self, client: httpx.AsyncClient, db: AsyncSession) -> None:
        # Readiness reads through its own connection, so make the change visible by
        # committing it in a separate transaction and putting it back afterwards.
        app_engine = client._transport.app.state.engine  # type: ignore[attr-defined]
        async with app_engine.begin() as conn:
            current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            await conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
        try:
            response = await client.get("/readyz")
            assert response.status_code == 503
            assert response.json()["migrations"] == "behind"
        finally:
            async with app_engine.begin() as conn:
                await conn.execute(
                    text("UPDATE alembic_version SET version_num = :v"), {"v": current}
                )


class TestMetrics:
    async def test_counts_requests_by_route_template(self, client: httpx.AsyncClient) -> None:
        await client.get("/healthz")
        await client.get("/nowhere-at-all")
        text_body = (await client.get("/metrics")).text
        assert (
            'redgrid_http_requests_total{method="GET",route="/healthz",status="200"}' in text_body
        )
        assert 'route="<unmatched>",status="404"' in text_body
        assert "redgrid_http_request_duration_seconds_bucket" in text_body
        assert "redgrid_db_pool_checked_out" in text_body


class TestDocsOffline:
    async def test_swagger_assets_served_locally(self, client: httpx.AsyncClient) -> None:
        page = (await client.get("/docs")).text
        assert "/_docs/swagger/swagger-ui-bundle.js" in page
        assert "cdn" not in page.lower()
        asset = await client.get("/_docs/swagger/swagger-ui-bundle.js")
        assert asset.status_code == 200 and len(asset.content) > 100_000

    async def test_redoc_assets_served_locally(self, client: httpx.AsyncClient) -> None:
        page = (await client.get("/redoc")).text
        assert "/_docs/redoc/redoc.standalone.js" in page
        assert "cdn" not in page.lower() and "fonts.googleapis" not in page
        asset = await client.get("/_docs/redoc/redoc.standalone.js")
        assert asset.status_code == 200 and len(asset.content) > 100_000

    async def test_openapi_json(self, client: httpx.AsyncClient) -> None:
        spec = (await client.get("/openapi.json")).json()
        assert spec["openapi"].startswith("3.1")
