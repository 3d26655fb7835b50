"""SQL of activities and sign-ups. Visibility only through ``Scope.clause`` and
``Reach.clause``; places are counted on the activity row under its lock."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, null, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.authz.scope import Scope
from app.hierarchy.models import OrgUnit
from app.participation.models import Activity, ActivitySignup
from app.people.models import PartyMember, Person

WAITING = "waiting"
CONFIRMED = "confirmed"


async def get_node(session: AsyncSession, unit_id: int, scope: Scope) -> OrgUnit | None:
    query = select(OrgUnit).where(OrgUnit.id == unit_id, scope.clause(OrgUnit))
    return (await session.execute(query)).scalar_one_or_none()


def _waiting_count() -> Any:
    return (
        select(func.count())
        .where(ActivitySignup.activity_id == Activity.id, ActivitySignup.status == WAITING)
        .correlate(Activity)
        .scalar_subquery()
    )


def _mine(person_id: int | None) -> Any:
    if person_id is None:
        return null()
    return (
        select(ActivitySignup.status)
        .where(ActivitySignup.activity_id == Activity.id, ActivitySignup.person_id == person_id)
        .correlate(Activity)
        .scalar_subquery()
    )


def _activity_columns(person_id: int | None) -> Any:
    return select(Activity, _waiting_count().label("waiting"), _mine(person_id).label("mine"))


async def get_activity(
    session: AsyncSession,
    activity_id: int,
    where: ColumnElement[bool],
    *,
    person_id: int | None = None,
) -> tuple[Activity, int, str | None] | None:
    query = _activity_columns(person_id).where(Activity.id == activity_id, where)
    found = (await session.execute(query)).first()
    return (found[0], found[1], found[2]) if found else None


async def lock_activity(
    session: AsyncSession, activity_id: int, where: ColumnElement[bool]
) -> Activity | None:
    """The activity row locked: sign-ups, cancellations, promotions and capacity changes
    of one activity run one after the other."""
    query = select(Activity).where(Activity.id == activity_id, where).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def waiting_count(session: AsyncSession, activity_id: int) -> int:
    count = await session.scalar(
        select(func.count()).where(
            ActivitySignup.activity_id == activity_id, ActivitySignup.status == WAITING
        )
    )
    return int(count or 0)


async def activity_page(
    session: AsyncSession,
    where: ColumnElement[bool],
    filters: dict[str, Any],
    *,
    person_id: int | None,
    before: tuple[datetime, int] | None,
    limit: int,
) -> list[tuple[Activity, int, str | None]]:
    query = (
        _activity_columns(person_id)
        .where(where)
        .order_by(Activity.starts_at.desc(), Activity.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(tuple_(Activity.starts_at, Activity.id) < tuple_(*before))
    for column in ("status", "org_unit_id", "kind"):
        if filters.get(column) is not None:
            query = query.where(getattr(Activity, column) == filters[column])
    if filters.get("starts_from") is not None:
        query = query.where(Activity.starts_at >= filters["starts_from"])
    if filters.get("starts_before") is not None:
        query = query.where(Activity.starts_at < filters["starts_before"])
    return [(row[0], row[1], row[2]) for row in await session.execute(query)]


async def take_place(session: AsyncSession, activity_id: int) -> bool:
    """One place, if one is left: a guarded UPDATE backed by the capacity CHECK."""
    statement = (
        update(Activity)
        .where(
            Activity.id == activity_id,
            (Activity.capacity.is_(None)) | (Activity.confirmed_count < Activity.capacity),
        )
        .values(confirmed_count=Activity.confirmed_count + 1)
        .returning(Activity.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).first() is not None


async def release_place(session: AsyncSession, activity_id: int) -> None:
    await session.execute(
        update(Activity)
        .where(Activity.id == activity_id)
        .values(confirmed_count=Activity.confirmed_count - 1)
        .execution_options(synchronize_session=False)
    )


async def first_waiting(session: AsyncSession, activity_id: int) -> ActivitySignup | None:
    query = (
        select(ActivitySignup)
        .where(ActivitySignup.activity_id == activity_id, ActivitySignup.status == WAITING)
        .order_by(ActivitySignup.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get_signup(
    session: AsyncSession, activity_id: int, person_id: int, *, lock: bool = False
) -> ActivitySignup | None:
    query = select(ActivitySignup).where(
        ActivitySignup.activity_id == activity_id, ActivitySignup.person_id == person_id
    )
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def save(session: AsyncSession, row: Any) -> None:
    session.add(row)
    await session.flush()
    await session.refresh(row)


async def delete(session: AsyncSession, row: Any) -> None:
    await session.delete(row)
    await session.flush()


async def refresh(session: AsyncSession, row: Any) -> None:
    await session.refresh(row)


def _position() -> Any:
    other = aliased(ActivitySignup)
    rank = (
        select(func.count())
        .where(
            other.activity_id == ActivitySignup.activity_id,
            other.status == WAITING,
            other.id <= ActivitySignup.id,
        )
        .correlate(ActivitySignup)
        .scalar_subquery()
    )
    return case((ActivitySignup.status == WAITING, rank), else_=None)


async def signup_row(session: AsyncSession, signup_id: int) -> Any:
    query = (
        select(ActivitySignup, Person.name, _position())
        .join(Person, Person.id == ActivitySignup.person_id)
        .where(ActivitySignup.id == signup_id)
    )
    return (await session.execute(query)).one()


async def signup_page(
    session: AsyncSession, activity_id: int, status: str | None, *, after: int | None, limit: int
) -> Sequence[Any]:
    query = (
        select(ActivitySignup, Person.name, _position())
        .join(Person, Person.id == ActivitySignup.person_id)
        .where(ActivitySignup.activity_id == activity_id)
        .order_by(ActivitySignup.id)
        .limit(limit)
    )
    if status is not None:
        query = query.where(ActivitySignup.status == status)
    if after is not None:
        query = query.where(ActivitySignup.id > after)
    return (await session.execute(query)).all()


async def attendants(session: AsyncSession, activity_id: int) -> Sequence[ActivitySignup]:
    """Checked in and not voided, in sign-up order, locked for the close."""
    query = (
        select(ActivitySignup)
        .where(
            ActivitySignup.activity_id == activity_id,
            ActivitySignup.checked_in_at.is_not(None),
            ActivitySignup.voided_at.is_(None),
        )
        .order_by(ActivitySignup.id)
        .with_for_update()
    )
    return (await session.scalars(query)).all()


async def person_profile(
    session: AsyncSession, person_id: int, people: Scope, members: Scope
) -> tuple[Person, bool] | None:
    """A live person seen where they live or by their branch, and whether they hold a
    live party membership."""
    query = (
        select(Person, PartyMember.id.is_not(None))
        .outerjoin(
            PartyMember,
            (PartyMember.person_id == Person.id) & PartyMember.is_archived.is_(False),
        )
        .where(
            Person.id == person_id,
            Person.is_archived.is_(False),
            people.clause(Person) | members.clause(PartyMember),
        )
    )
    found = (await session.execute(query)).first()
    return (found[0], bool(found[1])) if found else None
