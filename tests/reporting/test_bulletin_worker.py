"""The 通报 job: the worker publishes each live town's bulletins of the last finished
week and month, once — run through the real queue, and as the step it repeats."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.hierarchy.models import OrgUnit
from app.orders.models import ServiceOrder
from app.queue import queue
from app.reporting.bulletins import service
from app.reporting.bulletins.models import Bulletin
from app.reporting.bulletins.schemas import BulletinKind
from app.worker import open_queue
from tests.reporting.conftest import SH, World
from tests.support.cleanup import purge_audit
from tests.support.factory import make_order, make_unit

TASK = "reporting.publish_bulletins"


def last_week_start() -> datetime:
    """Tuesday 10:00 of the last finished week, in Asia/Shanghai."""
    today = datetime.now(SH).date()
    monday = today - timedelta(days=today.weekday() + 7)
    return datetime(monday.year, monday.month, monday.day, 10, tzinfo=SH) + timedelta(days=1)


class TestTheStep:
    async def test_publishes_the_last_finished_periods_once(
        self, db: AsyncSession, world: World
    ) -> None:
        town = world.id("town")
        assert await service.publish_due(db, town, BulletinKind.weekly) is True
        assert await service.publish_due(db, town, BulletinKind.monthly) is True
        assert await service.publish_due(db, town, BulletinKind.weekly) is False
        rows = (await db.scalars(select(Bulletin).order_by(Bulletin.kind))).all()
        today = datetime.now(SH).date()
        assert [(b.kind, b.period_start) for b in rows] == [
            ("monthly", service.last_finished(BulletinKind.monthly, today)),
            ("weekly", service.last_finished(BulletinKind.weekly, today)),
        ]
        assert all(b.generated_by is None for b in rows)

    async def test_a_town_without_orders_by_the_periods_end_gets_none(
        self, db: AsyncSession, world: World
    ) -> None:
        # The other town's one order was received in October: before last week's end.
        other = world.id("other_town")
        assert await service.publish_due(db, other, BulletinKind.weekly) is True
        new_town = await make_unit(db, "town", name="新设镇")
        await make_order(db, new_town)  # received now, after every finished period
        assert await service.publish_due(db, new_town.id, BulletinKind.weekly) is False
        assert await service.publish_due(db, new_town.id, BulletinKind.monthly) is False

    async def test_archived_towns_get_none(self, db: AsyncSession, world: World) -> None:
        world.unit("other_town").is_archived = True
        await db.flush()
        assert world.id("other_town") not in await service.towns_due(db)
        assert world.id("town") in await service.towns_due(db)


def test_runs_every_hour() -> None:
    assert TASK in queue.tasks
    periodic = {p.periodic_id: p.cron for p in queue.periodic_registry.periodic_tasks.values()}
    assert periodic["bulletins"] == "7 * * * *"


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[dict[str, int]]:
    """A town with one order received in the last finished week and one in the last
    finished month (never inside that week), committed for the worker; everything the
    test and the job wrote is removed afterwards."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        before = int(await session.scalar(select(func.coalesce(func.max(Bulletin.id), 0))) or 0)
        town = await make_unit(session, "town", code="BULLETIN-T", name="通报镇")
        community = await make_unit(session, "community", town, code="BULLETIN-C")
        received = last_week_start()
        order = await make_order(
            session,
            community,
            status="closed",
            received_at=received.astimezone(UTC),
            feedback_resolved="yes",
            feedback_satisfaction="basically",
            feedback_at=received + timedelta(hours=5),
            resolved_at=received + timedelta(hours=4),
        )
        month = service.last_finished(BulletinKind.monthly, datetime.now(SH).date())
        earlier = await make_order(
            session, community, received_at=datetime(month.year, month.month, 15, 10, tzinfo=SH)
        )
        await session.commit()
    try:
        yield {"town": town.id, "community": community.id, "order": order.id}
    finally:
        async with AsyncSession(engine) as session, session.begin():
            towns = (
                await session.scalars(select(Bulletin.town_id).where(Bulletin.id > before))
            ).all()
            # Bulletins and settings versions are history by trigger; replica mode,
            # local to this transaction, lets the test remove only what it wrote.
            await session.execute(text("SET LOCAL session_replication_role = replica"))
            await session.execute(delete(Bulletin).where(Bulletin.id > before))
            await purge_audit(session, towns={town.id, *towns})
            await session.execute(
                delete(ServiceOrder).where(ServiceOrder.id.in_([order.id, earlier.id]))
            )
            await session.execute(delete(OrgUnit).where(OrgUnit.id == community.id))
            await session.execute(delete(OrgUnit).where(OrgUnit.id == town.id))
            await session.execute(
                text("DELETE FROM procrastinate_jobs WHERE task_name = :task"), {"task": TASK}
            )


async def test_worker_publishes_through_the_queue_once(
    database_url: str, engine: AsyncEngine, committed: dict[str, int]
) -> None:
    async def mine() -> list[Bulletin]:
        async with AsyncSession(engine) as session:
            query = (
                select(Bulletin)
                .join(OrgUnit, OrgUnit.id == Bulletin.town_id)
                .where(OrgUnit.code == "BULLETIN-T")
                .order_by(Bulletin.kind)
            )
            return list((await session.scalars(query)).all())

    jobs: list[int] = []

    async def run() -> list[Bulletin]:
        async with open_queue(database_url) as opened:
            jobs.append(await opened.configure_task(TASK).defer_async(timestamp=0))
            await opened.run_worker_async(
                queues=["reporting"], wait=False, install_signal_handlers=False
            )
        return await mine()

    bulletins = await run()
    assert [b.kind for b in bulletins] == ["monthly", "weekly"]
    again = await run()  # publishes nothing new, changes nothing
    assert [(b.id, b.content) for b in again] == [(b.id, b.content) for b in bulletins]
    weekly = bulletins[1].content
    assert weekly["summary"]["total"] == 1
    assert weekly["summary"]["satisfaction_rate"] == {
        "rate": 0.8,
        "numerator": 0.8,
        "denominator": 1,
    }
    assert weekly["communities"][0]["unit"]["id"] == committed["community"]
    assert weekly["communities"][0]["rank"] == 1
    async with engine.connect() as conn:
        statuses = await conn.execute(
            text("SELECT status::text FROM procrastinate_jobs WHERE id = ANY(:ids)"),
            {"ids": jobs},
        )
        assert statuses.scalars().all() == ["succeeded", "succeeded"]
