"""回访 by staff (电话回访): recorded with the channel and who called, it closes or reopens
the order and counts in the KPIs exactly as the resident's own answer does; the report
splits the answers by channel."""

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.orders.models import ServiceOrder
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


async def test_staff_answers_count_in_the_rates_exactly_as_the_formula_says(
    client: httpx.AsyncClient, world: World, db: AsyncSession
) -> None:
    """By hand, with the default settings (resolved: yes = 1, partly = 0.5, no = 0;
    satisfied: satisfied = 1, basically = 0.8, not = 0; flagged orders excluded; each
    order counts its latest answer):

    | order | answers, in order                                   | counts as (channel)   |
    | O1    | resident: yes / satisfied                           | 1 / 1 (self)          |
    | O2    | phone: yes / basically                              | 1 / 0.8 (phone)       |
    | O3    | visit: partly / not (reopened, not answered again)  | 0.5 / 0 (visit)       |
    | O4    | sms: no / basically (reopened), resolved again,     | 1 / 1 (self): the     |
    |       | then resident: yes / satisfied                      | sms answer is gone    |
    | O5    | phone: yes / satisfied, then flagged unreasonable   | left out              |

    resolution = (1 + 1 + 0.5 + 1) / 4 = 3.5 / 4 = 0.875;
    satisfaction = (1 + 0.8 + 0 + 1) / 4 = 2.8 / 4 = 0.7.
    By channel: self 2 / 2 and 2 / 2; phone 1 / 1 and 0.8 / 1; visit 0.5 / 1 and 0 / 1 —
    numerators and denominators add up to the summary's."""
    orders = [await order_in(client, world, "resolved") for _ in range(5)]
    o1, o2, o3, o4, o5 = (o["id"] for o in orders)

    def staff(resolved: str, satisfied: str, channel: str) -> dict[str, str]:
        return {"resolved": resolved, "satisfied": satisfied, "channel": channel}

    await ok(
        client, world, "resident", o1, "feedback", {"resolved": "yes", "satisfied": "satisfied"}
    )
    await ok(client, world, "dispatcher", o2, "staff-feedback", staff("yes", "basically", "phone"))
    reopened = await ok(
        client, world, "dispatcher", o3, "staff-feedback", staff("partly", "not", "visit")
    )
    assert reopened["status"] == "in_progress"
    await ok(client, world, "dispatcher", o4, "staff-feedback", staff("no", "basically", "sms"))
    await ok(client, world, "member", o4, "resolve", {"result": "重新修好"})
    await ok(
        client, world, "resident", o4, "feedback", {"resolved": "yes", "satisfied": "satisfied"}
    )
    await ok(client, world, "dispatcher", o5, "staff-feedback", staff("yes", "satisfied", "phone"))
    await db.execute(update(ServiceOrder).where(ServiceOrder.id == o5).values(is_excluded=True))
    await db.flush()

    response = await client.get(
        STATS, params={"unit_id": world.id("c1")}, headers=world["dispatcher"]
    )
    assert response.status_code == 200, response.text
    report = response.json()
    summary = report["summary"]
    assert (summary["total"], summary["excluded"]) == (5, 1)
    assert summary["resolution_rate"] == {"rate": 0.875, "numerator": 3.5, "denominator": 4}
    assert summary["satisfaction_rate"] == {"rate": 0.7, "numerator": 2.8, "denominator": 4}
    by_channel = {
        c["channel"]: (c["resolution_rate"], c["satisfaction_rate"])
        for c in report["by_feedback_channel"]
    }
    assert by_channel == {
        "self": (
            {"rate": 1.0, "numerator": 2.0, "denominator": 2},
            {"rate": 1.0, "numerator": 2.0, "denominator": 2},
        ),
        "phone": (
            {"rate": 1.0, "numerator": 1.0, "denominator": 1},
            {"rate": 0.8, "numerator": 0.8, "denominator": 1},
        ),
        "visit": (
            {"rate": 0.5, "numerator": 0.5, "denominator": 1},
            {"rate": 0.0, "numerator": 0.0, "denominator": 1},
        ),
    }
    for i, rate in enumerate(("resolution_rate", "satisfaction_rate")):
        assert sum(c[i]["numerator"] for c in by_channel.values()) == summary[rate]["numerator"]
        assert sum(c[i]["denominator"] for c in by_channel.values()) == summary[rate]["denominator"]
