"""Security headers (issue 15): nosniff everywhere, HSTS outside development or over
https, no-store on every API answer (people, exports, /me), docs and metrics gated."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.main import create_app
from tests.conftest import make_settings
from tests.people.conftest import create_person
from tests.support.world import World, build_world


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    return await build_world(db, settings)


async def _client_of(application: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await application.state.engine.dispose()


@pytest.fixture
async def production(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client_of(
        create_app(make_settings(env="production"), database_url=database_url)
    ):
        yield http


@pytest.fixture
async def development(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(env="development")
    async for http in _client_of(create_app(settings, database_url=database_url)):
        yield http


@pytest.fixture
async def with_metrics_token(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(env="production", metrics_token="m" * 32, docs=True)
    async for http in _client_of(create_app(settings, database_url=database_url)):
        yield http


class TestHeaders:
    async def test_personal_data_is_not_stored_and_never_sniffed(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"), mobile="13812345678")
        for url in (
            f"/api/v1/people/{person['id']}",
            "/api/v1/people/export?format=csv",
            "/api/v1/people/export?format=xlsx",
            "/api/v1/org-units/export?format=csv",
            "/api/v1/me",
        ):
            response = await client.get(url, headers=world["admin"])
            assert response.status_code == 200, (url, response.text)
            assert response.headers["cache-control"] == "no-store", url
            assert response.headers["x-content-type-options"] == "nosniff", url

    async def test_nosniff_on_everything_and_hsts_only_over_https_in_development(
        self, development: httpx.AsyncClient
    ) -> None:
        plain = await development.get("/healthz")
        assert plain.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in plain.headers
        assert "cache-control" not in plain.headers  # not an API answer

    async def test_hsts_over_https(self, app: FastAPI) -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            response = await http.get("/healthz")
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")

    async def test_hsts_in_production(self, production: httpx.AsyncClient) -> None:
        response = await production.get("/healthz")
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
        assert response.headers["x-content-type-options"] == "nosniff"


class TestGates:
    async def test_production_hides_docs_openapi_and_metrics(
        self, production: httpx.AsyncClient
    ) -> None:
        for url in ("/docs", "/redoc", "/openapi.json", "/metrics"):
            assert (await production.get(url)).status_code == 404, url
        assert (await production.get("/healthz")).status_code == 200

    async def test_metrics_with_a_token(self, with_metrics_token: httpx.AsyncClient) -> None:
        assert (await with_metrics_token.get("/metrics")).status_code == 401
        wrong = await with_metrics_token.get("/metrics", headers={"Authorization": "Bearer x"})
        assert wrong.status_code == 401
        right = await with_metrics_token.get(
            "/metrics", headers={"Authorization": "Bearer " + "m" * 32}
        )
        assert right.status_code == 200 and "redgrid_http_requests_total" in right.text
        assert (await with_metrics_token.get("/openapi.json")).status_code == 200
