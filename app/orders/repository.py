"""All SQL of the order workflow. Visibility predicates come from ``visibility``."""

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Result,
    Row,
    Select,
    and_,
    exists,
    false,
    func,
    not_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.hierarchy.models import OrgUnit
from app.kit.search import contains
from app.orders.models import (
    CalendarOverride,
    Department,
    DepartmentArrival,
    KpiSetting,
    OrderCategory,
    OrderNumberCounter,
    OrderSecond,
    ServiceOrder,
    ServiceOrderEvent,
    TimeLimitClass,
    VolunteerTeam,
)
from app.orders.schemas import OrderFilters, OrderSort
from app.orders.workflow import OrderStatus
from app.people.models import PartyMember, Person

# ---------------------------------------------------------------- reference data


async def active_category(session: AsyncSession, code: str) -> OrderCategory | None:
    category = await session.get(OrderCategory, code)
    return category if category is not None and category.is_active else None


async def default_time_limit(session: AsyncSession, category: str) -> str | None:
    return await session.scalar(
        select(OrderCategory.default_time_limit).where(OrderCategory.code == category)
    )


async def time_limit(session: AsyncSession, code: str) -> TimeLimitClass | None:
    return await session.get(TimeLimitClass, code)


async def calendar_overrides(session: AsyncSession) -> dict[date, bool]:
    rows = await session.execute(select(CalendarOverride.day, CalendarOverride.is_workday))
    return {day: bool(workday) for day, workday in rows}


async def setting(session: AsyncSession, key: str, default: Any) -> Any:
    value = await session.scalar(select(KpiSetting.value).where(KpiSetting.key == key))
    return default if value is None else value


async def live_unit(session: AsyncSession, unit_id: int) -> OrgUnit | None:
    return await session.scalar(
        select(OrgUnit).where(OrgUnit.id == unit_id, OrgUnit.is_archived.is_(False))
    )


async def any_unit(session: AsyncSession, unit_id: int) -> OrgUnit | None:
    return await session.get(OrgUnit, unit_id)


async def live_person(
    session: AsyncSession, person_id: int, where: ColumnElement[bool] | None = None
) -> Person | None:
    query = select(Person).where(Person.id == person_id, Person.is_archived.is_(False))
    if where is not None:
        query = query.where(where)
    return await session.scalar(query)


async def member_exists(session: AsyncSession, person_id: int, where: ColumnElement[bool]) -> bool:
    found = await session.scalar(
        select(
            exists().where(
                PartyMember.person_id == person_id, PartyMember.is_archived.is_(False), where
            )
        )
    )
    return bool(found)


async def team_exists(session: AsyncSession, team_id: int, where: ColumnElement[bool]) -> bool:
    found = await session.scalar(select(exists().where(VolunteerTeam.id == team_id, where)))
    return bool(found)


async def department_exists(
    session: AsyncSession, department_id: int, where: ColumnElement[bool]
) -> bool:
    found = await session.scalar(select(exists().where(Department.id == department_id, where)))
    return bool(found)


# ---------------------------------------------------------------- orders


async def next_number_value(session: AsyncSession, day: date) -> int:
    """The day's next order number, race-free: concurrent submissions queue on the row."""
    statement = (
        insert(OrderNumberCounter)
        .values(day=day, last_value=1)
        .on_conflict_do_update(
            index_elements=[OrderNumberCounter.day],
            set_={"last_value": OrderNumberCounter.last_value + 1},
        )
        .returning(OrderNumberCounter.last_value)
    )
    return int((await session.execute(statement)).scalar_one())


async def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)
    await session.flush()


async def load(
    session: AsyncSession,
    order_id: int,
    where: ColumnElement[bool],
    *,
    holder: ColumnElement[bool] | None = None,
    lock: bool = False,
) -> tuple[ServiceOrder, bool] | None:
    """The order if ``where`` admits it, with whether ``holder`` holds; locked on request."""
    query = select(ServiceOrder, (holder if holder is not None else false()).label("held")).where(
        ServiceOrder.id == order_id, where
    )
    if lock:
        query = query.with_for_update(of=ServiceOrder).execution_options(populate_existing=True)
    row = (await session.execute(query)).first()
    return (row[0], bool(row[1])) if row else None


