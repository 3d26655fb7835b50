"""SQL of registrations (双报到). Visibility only through ``Scope.clause`` (staff) and the
registrant's own person id (a member sees their own registrations)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Scope
from app.hierarchy.models import OrgUnit
from app.participation.registrations.models import DualRegistration
from app.participation.units.models import WorkUnitPairing
from app.people.models import PartyMember, Person

LIVE_UNIQUE = "uq_dual_registration_live"


async def get_place(session: AsyncSession, unit_id: int, scope: Scope) -> OrgUnit | None:
    query = select(OrgUnit).where(OrgUnit.id == unit_id, scope.clause(OrgUnit))
    return (await session.execute(query)).scalar_one_or_none()


async def person_with_membership(
    session: AsyncSession, person_id: int, people: Scope, members: Scope
) -> tuple[Person, bool] | None:
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


async def live_exists(
    session: AsyncSession, person_id: int, kind: str, org_unit_id: int | None = None
) -> bool:
    query = exists().where(
        DualRegistration.person_id == person_id,
        DualRegistration.kind == kind,
        DualRegistration.status != "withdrawn",
    )
    if org_unit_id is not None:
        query = query.where(DualRegistration.org_unit_id == org_unit_id)
    return bool(await session.scalar(select(query)))


async def is_paired(session: AsyncSession, unit_id: int, within: Scope) -> bool:
    """A live pairing of the unit with a node ``within`` (the community reported to)."""
    query = exists().where(
        WorkUnitPairing.work_unit_id == unit_id,
        WorkUnitPairing.ended_on.is_(None),
        within.clause(WorkUnitPairing),
    )
    return bool(await session.scalar(select(query)))


async def add(session: AsyncSession, registration: DualRegistration) -> bool:
    """False when a concurrent twin took the live registration first."""
    session.add(registration)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        if LIVE_UNIQUE in str(exc.orig):
            return False
        raise
    await session.refresh(registration)
    return True


def _columns() -> Any:
    return select(DualRegistration, Person.name).join(
        Person, Person.id == DualRegistration.person_id
    )


async def get(
    session: AsyncSession, registration_id: int, where: ColumnElement[bool], *, lock: bool = False
) -> tuple[DualRegistration, str] | None:
    query = _columns().where(DualRegistration.id == registration_id, where)
    if lock:
        query = query.with_for_update(of=DualRegistration)
    found = (await session.execute(query)).first()
    return (found[0], found[1]) if found else None


async def page(
    session: AsyncSession,
    where: ColumnElement[bool],
    filters: dict[str, Any],
    *,
    before: int | None,
    limit: int,
) -> Sequence[Any]:
    query = _columns().where(where).order_by(DualRegistration.id.desc()).limit(limit)
    for column, value in filters.items():
        if value is not None:
            query = query.where(getattr(DualRegistration, column) == value)
    if before is not None:
        query = query.where(DualRegistration.id < before)
    return (await session.execute(query)).all()


async def save(session: AsyncSession, registration: DualRegistration) -> None:
    await session.flush()
    await session.refresh(registration)
