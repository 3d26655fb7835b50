"""SQL of the units registry. Visibility only through ``Scope.clause``:

- a unit is seen by the subtree of its registry node, and by the subtree of any node
  it is paired with (a community sees the units paired with it);
- a pairing or a commitment by the subtree of the paired node, and by whoever sees
  the unit's registry node.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Scope, Visibility
from app.hierarchy.models import OrgUnit
from app.participation.units.models import (
    WorkUnit,
    WorkUnitCommitment,
    WorkUnitMember,
    WorkUnitPairing,
)
from app.people.models import PartyMember, Person

PAIRING_LIVE_UNIQUE = "uq_work_unit_pairing_live"
UNIT_NAME_UNIQUE = "uq_work_unit_org_unit_id_name"


async def flush_unique(session: AsyncSession, constraint: str) -> bool:
    """Flush; False when ``constraint`` refused the row (a concurrent twin won)."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        if constraint in str(exc.orig):
            return False
        raise
    return True


async def get_org_unit(session: AsyncSession, unit_id: int, scope: Scope) -> OrgUnit | None:
    query = select(OrgUnit).where(OrgUnit.id == unit_id, scope.clause(OrgUnit))
    return (await session.execute(query)).scalar_one_or_none()


async def org_unit_name(session: AsyncSession, unit_id: int) -> str:
    return str(await session.scalar(select(OrgUnit.name).where(OrgUnit.id == unit_id)))


# ---------------------------------------------------------------- units


def units_seen(scopes: Sequence[Visibility]) -> ColumnElement[bool]:
    """Units registered in, or paired with a node in, any of ``scopes``."""
    paired = select(WorkUnitPairing.work_unit_id).where(
        or_(*(s.clause(WorkUnitPairing) for s in scopes))
    )
    return or_(*(s.clause(WorkUnit) for s in scopes), WorkUnit.id.in_(paired))


def _with_count() -> Any:
    count = (
        select(func.count())
        .where(WorkUnitMember.work_unit_id == WorkUnit.id)
        .correlate(WorkUnit)
        .scalar_subquery()
    )
    return select(WorkUnit, count.label("member_count"))


async def get_unit(
    session: AsyncSession, unit_id: int, where: ColumnElement[bool], *, lock: bool = False
) -> tuple[WorkUnit, int] | None:
    query = _with_count().where(WorkUnit.id == unit_id, where)
    if lock:
        query = query.with_for_update(of=WorkUnit)
    found = (await session.execute(query)).first()
    return (found[0], found[1]) if found else None


async def unit_page(
    session: AsyncSession,
    where: ColumnElement[bool],
    *,
    q: str | None,
    kind: str | None,
    include_archived: bool,
    after: int | None,
    limit: int,
) -> list[tuple[WorkUnit, int]]:
    query = _with_count().where(where).order_by(WorkUnit.id).limit(limit)
    if after is not None:
        query = query.where(WorkUnit.id > after)
    if q:
        query = query.where(WorkUnit.name.ilike(f"%{_escape_like(q)}%", escape="\\"))
    if kind:
        query = query.where(WorkUnit.kind == kind)
    if not include_archived:
        query = query.where(WorkUnit.is_archived.is_(False))
    return [(row[0], row[1]) for row in await session.execute(query)]


async def unit_name_taken(
    session: AsyncSession, org_unit_id: int, name: str, *, except_id: int | None = None
) -> bool:
    query = select(WorkUnit.id).where(WorkUnit.org_unit_id == org_unit_id, WorkUnit.name == name)
    if except_id is not None:
        query = query.where(WorkUnit.id != except_id)
    return (await session.execute(query.limit(1))).first() is not None


# ---------------------------------------------------------------- roster


