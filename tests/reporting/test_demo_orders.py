"""app.demo.orders.seed_demo_orders: demo history in every status, consistent by SQL,
and the KPI report over it agrees with figures recomputed here order by order."""

import re
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.demo.orders import seed_demo_orders
from app.hierarchy.models import OrgUnit
from app.kit.calendar import WorkingCalendar
from app.orders import deadlines
from app.orders.models import (
    OrderNumberCounter,
    OrderSecond,
    ServiceOrder,
    ServiceOrderEvent,
    TimeLimitClass,
)
from app.orders.workflow import OPEN, TRANSITIONS, OrderStatus, OrderStep
from tests.support.factory import bearer, make_member, make_person, make_tree, make_user

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 16, 30, tzinfo=SH)
CHAIN = (
    "received_at",
    "triaged_at",
    "dispatched_at",
    "accepted_at",
    "first_contact_at",
    "resolved_at",
    "feedback_at",
    "closed_at",
)
ORDER_COUNT = 300


@pytest.fixture
async def town(db: AsyncSession) -> dict[str, OrgUnit]:
    units = await make_tree(db)
    for home in ("h1", "b1", "b2", "h1", "b2"):
        await make_person(db, units[home])
    for branch, home in (("g1", "h1"), ("g1", "b1"), ("g2", "b2")):
        await make_member(db, await make_person(db, units[home]), units[branch])
    return units


async def seed(db: AsyncSession, units: dict[str, OrgUnit], **kwargs: Any) -> int:
    options: dict[str, Any] = {"now": NOW, "count": ORDER_COUNT, **kwargs}
    return await seed_demo_orders(db, town_id=units["town"].id, **options)


async def scalar(db: AsyncSession, sql: str, **params: Any) -> Any:
    return (await db.execute(text(sql), params)).scalar_one()


