"""Earning by rule: closing an order pays its assignee once, with the 回访 bonus;
rules are versioned data; caps cut awards to what is left of the day and month."""

from datetime import timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.integrations import events
from app.integrations.models import OutboxEvent
from app.points import repository, service
from app.points.models import PointsRule
from app.points.rules import RuleKind, in_force
from tests.points.ledger_support import (
    API,
    World,
    balance_of,
    make_closed_order,
    transactions_with_key,
    world,
)

__all__ = ["world"]


async def close(db: AsyncSession, order_id: int, event_type: str = "order.confirmed") -> None:
    """What the orders domain does when an order closes: publish in its transaction."""
    await events.publish(
        db,
        event_type,
        aggregate_type="order",
        aggregate_id=order_id,
        payload={"order_id": order_id, "status": "closed"},
    )


async def skipped(db: AsyncSession, order_id: int) -> list[str]:
    rows = await db.scalars(
        select(OutboxEvent.payload).where(
            OutboxEvent.event_type == "points.award_skipped",
            OutboxEvent.aggregate_id == str(order_id),
        )
    )
    return [payload["reason"] for payload in rows]


async def set_rule(
    client: httpx.AsyncClient, world: World, kind: str, points: int, key: str = ""
) -> None:
    response = await client.post(
        f"{API}/rules",
        json={"kind": kind, "key": key, "points": points, "town_id": world.units["town"].id},
        headers=world["town_admin"],
    )
    assert response.status_code == 201, response.text


