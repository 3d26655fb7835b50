"""The deadline jobs: escalation (吹哨) once per breach, auto-close without 回访;
both idempotent. Plus the periodic task wiring."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.audit.models import AuditEvent
from app.integrations.models import OutboxEvent
from app.orders.models import KpiSetting, ServiceOrder, ServiceOrderEvent
from app.orders.steps.overdue import auto_close_resolved, escalate_overdue
from app.queue import queue
from app.worker import open_queue
from tests.orders.conftest import World, load_order, ok, order_in, outbox, snapshot


def now() -> datetime:
    return datetime.now(UTC)


async def _due(db: AsyncSession, order_id: int, **values: datetime | None) -> None:
    await db.execute(update(ServiceOrder).where(ServiceOrder.id == order_id).values(**values))


async def _escalations(db: AsyncSession, order_id: int) -> list[ServiceOrderEvent]:
    rows = await db.scalars(
        select(ServiceOrderEvent)
        .where(ServiceOrderEvent.order_id == order_id, ServiceOrderEvent.step == "escalate")
        .order_by(ServiceOrderEvent.id)
    )
    return list(rows)


class TestEscalateOverdue:
    async def test_response_breach_escalates_once_to_the_community(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await order_in(client, world, "dispatched")
        await _due(db, order["id"], response_due_at=now() - timedelta(minutes=1))

        assert await escalate_overdue(db, now()) == 1
        stored = await load_order(db, order["id"])
        assert (stored.escalation_level, stored.status) == (1, "dispatched")
        (event,) = await _escalations(db, order["id"])
        assert event.actor_user_id is None
        assert event.data["breach"] == "response"
        assert event.data["notify"] == {"level": "community", "unit_id": world.unit("c1").id}
        assert event.data["holder"]["person_id"] == world.person("member").id
        published = (await outbox(db, order["id"]))[-1]
        assert published.event_type == "order.escalated"
        assert published.payload["assignee"]["person_id"] == world.person("member").id
        assert published.payload["data"]["notify"]["unit_id"] == world.unit("c1").id

        before = await snapshot(db, order["id"])
        assert await escalate_overdue(db, now() + timedelta(minutes=5)) == 0
        assert await snapshot(db, order["id"]) == before

    async def test_resolve_breach_escalates_again_to_the_town(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await order_in(client, world, "in_progress")
        await _due(db, order["id"], response_due_at=now() - timedelta(hours=2))
        assert await escalate_overdue(db, now()) == 1
        await _due(db, order["id"], resolve_due_at=now() - timedelta(minutes=1))
        assert await escalate_overdue(db, now()) == 1
        assert await escalate_overdue(db, now()) == 0
        events = await _escalations(db, order["id"])
        assert [(e.data["breach"], e.data["notify"]["level"]) for e in events] == [
            ("response", "community"),
            ("resolve", "town"),
        ]
        assert (await load_order(db, order["id"])).escalation_level == 2

    async def test_both_breaches_at_once_escalate_twice(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await order_in(client, world, "triaged")
        past = now() - timedelta(days=1)
        await _due(db, order["id"], response_due_at=past, resolve_due_at=past)
        assert await escalate_overdue(db, now()) == 2
        assert (await load_order(db, order["id"])).escalation_level == 2
        assert await escalate_overdue(db, now()) == 0

    @pytest.mark.parametrize("status", ["resolved", "closed", "submitted"])
    async def test_orders_not_in_work_are_left_alone(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, status: str
    ) -> None:
        order = await order_in(client, world, status)
        past = now() - timedelta(days=1)
        await _due(db, order["id"], response_due_at=past, resolve_due_at=past)
        before = await snapshot(db, order["id"])
        assert await escalate_overdue(db, now()) == 0
        assert await snapshot(db, order["id"]) == before

    async def test_first_contact_in_time_prevents_the_response_breach(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await order_in(client, world, "in_progress")
        await ok(client, world, "member", order["id"], "contact")
        await _due(db, order["id"], response_due_at=now() - timedelta(minutes=1))
        assert await escalate_overdue(db, now()) == 0

    async def test_history_shows_the_escalation(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await order_in(client, world, "pooled")
        await _due(db, order["id"], resolve_due_at=now() - timedelta(minutes=1))
        await escalate_overdue(db, now())
        history = await client.get(
            f"/api/v1/orders/{order['id']}/events", headers=world["resident"]
        )
        last = history.json()["items"][-1]
        assert (last["step"], last["from_status"], last["to_status"]) == (
            "escalate",
            "pooled",
            "pooled",
        )
        assert last["actor_user_id"] is None


class TestAutoClose:
    async def test_closes_resolved_orders_nobody_answered(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        stale = await order_in(client, world, "resolved")
        fresh = await order_in(client, world, "resolved")
        await _due(db, stale["id"], resolved_at=now() - timedelta(hours=73))
        await _due(db, fresh["id"], resolved_at=now() - timedelta(hours=71))

        assert await auto_close_resolved(db, now()) == 1
        closed = await load_order(db, stale["id"])
        assert (closed.status, closed.feedback_at) == ("closed", None)
        assert closed.closed_at is not None
        assert (await outbox(db, stale["id"]))[-1].event_type == "order.auto_closed"
        assert (await load_order(db, fresh["id"])).status == "resolved"

        before = await snapshot(db, stale["id"])
        assert await auto_close_resolved(db, now()) == 0
        assert await snapshot(db, stale["id"]) == before

    async def test_the_delay_is_configuration(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await order_in(client, world, "resolved")
        await _due(db, order["id"], resolved_at=now() - timedelta(hours=2))
        await db.execute(
            update(KpiSetting).where(KpiSetting.key == "auto_close_after_hours").values(value=1)
        )
        assert await auto_close_resolved(db, now()) == 1
        assert (await load_order(db, order["id"])).status == "closed"


class TestPeriodicTask:
    def test_runs_every_minute(self) -> None:
        assert "orders.run_deadlines" in queue.tasks
        periodic = {p.periodic_id: p.cron for p in queue.periodic_registry.periodic_tasks.values()}
        assert periodic["order-deadlines"] == "* * * * *"


@pytest.fixture
async def overdue_committed(engine: AsyncEngine) -> AsyncIterator[list[int]]:
    """An overdue order committed for the worker to find; removed afterwards."""
    created: list[int] = []
    try:
        yield created
    finally:
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(text("SET LOCAL session_replication_role = replica"))
            ids = [str(i) for i in created]
            await session.execute(delete(OutboxEvent).where(OutboxEvent.aggregate_id.in_(ids)))
            orders = AuditEvent.target_type == "order"
            await session.execute(delete(AuditEvent).where(orders, AuditEvent.target_id.in_(ids)))
            await session.execute(
                delete(ServiceOrderEvent).where(ServiceOrderEvent.order_id.in_(created))
            )
            await session.execute(delete(ServiceOrder).where(ServiceOrder.id.in_(created)))
            await session.execute(text("DELETE FROM org_unit WHERE code LIKE 'OVERDUE-%'"))
            await session.execute(
                text("DELETE FROM procrastinate_jobs WHERE task_name = 'orders.run_deadlines'")
            )


async def test_worker_runs_the_job_and_commits(
    database_url: str, engine: AsyncEngine, overdue_committed: list[int]
) -> None:
    from tests.support.factory import make_unit

    async with AsyncSession(engine, expire_on_commit=False) as session:
        town = await make_unit(session, "town", code="OVERDUE-T")
        community = await make_unit(session, "community", town, code="OVERDUE-C")
        order = ServiceOrder(
            number="GD19990102-000001",
            status="triaged",
            category="repair",
            channel="app",
            title="漏水",
            description="漏水",
            location_unit_id=community.id,
            received_at=now() - timedelta(days=3),
            response_due_at=now() - timedelta(days=2),
            town_id=town.id,
            community_id=community.id,
        )
        session.add(order)
        await session.commit()
        overdue_committed.append(order.id)

    async with open_queue(database_url) as opened:
        await opened.configure_task("orders.run_deadlines").defer_async(timestamp=0)
        await opened.run_worker_async(queues=["orders"], wait=False, install_signal_handlers=False)

    async with AsyncSession(engine) as session:
        stored = await session.get(ServiceOrder, order.id)
        assert stored is not None
        assert stored.escalation_level == 1
