"""The deadline jobs: escalation past a deadline (吹哨), departments that missed their
arrival (部门报到超时) and auto-close of resolved orders nobody answered (回访超时).
All are idempotent: what they did is recorded in the rows themselves, so running
them again changes nothing more."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.integrations.events import publish
from app.orders import deadlines, repository
from app.orders.models import DepartmentArrival, ServiceOrder
from app.orders.service import SYSTEM, advance, sources_of
from app.orders.workflow import OrderStep

BATCH = 500

_BREACH_NOTES = {
    deadlines.Breach.response: "超过响应时限未联系居民，上报上一级",
    deadlines.Breach.resolve: "超过办结时限未办结，上报上一级",
}


async def escalate_overdue(session: AsyncSession, now: datetime) -> int:
    """Each open order past a deadline escalates one level per breach kind, once:
    the ``escalate`` event records the breach, and the next run skips it."""
    escalated = 0
    while True:
        batch = await repository.overdue(session, now, sources_of(OrderStep.escalate), limit=BATCH)
        for order, breaches in batch:
            for breach in breaches:
                await _escalate(session, order, breach, now)
                escalated += 1
        if len(batch) < BATCH:
            return escalated


async def _escalate(session: AsyncSession, order: ServiceOrder, breach: str, now: datetime) -> None:
    level = order.escalation_level + 1
    notify_level, notify_unit_id = deadlines.escalation_target(order, level)
    due = order.response_due_at if breach == deadlines.Breach.response else order.resolve_due_at
    await advance(
        session,
        SYSTEM,
        order,
        OrderStep.escalate,
        now=now,
        note=_BREACH_NOTES[breach],
        data={
            "breach": breach,
            "due_at": due.isoformat() if due else None,
            "level": level,
            "notify": {"level": notify_level, "unit_id": notify_unit_id},
            "holder": {
                "kind": order.assignee_kind,
                "person_id": order.assignee_person_id,
                "team_id": order.assignee_team_id,
                "department_id": order.assignee_department_id,
                "location_unit_id": order.location_unit_id,
            },
        },
        escalation_level=level,
    )


ARRIVAL_OVERDUE = "order.arrival_overdue"


async def report_missed_arrivals(session: AsyncSession, now: datetime) -> int:
    """Each whistle (吹哨) whose department has not reported (报到) by ``due_at`` is
    announced once, as ``order.arrival_overdue``: the department and the level above
    the order hear of it (notification rules)."""
    reported = 0
    while True:
        batch = await repository.missed_arrivals(
            session, now, sources_of(OrderStep.escalate), limit=BATCH
        )
        for arrival, order in batch:
            arrival.missed_at = now
            await _announce_missed(session, arrival, order)
        reported += len(batch)
        if len(batch) < BATCH:
            return reported


async def _announce_missed(
    session: AsyncSession, arrival: DepartmentArrival, order: ServiceOrder
) -> None:
    notify_level, notify_unit_id = deadlines.escalation_target(order, order.escalation_level + 1)
    await publish(
        session,
        ARRIVAL_OVERDUE,
        aggregate_type="order",
        aggregate_id=order.id,
        payload={
            "order_id": order.id,
            "number": order.number,
            "title": order.title,
            "department_id": arrival.department_id,
            "whistled_at": arrival.whistled_at.isoformat(),
            "due_at": arrival.due_at.isoformat(),
            "town_id": order.town_id,
            "community_id": order.community_id,
            "grid_id": order.grid_id,
            "data": {"notify": {"level": notify_level, "unit_id": notify_unit_id}},
        },
        place=order,
    )


async def auto_close_resolved(session: AsyncSession, now: datetime) -> int:
    """Closes resolved orders without a 回访 answer after ``auto_close_after_hours``
    (kpi_setting, 72 by default)."""
    hours = float(await repository.setting(session, "auto_close_after_hours", 72))
    resolved_before = now - timedelta(hours=hours)
    closed = 0
    while True:
        batch = await repository.unanswered(
            session, resolved_before, sources_of(OrderStep.auto_close), limit=BATCH
        )
        for order in batch:
            await advance(
                session,
                SYSTEM,
                order,
                OrderStep.auto_close,
                now=now,
                data={"after_hours": hours},
                closed_at=now,
            )
        closed += len(batch)
        if len(batch) < BATCH:
            return closed
