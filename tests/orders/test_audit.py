"""Every step of an order is audited (README: every write), in the step's own
transaction: read back through the audit log as an auditor would."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.orders.models import ServiceOrder
from app.orders.steps.overdue import auto_close_resolved, escalate_overdue
from tests.orders.conftest import World, ok, order_in, step, submit
from tests.orders.test_transactions import FAIL_AT_THE_END

AUDIT = "/api/v1/audit-log"
UNHAPPY = {"resolved": "no", "satisfied": "not"}
HAPPY = {"resolved": "yes", "satisfied": "satisfied"}


async def audit_trail(
    client: httpx.AsyncClient, world: World, order_id: int
) -> list[dict[str, Any]]:
    """The order's audit events, oldest first, as the auditor of community c1 sees them."""
    params = {"target_type": "order", "target_id": str(order_id), "limit": 100}
    response = await client.get(AUDIT, params=params, headers=world["auditor"])
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["items"]))


async def actions(client: httpx.AsyncClient, world: World, order_id: int) -> list[str]:
    return [event["action"] for event in await audit_trail(client, world, order_id)]


def dispatch_to_member(world: World) -> dict[str, Any]:
    return {"kind": "member", "member_person_id": world.person("member").id}


class TestEveryStepIsAudited:
    async def test_an_order_from_filing_through_rework_to_closure(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        order = await submit(client, world)
        for who, name, body in [
            ("dispatcher", "triage", {}),
            ("dispatcher", "dispatch", dispatch_to_member(world)),
            ("member", "accept", None),
            ("member", "contact", {"note": "已电话联系"}),
            ("member", "note", {"text": "已购买配件"}),
            ("member", "resolve", {"result": "已修好"}),
            ("resident", "feedback", UNHAPPY),
            ("member", "resolve", {"result": "重新修好"}),
            ("resident", "feedback", HAPPY),
        ]:
            await ok(client, world, who, order["id"], name, body)

        trail = await audit_trail(client, world, order["id"])
        assert [event["action"] for event in trail] == [
            "order.submit",
            "order.triage",
            "order.dispatch",
            "order.accept",
            "order.contact",
            "order.note",
            "order.resolve",
            "order.reopen",
            "order.resolve",
            "order.confirm",
        ]
        for event in trail:
            assert event["actor_user_id"] is not None
            assert event["actor_name"].startswith("user:")
            assert event["community_id"] == world.unit("c1").id
            assert event["outcome"] == "success"
        assert "13812345678" not in str(trail)  # summaries carry no personal data

    async def test_the_claim_pool(self, client: httpx.AsyncClient, world: World) -> None:
        order = await order_in(client, world, "pooled")
        await ok(client, world, "member", order["id"], "claim")
        assert (await actions(client, world, order["id"]))[-2:] == ["order.pool", "order.claim"]

    async def test_reject_cancel_and_decline(self, client: httpx.AsyncClient, world: World) -> None:
        rejected = await submit(client, world)
        await ok(client, world, "dispatcher", rejected["id"], "reject", {"reason": "非服务范围"})
        cancelled = await submit(client, world)
        await ok(client, world, "resident", cancelled["id"], "cancel", {"reason": "已自行解决"})
        declined = await order_in(client, world, "dispatched")
        await ok(client, world, "member", declined["id"], "decline", {"reason": "出差"})
        assert (await actions(client, world, rejected["id"]))[-1] == "order.reject"
        assert (await actions(client, world, cancelled["id"]))[-1] == "order.cancel"
        assert (await actions(client, world, declined["id"]))[-1] == "order.decline"

    async def test_merge_and_second(self, client: httpx.AsyncClient, world: World) -> None:
        target = await submit(client, world)
        duplicate = await submit(client, world, "neighbour")
        await ok(
            client, world, "dispatcher", duplicate["id"], "merge", {"into_order_id": target["id"]}
        )
        seconded = await submit(client, world)
        await ok(client, world, "neighbour", seconded["id"], "second")
        assert (await actions(client, world, duplicate["id"]))[-1] == "order.merge"
        assert (await actions(client, world, target["id"]))[-1] == "order.second"
        assert (await actions(client, world, seconded["id"]))[-1] == "order.second"

    async def test_a_department_reports_in(self, client: httpx.AsyncClient, world: World) -> None:
        order = await order_in(client, world, "triaged")
        assert world.department is not None
        body = {"kind": "department", "department_id": world.department.id}
        await ok(client, world, "dispatcher", order["id"], "dispatch", body)
        await ok(client, world, "department", order["id"], "arrive")
        assert (await actions(client, world, order["id"]))[-2:] == [
            "order.dispatch",
            "order.arrive",
        ]

    @pytest.mark.parametrize(
        ("status", "column", "ago", "job", "action"),
        [
            (
                "resolved",
                "resolved_at",
                timedelta(days=10),
                auto_close_resolved,
                "order.auto_close",
            ),
            (
                "dispatched",
                "response_due_at",
                timedelta(minutes=1),
                escalate_overdue,
                "order.escalate",
            ),
        ],
    )
    async def test_steps_the_system_takes(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        status: str,
        column: str,
        ago: timedelta,
        job: Callable[[AsyncSession, datetime], Awaitable[int]],
        action: str,
    ) -> None:
        order = await order_in(client, world, status)
        now = datetime.now(UTC)
        await db.execute(
            update(ServiceOrder).where(ServiceOrder.id == order["id"]).values({column: now - ago})
        )
        assert await job(db, now) == 1
        last = (await audit_trail(client, world, order["id"]))[-1]
        assert (last["action"], last["actor_user_id"], last["actor_name"]) == (
            action,
            None,
            "system",
        )


class TestAStepThatDidNotHappenIsNotAudited:
    async def test_a_refused_step(self, client: httpx.AsyncClient, world: World) -> None:
        order = await submit(client, world)
        response = await step(client, world, "member", order["id"], "claim")
        assert response.status_code in (404, 409)
        assert await actions(client, world, order["id"]) == ["order.submit"]

    async def test_a_rolled_back_step(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        """The step runs to its end, then its last write fails: all of it rolls back."""
        order = await submit(client, world)
        for statement in FAIL_AT_THE_END:
            await db.execute(text(statement))
        response = await step(
            client, world, "dispatcher", order["id"], "triage", {}, **{"Idempotency-Key": "x"}
        )
        assert response.status_code == 500
        assert await actions(client, world, order["id"]) == ["order.submit"]
