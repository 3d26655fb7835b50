"""吹哨 by hand by the holder; 部门报到 on the order; late arrivals in the KPI report
(吹哨报到 双考核)."""

from datetime import timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.orders.models import DepartmentArrival
from tests.orders.conftest import World, ok, order_in, step
from tests.support.problems import assert_problem

STATS = "/api/v1/stats/orders"


class TestWhistle:
    async def test_holder_escalates_by_hand(self, client: httpx.AsyncClient, world: World) -> None:
        order = await order_in(client, world, "in_progress")
        whistled = await ok(
            client, world, "member", order["id"], "whistle", {"reason": "需要城管协助"}
        )
        assert whistled["escalation_level"] == 1 and whistled["status"] == "in_progress"
        events = await client.get(
            f"/api/v1/orders/{order['id']}/events", headers=world["dispatcher"]
        )
        (last,) = [e for e in events.json()["items"] if e["step"] == "escalate"]
        assert last["data"]["breach"] == "manual" and last["note"] == "需要城管协助"
        assert last["data"]["notify"]["level"] == "community"

    async def test_only_the_holder(self, client: httpx.AsyncClient, world: World) -> None:
        order = await order_in(client, world, "in_progress")
        body = {"reason": "x"}
        assert_problem(
            await step(client, world, "member2", order["id"], "whistle", body),
            404,
            "resource.not_found",
        )
        assert_problem(
            await step(client, world, "resident", order["id"], "whistle", body),
            403,
            "auth.forbidden",
        )

    async def test_not_on_a_closed_order(self, client: httpx.AsyncClient, world: World) -> None:
        order = await order_in(client, world, "closed")
        response = await step(client, world, "member", order["id"], "whistle", {"reason": "x"})
        assert response.status_code in (404, 409)


async def test_arrivals_show_on_the_order_and_late_ones_count(
    client: httpx.AsyncClient, world: World, db: AsyncSession
) -> None:
    assert world.department is not None
    order = await order_in(client, world, "triaged")
    body = {"kind": "department", "department_id": world.department.id}
    await ok(client, world, "dispatcher", order["id"], "dispatch", body)
    url = f"/api/v1/orders/{order['id']}/arrivals"
    (waiting,) = (await client.get(url, headers=world["dispatcher"])).json()
    assert waiting["arrived_at"] is None and waiting["is_late"] is False
    assert_problem(await client.get(url, headers=world["far_resident"]), 404, "resource.not_found")

    await db.execute(
        update(DepartmentArrival)
        .where(DepartmentArrival.order_id == order["id"])
        .values(
            whistled_at=DepartmentArrival.whistled_at - timedelta(hours=2),
            due_at=DepartmentArrival.due_at - timedelta(hours=2),
        )
    )
    params = {"unit_id": world.id("c1")}
    stats = (await client.get(STATS, params=params, headers=world["dispatcher"])).json()
    assert stats["department_arrivals"] == {
        "whistled": 1,
        "on_time": 0,
        "late": 1,
        "arrived_late": 0,
        "missing": 1,
    }
    arrived = await client.post(f"/api/v1/orders/{order['id']}/arrive", headers=world["department"])
    assert arrived.status_code == 200, arrived.text
    (done,) = (await client.get(url, headers=world["dispatcher"])).json()
    assert done["arrived_at"] is not None and done["is_late"] is True
    stats = (await client.get(STATS, params=params, headers=world["dispatcher"])).json()
    assert stats["department_arrivals"]["arrived_late"] == 1
    assert stats["department_arrivals"]["missing"] == 0
