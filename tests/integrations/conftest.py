"""Webhooks, the relay and notifications: a world of units and callers, a receiver on
loopback, and apps configured as tests and production configure them."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ApiClient
from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.integrations.webhooks.models import WebhookDelivery
from app.main import create_app
from tests.conftest import make_settings
from tests.support.receiver import WebhookReceiver
from tests.support.world import World, build_world

URL = "/api/v1/webhooks"
# Short waits so a test can walk the whole schedule; tests move next_attempt_at
# themselves rather than wait (a timing never decides a test).
SCHEDULE = [5.0, 300.0, 1800.0]


def hooks_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "webhook_allow_private_urls": True,
        "webhook_retry_schedule_seconds": SCHEDULE,
        "webhook_timeout_seconds": 5.0,
    }
    values.update(overrides)
    return make_settings(**values)


def subject(world: World, caller: str) -> str:
    return f"user:{world.users[caller].id}"


async def add_client(db: AsyncSession, unit: OrgUnit, scopes: list[str]) -> ApiClient:
    """An integration client at ``unit`` (a government system) holding ``scopes``."""
    client = ApiClient(
        client_id=f"cli_test_{unit.id}_{len(scopes)}",
        name="街道平台",
        secret_hash="x",
        scopes=scopes,
        org_unit_id=unit.id,
    )
    db.add(client)
    await db.flush()
    return client


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    return await build_world(db, settings)


@pytest.fixture(scope="session")
async def hooks_app(database_url: str) -> AsyncIterator[FastAPI]:
    """The app as tests and development run it: receivers on loopback are allowed."""
    application = create_app(hooks_settings(), database_url=database_url)
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def hooks_client(
    hooks_app: FastAPI, app: FastAPI, db: AsyncSession
) -> AsyncIterator[httpx.AsyncClient]:
    """Requests to ``hooks_app`` inside the test's rolled-back transaction."""
    hooks_app.state.session_factory = app.state.session_factory
    transport = httpx.ASGITransport(app=hooks_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


async def subscribe(
    http: httpx.AsyncClient, world: World, who: str = "admin", **fields: Any
) -> dict[str, Any]:
    body = {"url": "https://93.184.215.14/hook", "event_types": ["order.*"]}
    body |= {"org_unit_id": world.units["c1"].id} | fields
    response = await http.post(URL, json=body, headers=world[who])
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def deliveries(db: AsyncSession, subscription_id: int) -> list[WebhookDelivery]:
    rows = await db.execute(
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())
