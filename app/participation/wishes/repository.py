"""SQL of 微心愿. Visibility only through ``Scope.clause`` / ``Reach.clause`` and the
wisher's own person id."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Scope
from app.hierarchy.models import OrgUnit
from app.participation.units.models import WorkUnitMember
from app.participation.wishes.models import MicroWish, MicroWishParticipant
from app.people.models import PartyMember, Person


async def visible_person(session: AsyncSession, person_id: int, scope: Scope) -> Person | None:
    query = select(Person).where(
        Person.id == person_id, Person.is_archived.is_(False), scope.clause(Person)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def is_party_member(session: AsyncSession, person_id: int) -> bool:
    found = await session.scalar(
        select(PartyMember.id).where(
            PartyMember.person_id == person_id, PartyMember.is_archived.is_(False)
        )
    )
    return found is not None


async def roster_of(session: AsyncSession, unit_id: int, person_ids: list[int]) -> set[int]:
    rows = await session.scalars(
        select(WorkUnitMember.person_id).where(
            WorkUnitMember.work_unit_id == unit_id, WorkUnitMember.person_id.in_(person_ids)
        )
    )
    return set(rows)


async def get_node(session: AsyncSession, unit_id: int) -> OrgUnit | None:
    return await session.get(OrgUnit, unit_id)


async def add(session: AsyncSession, wish: MicroWish) -> None:
    session.add(wish)
    await session.flush()
    await session.refresh(wish)


async def save(session: AsyncSession, wish: MicroWish) -> None:
    await session.flush()
    await session.refresh(wish)


def _columns() -> Any:
    return select(MicroWish, Person.name, Person.mobile).join(
        Person, Person.id == MicroWish.wisher_person_id
    )


async def get(
    session: AsyncSession, wish_id: int, where: ColumnElement[bool], *, lock: bool = False
) -> tuple[MicroWish, str, str | None] | None:
    query = _columns().where(MicroWish.id == wish_id, where)
    if lock:
        query = query.with_for_update(of=MicroWish)
    found = (await session.execute(query)).first()
    return (found[0], found[1], found[2]) if found else None


async def page(
    session: AsyncSession,
    where: ColumnElement[bool],
    *,
    status: str | None,
    under: Scope | None,
    before: int | None,
    limit: int,
) -> Sequence[Any]:
    """Newest first (the board's order)."""
    query = _columns().where(where).order_by(MicroWish.id.desc()).limit(limit)
    if status is not None:
        query = query.where(MicroWish.status == status)
    if under is not None:
        query = query.where(under.clause(MicroWish))
    if before is not None:
        query = query.where(MicroWish.id < before)
    return (await session.execute(query)).all()


async def set_participants(session: AsyncSession, wish_id: int, person_ids: list[int]) -> None:
    await session.execute(
        delete(MicroWishParticipant).where(MicroWishParticipant.wish_id == wish_id)
    )
    if person_ids:
        await session.execute(
            insert(MicroWishParticipant),
            [{"wish_id": wish_id, "person_id": p} for p in person_ids],
        )


async def participants(session: AsyncSession, wish_ids: list[int]) -> dict[int, list[Any]]:
    rows = await session.execute(
        select(MicroWishParticipant, Person.name)
        .join(Person, Person.id == MicroWishParticipant.person_id)
        .where(MicroWishParticipant.wish_id.in_(wish_ids))
        .order_by(MicroWishParticipant.wish_id, MicroWishParticipant.person_id)
    )
    found: dict[int, list[Any]] = {wish_id: [] for wish_id in wish_ids}
    for participant, name in rows:
        found[participant.wish_id].append((participant, name))
    return found


async def flush(session: AsyncSession) -> None:
    await session.flush()
