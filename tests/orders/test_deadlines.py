"""Deadlines (办理时限) in calendar hours and Chinese working days, and where an
escalation goes; the pure module first, then through triage over HTTP."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.calendar import BUSINESS_TZ, WorkingCalendar
from app.orders.deadlines import compute, escalation_target
from app.orders.models import CalendarOverride, ServiceOrder
from tests.orders.conftest import World, load_order, ok, submit


@dataclass
class Limit:
    response_hours: Decimal
    resolve_amount: int
    resolve_unit: str


GENERAL = Limit(Decimal("24"), 7, "working_days")
UTILITY = Limit(Decimal("2"), 24, "hours")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BUSINESS_TZ)


class TestCompute:
    def test_general_class_across_national_day(self) -> None:
        # 国庆 2026: 10-01 … 10-07 off, Saturday 10-10 a make-up working day (调休).
        due = compute(local(2026, 9, 30, 10, 0), GENERAL, WorkingCalendar())
        assert due.resolve_due_at == local(2026, 10, 15, 10, 0)
        assert due.response_due_at == local(2026, 10, 1, 10, 0)

    def test_general_class_across_spring_festival_make_up_days(self) -> None:
        # 春节 2026: 02-15 … 02-23 off; Saturdays 02-14 and 02-28 are working days.
        due = compute(local(2026, 2, 13, 10, 0), GENERAL, WorkingCalendar())
        assert due.resolve_due_at == local(2026, 3, 2, 10, 0)

    def test_received_on_a_holiday_counts_from_the_next_working_day(self) -> None:
        due = compute(local(2026, 10, 3, 15, 0), GENERAL, WorkingCalendar())
        assert due.resolve_due_at == local(2026, 10, 16, 0, 0)

    def test_overrides_win_over_the_library(self) -> None:
        calendar = WorkingCalendar({date(2026, 10, 12): False})
        due = compute(local(2026, 9, 30, 10, 0), GENERAL, calendar)
        assert due.resolve_due_at == local(2026, 10, 16, 10, 0)

    def test_hour_classes_count_calendar_hours(self) -> None:
        received = local(2026, 10, 1, 23, 30)  # a holiday night does not matter
        due = compute(received, UTILITY, WorkingCalendar())
        assert due.response_due_at == received + timedelta(hours=2)
        assert due.resolve_due_at == received + timedelta(hours=24)


@dataclass
class Place:
    town_id: int
    community_id: int | None
    grid_id: int | None


class TestEscalationTarget:
    def test_grid_order_goes_to_the_community_then_the_town(self) -> None:
        order = Place(town_id=1, community_id=2, grid_id=3)
        assert escalation_target(order, 1) == ("community", 2)
        assert escalation_target(order, 2) == ("town", 1)
        assert escalation_target(order, 5) == ("town", 1)

    @pytest.mark.parametrize("place", [Place(1, 2, None), Place(1, None, None)])
    def test_community_or_town_order_goes_to_the_town(self, place: Place) -> None:
        assert escalation_target(place, 1) == ("town", 1)


async def _received(db: AsyncSession, order_id: int, when: datetime) -> None:
    await db.execute(
        update(ServiceOrder).where(ServiceOrder.id == order_id).values(received_at=when)
    )


class TestTriageSetsDeadlines:
    async def test_order_received_before_national_day(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        order = await submit(client, world, category="environment")  # class general
        await _received(db, order["id"], local(2026, 9, 30, 10, 0))
        triaged = await ok(client, world, "dispatcher", order["id"], "triage", {})
        assert triaged["time_limit"] == "general"
        stored = await load_order(db, order["id"])
        assert stored.resolve_due_at == local(2026, 10, 15, 10, 0)
        assert stored.response_due_at == local(2026, 10, 1, 10, 0)
        assert datetime.fromisoformat(triaged["resolve_due_at"]) == local(2026, 10, 15, 10, 0)

    async def test_calendar_overrides_from_the_database(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        db.add(CalendarOverride(day=date(2026, 10, 12), is_workday=False, note="测试"))
        order = await submit(client, world, category="environment")
        await _received(db, order["id"], local(2026, 9, 30, 10, 0))
        await ok(client, world, "dispatcher", order["id"], "triage", {})
        assert (await load_order(db, order["id"])).resolve_due_at == local(2026, 10, 16, 10, 0)
