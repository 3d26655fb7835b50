"""Reading what the town holds and writing the demo history as rows: one
``INSERT … SELECT FROM unnest(…)`` per table, and the day counters of the numbers."""

import json
import random
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Scope
from app.db.base import Base
from app.demo.orders.plan import Event, Member, Plan, Resident, Town
from app.demo.orders.stories import CHANNELS, TITLES
from app.kit.calendar import BUSINESS_TZ, WorkingCalendar
from app.orders.models import (
    CalendarOverride,
    KpiSetting,
    OrderCategory,
    OrderSecond,
    ServiceOrder,
    ServiceOrderEvent,
    TimeLimitClass,
)
from app.people.models import PartyMember, Person


async def load_town(session: AsyncSession, town_id: int) -> Town:
    in_town = Scope.of([("town", town_id)])
    people = await session.execute(
        select(
            Person.town_id,
            Person.community_id,
            Person.grid_id,
            Person.building_id,
            Person.household_id,
            Person.id,
            Person.name,
            Person.mobile,
            Person.home_unit_id,
        )
        .where(in_town.clause(Person), Person.is_archived.is_(False))
        .order_by(Person.id)
    )
    members = await session.execute(
        select(PartyMember.person_id, Person.name, PartyMember.community_id, PartyMember.grid_id)
        .join(Person, Person.id == PartyMember.person_id)
        .where(in_town.clause(PartyMember), PartyMember.is_archived.is_(False))
        .order_by(PartyMember.id)
    )
    everyone = [Member(*row) for row in members]
    near: dict[tuple[str, int], list[Member]] = defaultdict(list)
    for member in everyone:
        for level, node_id in (("grid", member.grid_id), ("community", member.community_id)):
            if node_id:
                near[(level, node_id)].append(member)
    town = Town(
        residents=[Resident(*row) for row in people],
        members=everyone,
        members_near=dict(near),
        categories=dict(
            (
                await session.execute(select(OrderCategory.code, OrderCategory.default_time_limit))
            ).all()
        ),
        limits={c.code: c for c in await session.scalars(select(TimeLimitClass))},
        calendar=WorkingCalendar(
            dict(
                (
                    await session.execute(select(CalendarOverride.day, CalendarOverride.is_workday))
                ).all()
            )
        ),
        auto_close_hours=float(
            await session.scalar(
                select(KpiSetting.value).where(KpiSetting.key == "auto_close_after_hours")
            )
            or 72
        ),
    )
    if not town.residents or not town.members:
        raise ValueError(f"town {town_id} needs residents and party members before demo orders")
    return town


async def number(session: AsyncSession, plans: list[Plan]) -> None:
    """GD<yyyymmdd>-<6 digits> per business day, continuing that day's counter."""
    by_day: dict[date, list[Plan]] = defaultdict(list)
    for plan in plans:
        by_day[plan.received_at.astimezone(BUSINESS_TZ).date()].append(plan)
    days = sorted(by_day)
    # One upsert for every day: concurrent submissions of a day queue on its row.
    counters = await session.execute(
        text(
            "INSERT INTO order_number_counter (day, last_value)"
            " SELECT * FROM unnest(CAST(:days AS date[]), CAST(:counts AS integer[]))"
            " ON CONFLICT (day) DO UPDATE"
            " SET last_value = order_number_counter.last_value + EXCLUDED.last_value"
            " RETURNING day, last_value"
        ),
        {"days": days, "counts": [len(by_day[day]) for day in days]},
    )
    for day, last in counters:
        day_plans = by_day[day]
        for value, plan in enumerate(day_plans, start=last - len(day_plans) + 1):
            plan.number = f"GD{day:%Y%m%d}-{value:06d}"


_ORDER_COLUMNS = (
    "priority",
    "time_limit",
    "assignee_kind",
    "assignee_person_id",
    "assignee_team_id",
    "assignee_department_id",
    "is_excluded",
    "reject_reason",
    "result",
    "feedback_resolved",
    "feedback_satisfaction",
    "rework_count",
    "seconds_count",
    "escalation_level",
    "triaged_at",
    "dispatched_at",
    "accepted_at",
    "first_contact_at",
    "resolved_at",
    "feedback_at",
    "closed_at",
    "response_due_at",
    "resolve_due_at",
)
_DEFAULTS = {
    "priority": 3,
    "is_excluded": False,
    "rework_count": 0,
    "seconds_count": 0,
    "escalation_level": 0,
}


