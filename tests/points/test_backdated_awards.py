"""Awards recorded for past closes (history, the demo town) land in their own period
and leave today's daily cap untouched."""

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.points import service as points_service
from app.points.models import PointsPeriodTotal, PointsPosting, PointsTransaction
from app.points.verify import verify_ledger
from tests.points.ledger_support import build_world, make_closed_order


async def test_backdated_award_counts_in_the_month_of_the_close(
    db: AsyncSession, settings: Settings
) -> None:
    world = await build_world(db, settings)
    member = world.people["p1"]
    closed_in_june = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)
    # A day of history worth more than the daily cap (100): 12 closes of 15 points.
    awarded = []
    for _ in range(12):
        order = await make_closed_order(db, world.units["h1"], assignee=member)
        order.closed_at = closed_in_june
        await db.flush()
        txn = await points_service.award_for_order(db, order.id, backdate=True)
        if txn is not None:
            assert txn.created_at == closed_in_june
            awarded.append(txn)
    assert 6 <= len(awarded) < 12, "the cap of 15 June stopped the awards"

    months = dict(
        (
            await db.execute(
                select(PointsPeriodTotal.period_start, PointsPeriodTotal.earned).where(
                    PointsPeriodTotal.period == "month"
                )
            )
        ).all()
    )
    assert months == {date(2026, 6, 1): 100}, "June's daily cap cut the history at 100"
    posting_days = set(
        (
            await db.scalars(
                select(PointsPosting.created_at)
                .join(PointsTransaction)
                .where(PointsTransaction.kind == "order_award")
            )
        ).all()
    )
    assert posting_days == {closed_in_june}

    today = await make_closed_order(db, world.units["h1"], assignee=member)
    live = await points_service.award_for_order(db, today.id)
    assert live is not None, "today's cap is not used up by June's history"
    report = await verify_ledger(db)
    assert report.clean, report.differences