async def lock_many(
    session: AsyncSession, order_ids: Collection[int], where: ColumnElement[bool]
) -> dict[int, ServiceOrder]:
    """Several orders locked in id order (two merges crossing each other cannot deadlock)."""
    rows = await session.scalars(
        select(ServiceOrder)
        .where(ServiceOrder.id.in_(sorted(order_ids)), where)
        .order_by(ServiceOrder.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {order.id: order for order in rows}


SUMMARY_COLUMNS = (
    ServiceOrder.id,
    ServiceOrder.number,
    ServiceOrder.status,
    ServiceOrder.category,
    ServiceOrder.channel,
    ServiceOrder.title,
    ServiceOrder.location_unit_id,
    ServiceOrder.priority,
    ServiceOrder.assignee_kind,
    ServiceOrder.seconds_count,
    ServiceOrder.escalation_level,
    ServiceOrder.received_at,
    ServiceOrder.response_due_at,
    ServiceOrder.resolve_due_at,
    ServiceOrder.town_id,
    ServiceOrder.community_id,
    ServiceOrder.grid_id,
    ServiceOrder.version,
)


# Sort → (the key columns, descending?). Each sort pages by keyset on its key plus id.
SORT_KEYS: dict[OrderSort, tuple[tuple[Any, ...], bool]] = {
    OrderSort.newest: ((ServiceOrder.id,), True),
    OrderSort.received: ((ServiceOrder.received_at, ServiceOrder.id), False),
    OrderSort.received_desc: ((ServiceOrder.received_at, ServiceOrder.id), True),
    OrderSort.deadline: ((ServiceOrder.resolve_due_at, ServiceOrder.id), False),
    OrderSort.updated: ((ServiceOrder.updated_at, ServiceOrder.id), False),
}
_OPEN_FOR_DEADLINES = ("triaged", "dispatched", "pooled", "in_progress")


async def list_orders(
    session: AsyncSession,
    where: Sequence[ColumnElement[bool]],
    filters: OrderFilters,
    *,
    sort: OrderSort = OrderSort.newest,
    after: Any = None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Up to ``limit`` orders after the key ``after`` in the order of ``sort`` (a keyset
    page)."""
    columns, descending = SORT_KEYS[sort]
    query = select(*SUMMARY_COLUMNS, ServiceOrder.updated_at).where(*where, *_filters(filters))
    if sort is OrderSort.deadline:
        query = query.where(ServiceOrder.resolve_due_at.is_not(None))
    if after is not None:
        key = tuple_(*columns) if len(columns) > 1 else columns[0]
        value = tuple_(*after) if len(columns) > 1 else after
        query = query.where(key < value if descending else key > value)
    order = [c.desc() if descending else c.asc() for c in columns]
    rows: Result[Any] = await session.execute(query.order_by(*order).limit(limit))
    return rows.all()


def _filters(filters: OrderFilters) -> list[ColumnElement[bool]]:
    so = ServiceOrder
    found: list[ColumnElement[bool]] = []
    if filters.status:
        found.append(so.status.in_([s.value for s in filters.status]))
    if filters.pool:
        found.append(so.status == OrderStatus.pooled.value)
    if filters.category is not None:
        found.append(so.category == filters.category)
    if filters.q:
        found.append(_text_match(filters.q))
    if filters.overdue is not None:
        late = and_(so.status.in_(_OPEN_FOR_DEADLINES), so.resolve_due_at < func.now())
        found.append(late if filters.overdue else not_(late))
    if filters.escalated is not None:
        found.append(so.escalation_level > 0 if filters.escalated else so.escalation_level == 0)
    if filters.assignee_person_id is not None:
        found.append(so.assignee_person_id == filters.assignee_person_id)
    if filters.channel is not None:
        found.append(so.channel == filters.channel.value)
    for column, low, high in (
        (so.received_at, filters.received_from, filters.received_before),
        (so.updated_at, filters.updated_since, filters.updated_before),
    ):
        if low is not None:
            found.append(column >= low)
        if high is not None:
            found.append(column < high)
    return found


def _text_match(q: str) -> ColumnElement[bool]:
    return contains(q, ServiceOrder.title) | (ServiceOrder.number == q.upper())


async def list_events(
    session: AsyncSession, order_id: int, *, after_id: int | None, limit: int
) -> Sequence[ServiceOrderEvent]:
    query = select(ServiceOrderEvent).where(ServiceOrderEvent.order_id == order_id)
    if after_id is not None:
        query = query.where(ServiceOrderEvent.id > after_id)
    rows = await session.scalars(query.order_by(ServiceOrderEvent.id).limit(limit))
    return rows.all()


async def has_event(session: AsyncSession, order_id: int, step: str) -> bool:
    found = await session.scalar(
        select(
            exists().where(ServiceOrderEvent.order_id == order_id, ServiceOrderEvent.step == step)
        )
    )
    return bool(found)


async def claim(
    session: AsyncSession,
    order_id: int,
    area: ColumnElement[bool],
    *,
    from_status: str,
    version: int | None,
    values: dict[str, Any],
) -> ServiceOrder | None:
    """抢单 as one guarded UPDATE: of any number of concurrent claimants exactly one
    finds the order still in ``from_status``; the others update nothing (the database
    decides a race, never a read followed by a write)."""
    guard = [ServiceOrder.id == order_id, ServiceOrder.status == from_status, area]
    if version is not None:
        guard.append(ServiceOrder.version == version)
    statement = (
        update(ServiceOrder)
        .where(*guard)
        .values(version=ServiceOrder.version + 1, **values)
        .returning(ServiceOrder)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        select(ServiceOrder).from_statement(statement).execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


# ---------------------------------------------------------------- 附议


async def add_second(session: AsyncSession, order_id: int, person_id: int) -> bool:
    inserted = await session.scalar(
        insert(OrderSecond)
        .values(order_id=order_id, person_id=person_id)
        .on_conflict_do_nothing()
        .returning(OrderSecond.person_id)
    )
    return inserted is not None


async def move_seconds(
    session: AsyncSession, source_id: int, target_id: int, *, skip_person_id: int | None
) -> None:
    """A merged duplicate's seconds join the surviving order (each person once, never
    the surviving order's own resident)."""
    on_target = select(OrderSecond.person_id).where(OrderSecond.order_id == target_id)
    query = update(OrderSecond).where(
        OrderSecond.order_id == source_id, OrderSecond.person_id.not_in(on_target)
    )
    if skip_person_id is not None:
        query = query.where(OrderSecond.person_id != skip_person_id)
    await session.execute(query.values(order_id=target_id))


async def count_seconds(session: AsyncSession, order_id: int) -> int:
    query = select(func.count()).select_from(OrderSecond).where(OrderSecond.order_id == order_id)
    return int(await session.scalar(query) or 0)


# ---------------------------------------------------------------- 部门报到


async def add_arrival(
    session: AsyncSession,
    order_id: int,
    department_id: int,
    whistled_at: datetime,
    due_at: datetime,
) -> None:
    """The first whistle counts; a re-dispatch to the same department keeps it."""
    await session.execute(
        insert(DepartmentArrival)
        .values(
            order_id=order_id, department_id=department_id, whistled_at=whistled_at, due_at=due_at
        )
        .on_conflict_do_nothing(index_elements=["order_id", "department_id"])
    )


async def lock_arrival(
    session: AsyncSession, order_id: int, departments: Select[int]
) -> DepartmentArrival | None:
    return await session.scalar(
        select(DepartmentArrival)
        .where(
            DepartmentArrival.order_id == order_id,
            DepartmentArrival.department_id.in_(departments),
        )
        .order_by(DepartmentArrival.arrived_at.is_not(None), DepartmentArrival.id)
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


# ---------------------------------------------------------------- deadlines


def _escalated(breach: str) -> ColumnElement[bool]:
    return exists().where(
        ServiceOrderEvent.order_id == ServiceOrder.id,
        ServiceOrderEvent.step == "escalate",
        ServiceOrderEvent.data["breach"].astext == breach,
    )


async def overdue(
    session: AsyncSession, now: datetime, statuses: Collection[str], *, limit: int
) -> list[tuple[ServiceOrder, list[str]]]:
    """Open orders with a deadline breach not escalated yet, locked; rows another
    worker holds are skipped (it is escalating them)."""
    response = and_(
        ServiceOrder.response_due_at < now,
        ServiceOrder.first_contact_at.is_(None),
        not_(_escalated("response")),
    )
    resolve = and_(ServiceOrder.resolve_due_at < now, not_(_escalated("resolve")))
    rows = await session.execute(
        select(ServiceOrder, response.label("response"), resolve.label("resolve"))
        .where(ServiceOrder.status.in_(list(statuses)), response | resolve)
        .order_by(ServiceOrder.id)
        .limit(limit)
        .with_for_update(of=ServiceOrder, skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return [
        (order, [kind for kind, hit in (("response", r), ("resolve", s)) if hit])
        for order, r, s in rows
    ]


async def missed_arrivals(
    session: AsyncSession, now: datetime, statuses: Collection[str], *, limit: int
) -> Sequence[Row[DepartmentArrival, ServiceOrder]]:
    """Whistles (部门报到) past their due time without an arrival and not reported yet,
    on orders still open: arrival and order locked, rows another worker holds skipped."""
    rows = await session.execute(
        select(DepartmentArrival, ServiceOrder)
        .join(ServiceOrder, ServiceOrder.id == DepartmentArrival.order_id)
        .where(
            DepartmentArrival.arrived_at.is_(None),
            DepartmentArrival.missed_at.is_(None),
            DepartmentArrival.due_at < now,
            ServiceOrder.status.in_(list(statuses)),
        )
        .order_by(DepartmentArrival.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return rows.all()


async def unanswered(
    session: AsyncSession, resolved_before: datetime, statuses: Collection[str], *, limit: int
) -> Sequence[ServiceOrder]:
    rows = await session.scalars(
        select(ServiceOrder)
        .where(ServiceOrder.status.in_(list(statuses)), ServiceOrder.resolved_at < resolved_before)
        .order_by(ServiceOrder.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return rows.all()


async def arrivals_of(session: AsyncSession, order_id: int) -> Sequence[DepartmentArrival]:
    query = (
        select(DepartmentArrival)
        .where(DepartmentArrival.order_id == order_id)
        .order_by(DepartmentArrival.id)
    )
    return (await session.scalars(query)).all()