async def visible_member(
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


async def roster_unit_of(session: AsyncSession, person_id: int) -> int | None:
    return await session.scalar(
        select(WorkUnitMember.work_unit_id).where(WorkUnitMember.person_id == person_id)
    )


async def add_to_roster(session: AsyncSession, unit_id: int, person_id: int) -> datetime | None:
    """None when the person is on a roster already (this one or another)."""
    statement = (
        insert(WorkUnitMember)
        .values(work_unit_id=unit_id, person_id=person_id)
        .on_conflict_do_nothing()
        .returning(WorkUnitMember.joined_at)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def remove_from_roster(session: AsyncSession, unit_id: int, person_id: int) -> bool:
    found = await session.get(WorkUnitMember, person_id)
    if found is None or found.work_unit_id != unit_id:
        return False
    await session.delete(found)
    await session.flush()
    return True


async def roster_page(
    session: AsyncSession, unit_id: int, *, after: int | None, limit: int
) -> Sequence[Any]:
    query = (
        select(
            Person.id.label("person_id"),
            Person.name,
            WorkUnitMember.work_unit_id,
            WorkUnitMember.joined_at,
        )
        .join(WorkUnitMember, WorkUnitMember.person_id == Person.id)
        .where(WorkUnitMember.work_unit_id == unit_id)
        .order_by(Person.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Person.id > after)
    return (await session.execute(query)).all()


# ---------------------------------------------------------------- pairings


def pairings_seen(scopes: Sequence[Visibility]) -> ColumnElement[bool]:
    """Pairings with a node in ``scopes``, and every pairing of a unit registered there."""
    registered = select(WorkUnit.id).where(or_(*(s.clause(WorkUnit) for s in scopes)))
    return or_(
        *(s.clause(WorkUnitPairing) for s in scopes), WorkUnitPairing.work_unit_id.in_(registered)
    )


def _pairing_columns() -> Any:
    return (
        select(WorkUnitPairing, WorkUnit.name, OrgUnit.name)
        .join(WorkUnit, WorkUnit.id == WorkUnitPairing.work_unit_id)
        .join(OrgUnit, OrgUnit.id == WorkUnitPairing.org_unit_id)
    )


async def get_pairing(
    session: AsyncSession, pairing_id: int, where: ColumnElement[bool], *, lock: bool = False
) -> tuple[WorkUnitPairing, str, str] | None:
    query = _pairing_columns().where(WorkUnitPairing.id == pairing_id, where)
    if lock:
        query = query.with_for_update(of=WorkUnitPairing)
    found = (await session.execute(query)).first()
    return (found[0], found[1], found[2]) if found else None


async def pairing_page(
    session: AsyncSession,
    where: ColumnElement[bool],
    *,
    work_unit_id: int | None,
    org_unit_id: int | None,
    include_ended: bool,
    after: int | None,
    limit: int,
) -> list[tuple[WorkUnitPairing, str, str]]:
    query = _pairing_columns().where(where).order_by(WorkUnitPairing.id).limit(limit)
    if after is not None:
        query = query.where(WorkUnitPairing.id > after)
    if work_unit_id is not None:
        query = query.where(WorkUnitPairing.work_unit_id == work_unit_id)
    if org_unit_id is not None:
        query = query.where(WorkUnitPairing.org_unit_id == org_unit_id)
    if not include_ended:
        query = query.where(WorkUnitPairing.ended_on.is_(None))
    return [(row[0], row[1], row[2]) for row in await session.execute(query)]


async def live_pairing_exists(session: AsyncSession, unit_id: int, org_unit_id: int) -> bool:
    found = await session.scalar(
        select(
            exists().where(
                WorkUnitPairing.work_unit_id == unit_id,
                WorkUnitPairing.org_unit_id == org_unit_id,
                WorkUnitPairing.ended_on.is_(None),
            )
        )
    )
    return bool(found)


# ---------------------------------------------------------------- commitments


async def commitments_in_year(session: AsyncSession, pairing_id: int, year: int) -> int:
    count = await session.scalar(
        select(func.count()).where(
            WorkUnitCommitment.pairing_id == pairing_id,
            WorkUnitCommitment.year == year,
            WorkUnitCommitment.status != "dropped",
        )
    )
    return int(count or 0)


async def get_commitment(
    session: AsyncSession, commitment_id: int, pairings: ColumnElement[bool], *, lock: bool = False
) -> WorkUnitCommitment | None:
    seen = select(WorkUnitPairing.id).where(pairings)
    query = select(WorkUnitCommitment).where(
        WorkUnitCommitment.id == commitment_id, WorkUnitCommitment.pairing_id.in_(seen)
    )
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def commitment_page(
    session: AsyncSession, pairing_id: int, *, year: int | None, after: int | None, limit: int
) -> Sequence[WorkUnitCommitment]:
    query = (
        select(WorkUnitCommitment)
        .where(WorkUnitCommitment.pairing_id == pairing_id)
        .order_by(WorkUnitCommitment.id)
        .limit(limit)
    )
    if year is not None:
        query = query.where(WorkUnitCommitment.year == year)
    if after is not None:
        query = query.where(WorkUnitCommitment.id > after)
    return (await session.scalars(query)).all()


async def save(session: AsyncSession, row: Any) -> None:
    session.add(row)
    await session.flush()
    await session.refresh(row)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
