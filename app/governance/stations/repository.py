"""All SQL of stations, duty shifts and assignments, and honour rolls. Visibility comes
only from ``Scope.clause``.

A shift's places are filled by a guarded ``UPDATE … SET taken = taken + 1 WHERE taken <
capacity`` (backed by a CHECK), so concurrent volunteers can never overfill it.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Row, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Scope
from app.governance.stations.models import DutyAssignment, DutyShift, HonourEntry, Station
from app.people.models import Person


async def add(session: AsyncSession, row: object, *, unique: str | None = None) -> bool:
    """Flush a new row; False when it broke the unique constraint named ``unique``."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:
        if unique is not None and unique in str(exc.orig):
            return False
        raise
    await session.refresh(row)
    return True


async def save(session: AsyncSession, row: object) -> None:
    await session.flush()
    await session.refresh(row)


# ---------------------------------------------------------------- stations


async def get_station(
    session: AsyncSession, station_id: int, scope: Scope, *, lock: bool = False
) -> Station | None:
    query = select(Station).where(Station.id == station_id, scope.clause(Station))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def station_name_taken(
    session: AsyncSession, org_unit_id: int, name: str, *, except_id: int | None = None
) -> bool:
    query = select(Station.id).where(Station.org_unit_id == org_unit_id, Station.name == name)
    if except_id is not None:
        query = query.where(Station.id != except_id)
    return (await session.execute(query.limit(1))).first() is not None


async def station_page(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], *, after: int | None, limit: int
) -> Sequence[Station]:
    query = select(Station).where(*where).order_by(Station.id).limit(limit)
    if after is not None:
        query = query.where(Station.id > after)
    return (await session.scalars(query)).all()


async def stations_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, Station]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.scalars(select(Station).where(Station.id.in_(wanted)))
    return {row.id: row for row in rows}


# ---------------------------------------------------------------- shifts


async def existing_starts(
    session: AsyncSession, station_id: int, first: datetime, last: datetime
) -> set[datetime]:
    query = select(DutyShift.starts_at).where(
        DutyShift.station_id == station_id,
        DutyShift.starts_at >= first,
        DutyShift.starts_at <= last,
    )
    return set((await session.scalars(query)).all())


async def add_all(session: AsyncSession, rows: Sequence[object]) -> None:
    session.add_all(rows)
    await session.flush()


async def get_shift(
    session: AsyncSession, shift_id: int, scope: Scope, *, lock: bool = False
) -> DutyShift | None:
    query = select(DutyShift).where(DutyShift.id == shift_id, scope.clause(DutyShift))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def shifts_between(
    session: AsyncSession,
    station_id: int,
    *,
    starts_from: datetime,
    starts_before: datetime,
    after: tuple[datetime, int] | None,
    limit: int,
) -> Sequence[DutyShift]:
    query = (
        select(DutyShift)
        .where(
            DutyShift.station_id == station_id,
            DutyShift.starts_at >= starts_from,
            DutyShift.starts_at < starts_before,
        )
        .order_by(DutyShift.starts_at, DutyShift.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(tuple_(DutyShift.starts_at, DutyShift.id) > tuple_(*after))
    return (await session.scalars(query)).all()


async def take_place(session: AsyncSession, shift_id: int) -> bool:
    """One more person on the shift, if a place is free (guarded, race-free)."""
    statement = (
        update(DutyShift)
        .where(DutyShift.id == shift_id, DutyShift.taken < DutyShift.capacity)
        .values(taken=DutyShift.taken + 1)
        .returning(DutyShift.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).first() is not None


async def release_place(session: AsyncSession, shift_id: int) -> None:
    statement = (
        update(DutyShift)
        .where(DutyShift.id == shift_id)
        .values(taken=DutyShift.taken - 1)
        .execution_options(synchronize_session=False)
    )
    await session.execute(statement)


AssignmentRow = Row[DutyAssignment, Person]


async def assignments_of(
    session: AsyncSession, shift_ids: Sequence[int]
) -> Sequence[AssignmentRow]:
    if not shift_ids:
        return []
    query = (
        select(DutyAssignment, Person)
        .join(Person, Person.id == DutyAssignment.person_id)
        .where(DutyAssignment.shift_id.in_(shift_ids))
        .order_by(DutyAssignment.shift_id, DutyAssignment.id)
    )
    return (await session.execute(query)).all()


async def get_assignment(
    session: AsyncSession, assignment_id: int, scope: Scope, *, lock: bool = False
) -> DutyAssignment | None:
    query = select(DutyAssignment).where(
        DutyAssignment.id == assignment_id, scope.clause(DutyAssignment)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def on_shift(session: AsyncSession, shift_id: int, person_id: int) -> bool:
    query = select(DutyAssignment.id).where(
        DutyAssignment.shift_id == shift_id,
        DutyAssignment.person_id == person_id,
        DutyAssignment.status.in_(("scheduled", "checked_in")),
    )
    return (await session.execute(query.limit(1))).first() is not None


AssignmentListRow = Row[DutyAssignment, DutyShift, Person]


async def assignment_page(
    session: AsyncSession,
    where: Sequence[ColumnElement[bool]],
    *,
    after: int | None,
    limit: int,
) -> Sequence[AssignmentListRow]:
    query = (
        select(DutyAssignment, DutyShift, Person)
        .join(DutyShift, DutyShift.id == DutyAssignment.shift_id)
        .join(Person, Person.id == DutyAssignment.person_id)
        .where(*where)
        .order_by(DutyAssignment.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(DutyAssignment.id < after)
    return (await session.execute(query)).all()


# ---------------------------------------------------------------- honour roll


async def honour_page(
    session: AsyncSession,
    station_id: int,
    *,
    include_withdrawn: bool,
    after: int | None,
    limit: int,
) -> Sequence[Row[HonourEntry, Person]]:
    query = (
        select(HonourEntry, Person)
        .join(Person, Person.id == HonourEntry.person_id)
        .where(HonourEntry.station_id == station_id)
        .order_by(HonourEntry.id.desc())
        .limit(limit)
    )
    if not include_withdrawn:
        query = query.where(HonourEntry.withdrawn_at.is_(None))
    if after is not None:
        query = query.where(HonourEntry.id < after)
    return (await session.execute(query)).all()


async def get_honour(
    session: AsyncSession, honour_id: int, scope: Scope, *, lock: bool = False
) -> HonourEntry | None:
    query = select(HonourEntry).where(HonourEntry.id == honour_id, scope.clause(HonourEntry))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()
