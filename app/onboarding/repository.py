"""SQL of resident onboarding."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Scope
from app.hierarchy.models import OrgUnit
from app.kit.search import contains
from app.onboarding.models import HouseholdInvitation, RegistrationStatus, ResidentRegistration
from app.people.models import Person

PICKER_LIMIT = 50
# The picker walks down from a community only: towns and their lists stay unlisted.
PICKER_PARENT_LEVELS = ("community", "grid", "building")


async def search_communities(session: AsyncSession, q: str) -> Sequence[Row[Any]]:
    query = (
        select(OrgUnit.id, OrgUnit.name, OrgUnit.level)
        .where(
            OrgUnit.level == "community",
            OrgUnit.is_archived.is_(False),
            contains(q, OrgUnit.name),
        )
        .order_by(OrgUnit.name, OrgUnit.id)
        .limit(PICKER_LIMIT)
    )
    return (await session.execute(query)).all()


async def picker_children(session: AsyncSession, parent_id: int) -> Sequence[Row[Any]] | None:
    """Live children of a community, grid or building; None for any other parent."""
    parent = await session.get(OrgUnit, parent_id)
    if parent is None or parent.is_archived or parent.level not in PICKER_PARENT_LEVELS:
        return None
    query = (
        select(OrgUnit.id, OrgUnit.name, OrgUnit.level)
        .where(OrgUnit.parent_id == parent_id, OrgUnit.is_archived.is_(False))
        .order_by(OrgUnit.name, OrgUnit.id)
        .limit(500)
    )
    return (await session.execute(query)).all()


async def get_unit(session: AsyncSession, unit_id: int) -> OrgUnit | None:
    return await session.get(OrgUnit, unit_id)


async def get_unit_in_scope(session: AsyncSession, unit_id: int, scope: Scope) -> OrgUnit | None:
    query = select(OrgUnit).where(OrgUnit.id == unit_id, scope.clause(OrgUnit))
    return (await session.execute(query)).scalar_one_or_none()


async def add(session: AsyncSession, row: Any) -> None:
    session.add(row)
    await session.flush()


async def latest_registration(session: AsyncSession, user_id: int) -> ResidentRegistration | None:
    query = (
        select(ResidentRegistration)
        .where(ResidentRegistration.user_id == user_id)
        .order_by(ResidentRegistration.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


def _registration_columns() -> tuple[Any, ...]:
    return (
        ResidentRegistration.id,
        ResidentRegistration.status,
        ResidentRegistration.user_id,
        ResidentRegistration.person_id,
        Person.name.label("person_name"),
        Person.mobile,
        ResidentRegistration.household_unit_id.label("household_id"),
        OrgUnit.name.label("household_name"),
        ResidentRegistration.created_at,
        ResidentRegistration.decided_at,
        ResidentRegistration.reason,
        ResidentRegistration.town_id,
        ResidentRegistration.community_id,
        ResidentRegistration.grid_id,
        ResidentRegistration.building_id,
        ResidentRegistration.household_id,
    )


async def list_registrations(
    session: AsyncSession,
    scope: Scope,
    *,
    status: RegistrationStatus | None,
    after_id: int | None,
    limit: int,
) -> Sequence[Row[Any]]:
    query = (
        select(*_registration_columns())
        .join(Person, Person.id == ResidentRegistration.person_id)
        .join(OrgUnit, OrgUnit.id == ResidentRegistration.household_unit_id)
        .where(scope.clause(ResidentRegistration))
        .order_by(ResidentRegistration.id)
        .limit(limit)
    )
    if status is not None:
        query = query.where(ResidentRegistration.status == status)
    if after_id is not None:
        query = query.where(ResidentRegistration.id > after_id)
    return (await session.execute(query)).all()


async def read_registration(session: AsyncSession, registration_id: int) -> Row[Any]:
    query = (
        select(*_registration_columns())
        .join(Person, Person.id == ResidentRegistration.person_id)
        .join(OrgUnit, OrgUnit.id == ResidentRegistration.household_unit_id)
        .where(ResidentRegistration.id == registration_id)
    )
    return (await session.execute(query)).one()


async def lock_registration(
    session: AsyncSession, registration_id: int, scope: Scope
) -> ResidentRegistration | None:
    query = (
        select(ResidentRegistration)
        .where(ResidentRegistration.id == registration_id, scope.clause(ResidentRegistration))
        .with_for_update()
    )
    return (await session.execute(query)).scalar_one_or_none()


async def spend_invitation(
    session: AsyncSession, code: str, user_id: int
) -> HouseholdInvitation | None:
    """Marks the code used by ``user_id`` if it is live: one guarded UPDATE, so of two
    residents presenting it at once exactly one wins."""
    statement = (
        update(HouseholdInvitation)
        .where(
            HouseholdInvitation.code == code,
            HouseholdInvitation.used_at.is_(None),
            HouseholdInvitation.expires_at > func.now(),
        )
        .values(used_by=user_id, used_at=func.now())
        .returning(HouseholdInvitation)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def code_exists(session: AsyncSession, code: str) -> bool:
    query = select(HouseholdInvitation.id).where(HouseholdInvitation.code == code)
    return (await session.execute(query)).first() is not None


async def now(session: AsyncSession) -> datetime:
    return (await session.execute(select(func.now()))).scalar_one()