def _row(plan: Plan, rng: random.Random) -> dict[str, Any]:
    r = plan.resident
    # Environment problems (垃圾、绿化) are reported at the grid, not at a home.
    at_grid = plan.category == "environment" and bool(r.grid_id)
    place = {
        "town_id": r.town_id,
        "community_id": r.community_id,
        "grid_id": r.grid_id,
        "building_id": None if at_grid else r.building_id,
        "household_id": None if at_grid else r.household_id,
    }
    return {
        "number": plan.number,
        "status": plan.target.value,
        "category": plan.category,
        "channel": rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0],
        "title": rng.choice(TITLES[plan.category]),
        "description": f"{r.name}反映：{rng.choice(TITLES[plan.category])}，请尽快处理。",
        "location_unit_id": r.grid_id if at_grid else r.home_unit_id,
        "contact_name": r.name,
        "contact_phone": r.mobile,
        "resident_person_id": r.person_id,
        "received_at": plan.received_at,
        "merged_into_id": plan.merge_into.order_id if plan.merge_into else None,
        "version": len(plan.events),
        "created_at": plan.received_at,
        "updated_at": plan.events[-1].at,
        **{c: plan.columns.get(c, _DEFAULTS.get(c)) for c in _ORDER_COLUMNS},
        **place,
    }


async def insert(session: AsyncSession, plans: list[Plan], rng: random.Random) -> None:
    # Duplicates point at their target, so targets go in first.
    for batch in ([p for p in plans if p.merge_into is None], [p for p in plans if p.merge_into]):
        by_number = {plan.number: plan for plan in batch}
        ids = await _insert_rows(
            session, ServiceOrder, [_row(plan, rng) for plan in batch], "id, number"
        )
        for order_id, number in ids:
            by_number[number].order_id = order_id
    events = [_event_row(plan, event) for plan in plans for event in plan.events]
    await _insert_rows(session, ServiceOrderEvent, events)
    seconds = [
        {"order_id": p.order_id, "person_id": person_id, "created_at": at}
        for p in plans
        for person_id, at in sorted(p.seconders.items())
    ]
    await _insert_rows(session, OrderSecond, seconds)


async def _insert_rows(
    session: AsyncSession, model: type[Base], rows: list[dict[str, Any]], returning: str = ""
) -> list[tuple[Any, ...]]:
    """One ``INSERT … SELECT FROM unnest(arrays)`` per table: a single statement with a
    bind parameter per column, however many rows (multi-row VALUES would compile
    tens of thousands of parameters)."""
    if not rows:
        return []
    columns = list(rows[0])
    table = model.__table__
    arrays = ", ".join(_array(c, table.c[c].type) for c in columns)
    sql = f"INSERT INTO {model.__tablename__} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"
    params = {c: [_plain(row[c]) for row in rows] for c in columns}
    result = await session.execute(
        text(sql + (f" RETURNING {returning}" if returning else "")), params
    )
    return [tuple(row) for row in result] if returning else []


def _array(name: str, column_type: Any) -> str:
    """The bind parameter ``name`` as an array of the column's type."""
    if isinstance(column_type, JSONB):  # sent as JSON text
        return f"CAST(CAST(:{name} AS text[]) AS jsonb[])"
    return f"CAST(:{name} AS {column_type.compile(dialect=_PG)}[])"


_PG = PGDialect()  # type: ignore[no-untyped-call]


def _plain(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value


def _event_row(plan: Plan, event: Event) -> dict[str, Any]:
    data, note = dict(event.data), event.note
    if event.step == "merge" and plan.merge_into is not None:
        data = {"into_order_id": plan.merge_into.order_id, "into_number": plan.merge_into.number}
    if event.merged_from is not None:
        source = event.merged_from
        data = {"merged_from_id": source.order_id, "merged_from_number": source.number}
        note = f"合并重复工单 {source.number}"
    return {
        "order_id": plan.order_id,
        "step": event.step,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "actor_user_id": None,
        "actor_name": event.actor[:64],
        "note": note,
        "data": data,
        "occurred_at": event.at,
    }