class TestSeedDemoOrders:
    async def test_every_status_in_the_town_over_90_days(
        self, db: AsyncSession, town: dict[str, OrgUnit]
    ) -> None:
        assert await seed(db, town) == ORDER_COUNT
        statuses = Counter(await db.execute(select(ServiceOrder.status, ServiceOrder.town_id)))
        assert {s for s, _ in statuses} == {s.value for s in OrderStatus}
        assert {t for _, t in statuses} == {town["town"].id}
        assert sum(statuses.values()) == ORDER_COUNT
        first, last = (
            await db.execute(
                select(func.min(ServiceOrder.received_at), func.max(ServiceOrder.received_at))
            )
        ).one()
        assert first >= NOW - timedelta(days=90)
        assert last <= NOW
        assert last - first > timedelta(days=60)
        grids = {g for (g,) in await db.execute(select(ServiceOrder.grid_id).distinct())}
        assert grids == {town["g1"].id, town["g2"].id}

    async def test_timestamps_follow_the_life_of_an_order(
        self, db: AsyncSession, town: dict[str, OrgUnit]
    ) -> None:
        await seed(db, town)
        pairs = [(a, b) for i, a in enumerate(CHAIN) for b in CHAIN[i + 1 :]]
        disorder = " OR ".join(f"{a} > {b}" for a, b in pairs)
        assert await scalar(db, f"SELECT count(*) FROM service_order WHERE {disorder}") == 0
        assert (
            await scalar(db, "SELECT max(greatest(" + ", ".join(CHAIN) + ")) FROM service_order")
            <= NOW
        )
        # What each status implies (and excludes).
        for sql in (
            "status = 'closed' AND (closed_at IS NULL OR resolved_at IS NULL)",
            "status <> 'closed' AND closed_at IS NOT NULL",
            "status = 'resolved' AND resolved_at IS NULL",
            "status IN ('dispatched', 'pooled', 'in_progress') AND dispatched_at IS NULL",
            "status = 'in_progress' AND accepted_at IS NULL",
            "status = 'submitted' AND (triaged_at IS NOT NULL OR resolve_due_at IS NOT NULL)",
            "triaged_at IS NOT NULL AND (response_due_at IS NULL OR resolve_due_at IS NULL)",
            "status = 'pooled' AND assignee_kind <> 'pool'",
            "status = 'merged' AND merged_into_id IS NULL",
            "status = 'rejected' AND reject_reason IS NULL",
            "feedback_at IS NULL AND feedback_resolved IS NOT NULL",
            # an unanswered resolved order would have been auto-closed after 72 hours
            "status = 'resolved' AND resolved_at < CAST(:now AS timestamptz) - interval '72 hours'",
            # 回访 that closed an order was a happy one (yes, and not 'not')
            "status = 'closed' AND feedback_resolved IS NOT NULL"
            " AND (feedback_resolved <> 'yes' OR feedback_satisfaction = 'not')",
        ):
            found = await scalar(db, f"SELECT count(*) FROM service_order WHERE {sql}", now=NOW)
            assert found == 0, sql

    async def test_history_follows_the_transition_table(
        self, db: AsyncSession, town: dict[str, OrgUnit]
    ) -> None:
        await seed(db, town)
        triples = await db.execute(
            select(
                ServiceOrderEvent.from_status,
                ServiceOrderEvent.step,
                ServiceOrderEvent.to_status,
            ).distinct()
        )
        for before, step, after in triples:
            if step == "submit":
                assert (before, after) == (None, "submitted")
            else:
                assert TRANSITIONS[(OrderStatus(before), OrderStep(step))] == after
        # Each event starts where the one before ended; the last one is the order's status.
        broken = await scalar(
            db,
            """
            SELECT count(*) FROM (
                SELECT e.from_status IS DISTINCT FROM lag(e.to_status) OVER w AS broken,
                       e.occurred_at < lag(e.occurred_at) OVER w AS backwards,
                       e.occurred_at < o.received_at
                           OR e.occurred_at > CAST(:now AS timestamptz) AS outside
                FROM service_order_event e JOIN service_order o ON o.id = e.order_id
                WINDOW w AS (PARTITION BY e.order_id ORDER BY e.id)
            ) x WHERE broken OR backwards OR outside
            """,
            now=NOW,
        )
        assert broken == 0
        mismatched = await scalar(
            db,
            """
            SELECT count(*) FROM service_order o
            WHERE o.status <> (SELECT to_status FROM service_order_event e
                               WHERE e.order_id = o.id ORDER BY e.id DESC LIMIT 1)
               OR o.version <> (SELECT count(*) FROM service_order_event e WHERE e.order_id = o.id)
               OR o.escalation_level <> (SELECT count(*) FROM service_order_event e
                                         WHERE e.order_id = o.id AND e.step = 'escalate')
            """,
        )
        assert mismatched == 0

    async def test_deadlines_escalations_answers_and_merges_are_realistic(
        self, db: AsyncSession, town: dict[str, OrgUnit]
    ) -> None:
        await seed(db, town)
        limits = {c.code: c for c in await db.scalars(select(TimeLimitClass))}
        orders = list(await db.scalars(select(ServiceOrder)))
        calendar = WorkingCalendar()
        for order in orders:
            if order.time_limit is not None:
                due = deadlines.compute(order.received_at, limits[order.time_limit], calendar)
                assert (order.response_due_at, order.resolve_due_at) == (
                    due.response_due_at,
                    due.resolve_due_at,
                )
        overdue = [
            o
            for o in orders
            if o.resolve_due_at
            and (
                (o.resolved_at and o.resolved_at > o.resolve_due_at and o.status not in OPEN)
                or (o.status in OPEN and o.resolved_at is None and o.resolve_due_at < NOW)
            )
        ]
        assert 5 <= len(overdue) <= 0.25 * len(orders)
        escalated = [o for o in orders if o.escalation_level > 0]
        assert 5 <= len(escalated) <= 0.4 * len(orders)
        answers = Counter(
            (o.feedback_resolved, o.feedback_satisfaction) for o in orders if o.feedback_at
        )
        assert answers[("yes", "satisfied")] > answers[("yes", "basically")] > 0
        assert sum(n for (r, _), n in answers.items() if r != "yes") > 0  # reopened (返工)
        assert any(o.rework_count > 0 and o.status == "closed" for o in orders)
        assert any(o.status == "closed" and o.feedback_at is None for o in orders)  # auto-closed
        by_id = {o.id: o for o in orders}
        merged = [o for o in orders if o.status == "merged"]
        for order in merged:
            target = by_id[order.merged_into_id]  # type: ignore[index]
            assert target.received_at <= order.received_at
            assert target.status != "merged"
        seconds = Counter(
            order_id for (order_id,) in await db.execute(select(OrderSecond.order_id))
        )
        assert {o.id: o.seconds_count for o in orders if o.seconds_count} == dict(seconds)

    async def test_numbers_continue_the_daily_counters(
        self, db: AsyncSession, town: dict[str, OrgUnit]
    ) -> None:
        await seed(db, town, count=60)
        await seed(db, town, count=60, rng_seed=7)
        rows = await db.execute(select(ServiceOrder.number, ServiceOrder.received_at))
        per_day: dict[str, list[int]] = {}
        for number, received in rows:
            match = re.fullmatch(r"GD(\d{8})-(\d{6})", number)
            assert match, number
            assert match[1] == f"{received.astimezone(SH):%Y%m%d}"
            per_day.setdefault(match[1], []).append(int(match[2]))
        counters = {
            f"{day:%Y%m%d}": last
            for day, last in await db.execute(
                select(OrderNumberCounter.day, OrderNumberCounter.last_value)
            )
        }
        for day, values in per_day.items():
            assert len(set(values)) == len(values)
            assert counters[day] == max(values)

    async def test_same_seed_same_orders(self, db: AsyncSession, town: dict[str, OrgUnit]) -> None:
        fingerprints = []
        for _ in range(2):
            savepoint = await db.begin_nested()
            await seed(db, town, count=80)
            fingerprints.append(
                (
                    await db.execute(
                        select(
                            ServiceOrder.status,
                            ServiceOrder.category,
                            ServiceOrder.received_at,
                            ServiceOrder.resolved_at,
                            ServiceOrder.feedback_satisfaction,
                        ).order_by(ServiceOrder.received_at, ServiceOrder.id)
                    )
                ).all()
            )
            await savepoint.rollback()
        assert fingerprints[0] == fingerprints[1]

    async def test_town_without_people_is_refused(self, db: AsyncSession) -> None:
        units = await make_tree(db)
        with pytest.raises(ValueError, match="residents and party members"):
            await seed_demo_orders(db, town_id=units["other_town"].id, now=NOW)


