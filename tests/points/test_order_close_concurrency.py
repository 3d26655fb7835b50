"""Parallel closes of one order on real, separate connections pay exactly once."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.integrations import events
from app.integrations.models import OutboxEvent
from app.orders.models import ServiceOrder
from app.people.models import Person
from app.points import handlers as _subscribed  # noqa: F401  (the app imports it too)
from app.points.models import (
    PointsAccount,
    PointsPeriodTotal,
    PointsPosting,
    PointsTransaction,
)
from tests.points.ledger_support import make_closed_order
from tests.support.factory import make_person, make_tree

CLOSERS = 12


@dataclass
class Committed:
    order_id: int
    person_id: int
    town_ids: list[int]


@pytest.fixture
async def committed(engine: AsyncEngine, settings: Settings) -> AsyncIterator[Committed]:
    """A committed tree, member and closed order; everything it leads to is deleted
    afterwards (the ledger is append-only, so cleanup runs in replica mode)."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        units = await make_tree(session)
        person = await make_person(session, units["h1"])
        order = await make_closed_order(session, units["g1"], assignee=person)
        await session.commit()
    town_ids = [units["town"].id, units["other_town"].id]
    try:
        yield Committed(order.id, person.id, town_ids)
    finally:
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(text("SET LOCAL session_replication_role = replica"))
            accounts = select(PointsAccount.id).where(PointsAccount.town_id.in_(town_ids))
            txns = select(PointsTransaction.id).where(PointsTransaction.town_id.in_(town_ids))
            await session.execute(delete(OutboxEvent).where(OutboxEvent.town_id.in_(town_ids)))
            await session.execute(
                delete(PointsPosting).where(PointsPosting.transaction_id.in_(txns))
            )
            await session.execute(delete(PointsTransaction).where(PointsTransaction.id.in_(txns)))
            await session.execute(
                delete(PointsPeriodTotal).where(PointsPeriodTotal.account_id.in_(accounts))
            )
            await session.execute(delete(PointsAccount).where(PointsAccount.town_id.in_(town_ids)))
            await session.execute(delete(ServiceOrder).where(ServiceOrder.id == order.id))
            await session.execute(delete(Person).where(Person.town_id.in_(town_ids)))
            await session.execute(delete(OrgUnit).where(OrgUnit.town_id.in_(town_ids)))


async def test_parallel_closes_award_exactly_once(
    engine: AsyncEngine, committed: Committed
) -> None:
    start = asyncio.Event()

    async def close(event_type: str) -> None:
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(text("SELECT 1"))  # hold a connection before the start
            await start.wait()
            await events.publish(
                session,
                event_type,
                aggregate_type="order",
                aggregate_id=committed.order_id,
                payload={"order_id": committed.order_id},
                town_id=committed.town_ids[0],
            )

    kinds = ["order.confirmed", "order.auto_closed"]
    tasks = [asyncio.create_task(close(kinds[i % 2])) for i in range(CLOSERS)]
    await asyncio.sleep(0)
    start.set()
    await asyncio.gather(*tasks)

    async with AsyncSession(engine) as session:
        awards = (
            await session.scalars(
                select(PointsTransaction).where(
                    PointsTransaction.txn_key == f"order-close:{committed.order_id}"
                )
            )
        ).all()
        assert len(awards) == 1
        balance = await session.scalar(
            select(PointsAccount.balance).where(PointsAccount.person_id == committed.person_id)
        )
        assert balance == 15
        postings = await session.scalar(
            select(func.count())
            .select_from(PointsPosting)
            .where(PointsPosting.transaction_id == awards[0].id)
        )
        assert postings == 2
        announced = await session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(
                OutboxEvent.event_type == "points.awarded",
                OutboxEvent.aggregate_id == str(awards[0].id),
            )
        )
        assert announced == 1
