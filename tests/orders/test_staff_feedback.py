"""回访 by staff (电话回访): recorded with the channel and who called, it closes or reopens
the order and counts in the KPIs exactly as the resident's own answer does; the report
splits the answers by channel."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.orders.conftest import World, ok, order_in, step
from tests.support.problems import assert_problem

STATS = "/api/v1/stats/orders"


class TestStaffFeedback:
    async def test_phone_answer_closes_the_order_and_records_who_called(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await order_in(client, world, "resolved")
        body = {"resolved": "yes", "satisfied": "basically", "channel": "phone"}
        closed = await ok(client, world, "dispatcher", order["id"], "staff-feedback", body)
        assert closed["status"] == "closed"
        assert closed["feedback"]["channel"] == "phone"
        assert closed["feedback"]["taken_by_user_id"] == world.users["dispatcher"].id

    async def test_unhappy_answer_reopens(self, client: httpx.AsyncClient, world: World) -> None:
        order = await order_in(client, world, "resolved")
        body = {"resolved": "no", "satisfied": "not", "channel": "visit", "comment": "灯还是不亮"}
        reopened = await ok(client, world, "dispatcher", order["id"], "staff-feedback", body)
        assert reopened["status"] == "in_progress" and reopened["rework_count"] == 1

    async def test_who_may_record(self, client: httpx.AsyncClient, world: World) -> None:
        order = await order_in(client, world, "resolved")
        body = {"resolved": "yes", "satisfied": "satisfied", "channel": "phone"}
        for who, status, code in (
            ("resident", 403, "auth.forbidden"),
            ("sibling_dispatcher", 404, "resource.not_found"),
        ):
            response = await step(client, world, who, order["id"], "staff-feedback", body)
            assert_problem(response, status, code)
        response = await client.post(f"/api/v1/orders/{order['id']}/staff-feedback", json=body)
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_only_a_resolved_order(self, client: httpx.AsyncClient, world: World) -> None:
        order = await order_in(client, world, "in_progress")
        body = {"resolved": "yes", "satisfied": "satisfied", "channel": "phone"}
        response = await step(client, world, "dispatcher", order["id"], "staff-feedback", body)
        assert_problem(response, 409, "order.invalid_transition")


async def test_staff_answers_count_in_the_satisfaction_rate(
    client: httpx.AsyncClient, world: World
) -> None:
    """By hand: satisfied = 1, basically = 0.8, not = 0 (the default settings). The
    resident's own 'satisfied', a phoned 'basically' and a visited 'not':
    (1 + 0.8 + 0) / 3 = 0.6."""
    answers = [
        ("resident", "feedback", {"resolved": "yes", "satisfied": "satisfied"}),
        (
            "dispatcher",
            "staff-feedback",
            {"resolved": "yes", "satisfied": "basically", "channel": "phone"},
        ),
        (
            "dispatcher",
            "staff-feedback",
            {"resolved": "partly", "satisfied": "not", "channel": "visit"},
        ),
    ]
    for who, name, body in answers:
        order = await order_in(client, world, "resolved")
        await ok(client, world, who, order["id"], name, body)
    response = await client.get(
        STATS, params={"unit_id": world.id("c1")}, headers=world["dispatcher"]
    )
    assert response.status_code == 200, response.text
    report = response.json()
    satisfaction = report["summary"]["satisfaction_rate"]
    assert satisfaction == {"rate": 0.6, "numerator": 1.8, "denominator": 3}
    by_channel = {
        c["channel"]: c["satisfaction_rate"]["rate"] for c in report["by_feedback_channel"]
    }
    assert by_channel == {"self": 1.0, "phone": 0.8, "visit": 0.0}
