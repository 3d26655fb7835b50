"""SQL every part of governance shares: nodes and people in scope, and households.

A household (户) is the 党员中心户 node a person lives at or, for a person placed at a
building, the building with the unit and room of the address; a person whose
address has no room belongs to no household and cannot vote or answer for one.
"""

from collections.abc import Iterable

from sqlalchemy import ColumnElement, String, cast, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Scope
from app.hierarchy.models import OrgUnit
from app.people.models import PartyMember, Person


def household_key() -> ColumnElement[str | None]:
    """``h<household id>``, else ``b<building id>/<unit>/<room>``; null without a room."""
    by_node = literal("h") + cast(Person.household_id, String)
    by_address = (
        literal("b")
        + cast(Person.building_id, String)
        + "/"
        + func.coalesce(Person.address_unit, "")
        + "/"
        + Person.address_room
    )
    return func.coalesce(by_node, by_address)


async def live_unit(session: AsyncSession, unit_id: int, scope: Scope) -> OrgUnit | None:
    query = select(OrgUnit).where(
        OrgUnit.id == unit_id, OrgUnit.is_archived.is_(False), scope.clause(OrgUnit)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def live_person(session: AsyncSession, person_id: int, scope: Scope) -> Person | None:
    query = select(Person).where(
        Person.id == person_id, Person.is_archived.is_(False), scope.clause(Person)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def member_person(
    session: AsyncSession, person_id: int, people: Scope, members: Scope
) -> tuple[Person, bool] | None:
    """The live person, seen where they live (``people``) or by their branch
    (``members``, so 双报到 members count too), and whether they are a party member."""
    in_branch = exists().where(
        PartyMember.person_id == Person.id,
        PartyMember.is_archived.is_(False),
        members.clause(PartyMember),
    )
    is_member = exists().where(
        PartyMember.person_id == Person.id, PartyMember.is_archived.is_(False)
    )
    query = select(Person, is_member).where(
        Person.id == person_id,
        Person.is_archived.is_(False),
        people.clause(Person) | in_branch,
    )
    row = (await session.execute(query)).first()
    return (row[0], bool(row[1])) if row else None


async def person(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


async def household_of(session: AsyncSession, person_id: int) -> str | None:
    query = select(household_key()).where(Person.id == person_id)
    return (await session.execute(query)).scalar_one_or_none()


async def count_households(session: AsyncSession, compound: OrgUnit) -> int:
    """Households with at least one live resident in the compound (the vote's base)."""
    key = household_key()
    query = select(func.count(func.distinct(key))).where(
        Scope.of([("grid", compound.id)]).clause(Person),
        Person.is_archived.is_(False),
        key.is_not(None),
    )
    return int((await session.execute(query)).scalar_one())


async def people_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, Person]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.scalars(select(Person).where(Person.id.in_(wanted)))
    return {row.id: row for row in rows}


async def units_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, OrgUnit]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.scalars(select(OrgUnit).where(OrgUnit.id.in_(wanted)))
    return {row.id: row for row in rows}
