"""GET /orders for the dispatcher's and grid worker's day: filters that combine, and
sorts that each page by keyset."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.orders.models import ServiceOrder
from tests.orders.conftest import URL, World, order_in, submit
from tests.support.problems import assert_problem

T0 = datetime(2026, 11, 20, 9, tzinfo=UTC)


async def _ids(client: httpx.AsyncClient, world: World, **params: Any) -> list[int]:
    response = await client.get(URL, params=params, headers=world["dispatcher"])
    assert response.status_code == 200, response.text
    return [o["id"] for o in response.json()["items"]]


async def _walk(client: httpx.AsyncClient, world: World, **params: Any) -> list[int]:
    """Every page, one order at a time."""
    seen: list[int] = []
    cursor = None
    while True:
        query = params | {"limit": 1} | ({"cursor": cursor} if cursor else {})
        response = await client.get(URL, params=query, headers=world["dispatcher"])
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [o["id"] for o in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


async def _set(db: AsyncSession, order_id: int, **values: Any) -> None:
    await db.execute(update(ServiceOrder).where(ServiceOrder.id == order_id).values(**values))


@pytest.fixture
async def orders(client: httpx.AsyncClient, world: World, db: AsyncSession) -> dict[str, int]:
    made = {
        "submitted": (await submit(client, world, channel="phone"))["id"],
        "triaged": (await order_in(client, world, "triaged"))["id"],
        "pooled": (await order_in(client, world, "pooled"))["id"],
        "working": (await order_in(client, world, "in_progress"))["id"],
    }
    # Received one day apart, in reverse of creation; deadlines in creation order.
    for i, key in enumerate(("submitted", "triaged", "pooled", "working")):
        await _set(db, made[key], received_at=T0 - timedelta(days=i))
    now = datetime.now(UTC)
    await _set(db, made["triaged"], resolve_due_at=now + timedelta(days=3))
    await _set(db, made["pooled"], resolve_due_at=now + timedelta(days=2), escalation_level=1)
    await _set(db, made["working"], resolve_due_at=now - timedelta(days=1))  # overdue
    return made


class TestFilters:
    async def test_status_set(
        self, client: httpx.AsyncClient, world: World, orders: dict[str, int]
    ) -> None:
        found = await _ids(client, world, status="triaged,pooled")
        assert sorted(found) == sorted([orders["triaged"], orders["pooled"]])

    async def test_overdue_escalated_channel_assignee(
        self, client: httpx.AsyncClient, world: World, orders: dict[str, int]
    ) -> None:
        assert await _ids(client, world, overdue="true") == [orders["working"]]
        assert orders["working"] not in await _ids(client, world, overdue="false")
        assert await _ids(client, world, escalated="true") == [orders["pooled"]]
        assert await _ids(client, world, channel="phone") == [orders["submitted"]]
        member = world.person("member").id
        assert await _ids(client, world, assignee_person_id=member) == [orders["working"]]

    async def test_received_and_updated_ranges(
        self, client: httpx.AsyncClient, world: World, orders: dict[str, int]
    ) -> None:
        found = await _ids(
            client,
            world,
            received_from=(T0 - timedelta(days=2)).isoformat(),
            received_before=T0.isoformat(),
        )
        assert sorted(found) == sorted([orders["triaged"], orders["pooled"]])
        assert await _ids(client, world, updated_since="2999-01-01T00:00:00+08:00") == []
        assert len(await _ids(client, world, updated_since="2000-01-01T00:00:00+08:00")) == 4

    async def test_a_naive_time_is_refused(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(
            URL, params={"updated_since": "2026-11-20T09:00:00"}, headers=world["dispatcher"]
        )
        assert_problem(response, 422, "request.validation_failed")


class TestSorts:
    async def test_received_time_both_ways_by_keyset(
        self, client: httpx.AsyncClient, world: World, orders: dict[str, int]
    ) -> None:
        oldest_first = [orders[k] for k in ("working", "pooled", "triaged", "submitted")]
        assert await _walk(client, world, sort="received_at") == oldest_first
        assert await _walk(client, world, sort="-received_at") == oldest_first[::-1]

    async def test_deadline_lists_orders_that_have_one(
        self, client: httpx.AsyncClient, world: World, orders: dict[str, int]
    ) -> None:
        assert await _walk(client, world, sort="deadline") == [
            orders["working"],
            orders["pooled"],
            orders["triaged"],
        ]

    async def test_updated_for_sync_and_default_newest(
        self, client: httpx.AsyncClient, world: World, orders: dict[str, int]
    ) -> None:
        assert sorted(await _walk(client, world, sort="updated_at")) == sorted(orders.values())
        assert await _walk(client, world) == sorted(orders.values(), reverse=True)

    async def test_a_cursor_of_another_sort_is_400(
        self, client: httpx.AsyncClient, world: World, orders: dict[str, int]
    ) -> None:
        first = await client.get(URL, params={"limit": 1}, headers=world["dispatcher"])
        response = await client.get(
            URL,
            params={"sort": "received_at", "cursor": first.json()["next_cursor"]},
            headers=world["dispatcher"],
        )
        assert_problem(response, 400, "request.invalid_cursor")