def _recompute(orders: list[ServiceOrder], as_of: datetime) -> dict[str, Any]:
    """The summary figures with the seeded settings, order by order (no SQL)."""
    counted = [
        o
        for o in orders
        if o.status not in ("merged", "rejected", "cancelled") and not o.is_excluded
    ]
    due = [
        o
        for o in counted
        if o.response_due_at and (o.first_contact_at or o.response_due_at < as_of)
    ]
    on_time = [
        o
        for o in counted
        if o.first_contact_at and o.response_due_at and o.first_contact_at <= o.response_due_at
    ]
    res = {"yes": Decimal(1), "partly": Decimal("0.5"), "no": Decimal(0)}
    sat = {"satisfied": Decimal(1), "basically": Decimal("0.8"), "not": Decimal(0)}
    answered = [o for o in counted if o.feedback_resolved]
    working = OPEN - {OrderStatus.resolved}
    finished = [o for o in counted if o.resolved_at and o.status not in working]
    accepted = [o for o in counted if o.accepted_at]

    def mean_hours(rows: list[ServiceOrder], column: str) -> float:
        seconds = sum((getattr(o, column) - o.received_at).total_seconds() for o in rows)
        return float(round(Decimal(seconds) / len(rows) / 3600, 2))

    return {
        "total": len(orders),
        "counted": len(counted),
        "response": (len(on_time), len(due)),
        "resolution": (float(sum(res[o.feedback_resolved] for o in answered)), len(answered)),  # type: ignore[index]
        "satisfaction": (float(sum(sat[o.feedback_satisfaction] for o in answered)), len(answered)),  # type: ignore[index]
        "hours_to_accept": mean_hours(accepted, "accepted_at"),
        "hours_to_resolve": mean_hours(finished, "resolved_at"),
        "overdue": sum(
            1
            for o in counted
            if o.resolve_due_at
            and (
                (o.status in working and o.resolve_due_at < as_of)
                or (o in finished and o.resolved_at > o.resolve_due_at)  # type: ignore[operator]
            )
        ),
        "escalated": sum(1 for o in counted if o.escalation_level > 0),
    }


async def test_kpis_over_the_demo_town_match_a_recount(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, town: dict[str, OrgUnit]
) -> None:
    await seed(db, town)
    admin = await make_user(db, ("town_admin", town["town"]))
    params = {"from": f"{NOW - timedelta(days=90):%Y-%m-%d}", "to": f"{NOW:%Y-%m-%d}"}
    response = await client.get(
        "/api/v1/stats/orders", params=params, headers=bearer(settings, admin)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    summary = body["summary"]
    as_of = datetime.fromisoformat(body["as_of"])
    expected = _recompute(list(await db.scalars(select(ServiceOrder))), as_of)
    assert summary["total"] == expected["total"] == ORDER_COUNT
    assert summary["counted"] == expected["counted"]
    for key in ("response", "resolution", "satisfaction"):
        numerator, denominator = expected[key]
        figure = summary[f"{key}_rate"]
        assert (figure["numerator"], figure["denominator"]) == (
            pytest.approx(numerator),
            denominator,
        )
        assert 0.5 < figure["rate"] < 1
    assert summary["mean_hours_to_accept"] == expected["hours_to_accept"]
    assert summary["mean_hours_to_resolve"] == expected["hours_to_resolve"]
    assert summary["overdue"] == expected["overdue"] > 0
    assert summary["escalated"] == expected["escalated"] > 0
    assert sum(c["figures"]["total"] for c in body["by_child"]) == ORDER_COUNT