class TestOrderClose:
    async def test_top_answer_pays_category_points_and_bonus_once(
        self, db: AsyncSession, world: World
    ) -> None:
        p1 = world.people["p1"]
        order = await make_closed_order(db, world.units["g1"], assignee=p1)
        await close(db, order.id)
        await close(db, order.id)  # a replayed event
        await close(db, order.id, "order.auto_closed")  # and a racing auto-close
        awards = await transactions_with_key(db, f"order-close:{order.id}")
        assert len(awards) == 1
        assert awards[0].kind == "order_award"
        assert awards[0].data["base"] == 10 and awards[0].data["bonus"] == 5
        assert await balance_of(db, p1.id) == 15
        announced = await db.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(
                OutboxEvent.event_type == "points.awarded",
                OutboxEvent.aggregate_id == str(awards[0].id),
            )
        )
        assert announced == 1

    async def test_auto_closed_order_has_no_bonus(self, db: AsyncSession, world: World) -> None:
        p1 = world.people["p1"]
        order = await make_closed_order(
            db,
            world.units["g1"],
            assignee=p1,
            category="mediation",
            resolved=None,
            satisfaction=None,
        )
        await close(db, order.id, "order.auto_closed")
        assert await balance_of(db, p1.id) == 15  # mediation 15, no bonus

    async def test_basically_satisfied_has_no_bonus(self, db: AsyncSession, world: World) -> None:
        p1 = world.people["p1"]
        order = await make_closed_order(
            db, world.units["g1"], assignee=p1, satisfaction="basically"
        )
        await close(db, order.id)
        assert await balance_of(db, p1.id) == 10

    async def test_team_order_without_individual_awards_nothing(
        self, db: AsyncSession, world: World
    ) -> None:
        order = await make_closed_order(db, world.units["g1"], assignee=None, assignee_kind="team")
        await close(db, order.id)
        assert await transactions_with_key(db, f"order-close:{order.id}") == []
        assert await skipped(db, order.id) == ["no_individual_assignee"]

    async def test_an_order_not_closed_awards_nothing(self, db: AsyncSession, world: World) -> None:
        order = await make_closed_order(
            db, world.units["g1"], assignee=world.people["p1"], status="resolved"
        )
        await close(db, order.id)
        assert await transactions_with_key(db, f"order-close:{order.id}") == []
        assert await balance_of(db, world.people["p1"].id) == 0

    async def test_statement_shows_the_award(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        order = await make_closed_order(db, world.units["g1"], assignee=world.people["p1"])
        await close(db, order.id)
        response = await client.get(f"{API}/me/statement", headers=world["member"])
        [entry] = response.json()["items"]
        assert entry["kind"] == "order_award"
        assert entry["amount"] == 15 and entry["balance_after"] == 15
        assert order.number in entry["reason"]


class TestRuleVersions:
    async def test_a_change_affects_only_later_awards(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        p1 = world.people["p1"]
        before = await make_closed_order(db, world.units["g1"], assignee=p1, satisfaction=None)
        await close(db, before.id)
        await set_rule(client, world, "order_category", 20, key="repair")
        after = await make_closed_order(db, world.units["g1"], assignee=p1, satisfaction=None)
        await close(db, after.id)
        [first] = await transactions_with_key(db, f"order-close:{before.id}")
        [second] = await transactions_with_key(db, f"order-close:{after.id}")
        assert first.data["awarded"] == 10
        assert second.data["awarded"] == 20
        assert await balance_of(db, p1.id) == 30

    async def test_rules_in_force_at_an_earlier_moment(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        town = world.units["town"].id
        await set_rule(client, world, "order_category", 20, key="repair")
        await set_rule(client, world, "order_category", 25, key="repair")
        now = await db.scalar(select(func.now()))
        assert now is not None
        current = in_force(await repository.rules_in_force(db, town))
        earlier = in_force(await repository.rules_in_force(db, town, now - timedelta(seconds=1)))
        assert current.points(RuleKind.order_category, "repair") == 25
        assert earlier.points(RuleKind.order_category, "repair") == 10
        other = in_force(await repository.rules_in_force(db, world.units["other_town"].id))
        assert other.points(RuleKind.order_category, "repair") == 10
        versions = await db.scalars(
            select(PointsRule.points)
            .where(PointsRule.kind == "order_category", PointsRule.key == "repair")
            .order_by(PointsRule.id)
        )
        assert list(versions) == [10, 20, 25]


class TestCaps:
    async def test_daily_cap_cuts_then_skips(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        p1 = world.people["p1"]
        await set_rule(client, world, "cap_daily", 20)
        orders = [await make_closed_order(db, world.units["g1"], assignee=p1) for _ in range(3)]
        for order in orders:
            await close(db, order.id)
        awarded = [
            [t.data["awarded"] for t in await transactions_with_key(db, f"order-close:{o.id}")]
            for o in orders
        ]
        assert awarded == [[15], [5], []]
        assert await skipped(db, orders[2].id) == ["cap_reached"]
        assert await balance_of(db, p1.id) == 20

    async def test_monthly_cap_counts_manual_awards(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        p1 = world.people["p1"]
        await set_rule(client, world, "cap_monthly", 25)
        manual = await client.post(
            f"{API}/adjustments",
            json={"person_id": p1.id, "amount": 20, "reason": "表彰"},
            headers=world.with_key("town_admin"),
        )
        assert manual.status_code == 201
        order = await make_closed_order(db, world.units["g1"], assignee=p1)
        await close(db, order.id)
        [award] = await transactions_with_key(db, f"order-close:{order.id}")
        assert award.data["rule_points"] == 15 and award.data["awarded"] == 5
        assert await balance_of(db, p1.id) == 25

    async def test_a_reversed_award_frees_its_allowance(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        p1 = world.people["p1"]
        await set_rule(client, world, "cap_daily", 15)
        first = await make_closed_order(db, world.units["g1"], assignee=p1)
        await close(db, first.id)
        [award] = await transactions_with_key(db, f"order-close:{first.id}")
        reversed_ = await client.post(
            f"{API}/transactions/{award.id}/reverse",
            json={"reason": "派错人"},
            headers=world["town_admin"],
        )
        assert reversed_.status_code == 201
        second = await make_closed_order(db, world.units["g1"], assignee=p1)
        await close(db, second.id)
        assert await balance_of(db, p1.id) == 15

    async def test_award_for_order_returns_none_for_unknown_orders(
        self, db: AsyncSession, world: World
    ) -> None:
        assert await service.award_for_order(db, 987654321) is None
