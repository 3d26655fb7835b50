"""All SQL of partner bodies, property contracts and office terms. Visibility comes
only from ``Scope.clause``."""

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Scope
from app.governance.bodies.models import OfficeTerm, PartnerBody, PropertyContract


async def add(session: AsyncSession, row: object, *, unique: str | None = None) -> bool:
    """Flush a new row; False when it broke the unique constraint named ``unique``
    (a concurrent twin won), so the caller answers 409 rather than 500."""
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


# ---------------------------------------------------------------- bodies


async def get_body(
    session: AsyncSession, body_id: int, scope: Scope, *, lock: bool = False
) -> PartnerBody | None:
    query = select(PartnerBody).where(PartnerBody.id == body_id, scope.clause(PartnerBody))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def name_taken(
    session: AsyncSession, org_unit_id: int, kind: str, name: str, *, except_id: int | None = None
) -> bool:
    query = select(PartnerBody.id).where(
        PartnerBody.org_unit_id == org_unit_id, PartnerBody.kind == kind, PartnerBody.name == name
    )
    if except_id is not None:
        query = query.where(PartnerBody.id != except_id)
    return (await session.execute(query.limit(1))).first() is not None


async def body_page(
    session: AsyncSession,
    where: Sequence[ColumnElement[bool]],
    *,
    after: int | None,
    limit: int,
) -> Sequence[PartnerBody]:
    query = select(PartnerBody).where(*where).order_by(PartnerBody.id).limit(limit)
    if after is not None:
        query = query.where(PartnerBody.id > after)
    return (await session.scalars(query)).all()


async def bodies_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, PartnerBody]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.scalars(select(PartnerBody).where(PartnerBody.id.in_(wanted)))
    return {row.id: row for row in rows}


# ---------------------------------------------------------------- contracts


async def contract_page(
    session: AsyncSession, body_id: int, *, after: int | None, limit: int
) -> Sequence[PropertyContract]:
    query = (
        select(PropertyContract)
        .where(PropertyContract.body_id == body_id)
        .order_by(PropertyContract.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(PropertyContract.id > after)
    return (await session.scalars(query)).all()


async def current_contract(
    session: AsyncSession, body_id: int, compound: Scope, day: date
) -> PropertyContract | None:
    """The body's contract for the compound in force on ``day`` (the latest if several)."""
    query = (
        select(PropertyContract)
        .where(
            PropertyContract.body_id == body_id,
            compound.clause(PropertyContract),
            PropertyContract.starts_on <= day,
            PropertyContract.ends_on >= day,
        )
        .order_by(PropertyContract.starts_on.desc(), PropertyContract.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


# ---------------------------------------------------------------- office terms


async def get_term(
    session: AsyncSession, term_id: int, scope: Scope, *, lock: bool = False
) -> OfficeTerm | None:
    query = select(OfficeTerm).where(OfficeTerm.id == term_id, scope.clause(OfficeTerm))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def holds(session: AsyncSession, person_id: int, office: str, seat_key: str) -> bool:
    query = select(OfficeTerm.id).where(
        OfficeTerm.person_id == person_id,
        OfficeTerm.office == office,
        OfficeTerm.seat_key == seat_key,
        OfficeTerm.ended_on.is_(None),
    )
    return (await session.execute(query.limit(1))).first() is not None


async def term_page(
    session: AsyncSession,
    where: Sequence[ColumnElement[bool]],
    *,
    after: int | None,
    limit: int,
) -> Sequence[OfficeTerm]:
    query = select(OfficeTerm).where(*where).order_by(OfficeTerm.id).limit(limit)
    if after is not None:
        query = query.where(OfficeTerm.id > after)
    return (await session.scalars(query)).all()


async def current_terms(
    session: AsyncSession, where: Sequence[ColumnElement[bool]]
) -> Sequence[OfficeTerm]:
    query = (
        select(OfficeTerm)
        .where(OfficeTerm.ended_on.is_(None), *where)
        .order_by(OfficeTerm.person_id, OfficeTerm.id)
    )
    return (await session.scalars(query)).all()


async def compound_terms(session: AsyncSession, compound: Scope, day: date) -> Sequence[OfficeTerm]:
    """Current terms seated in the compound, and in property companies serving it under
    a contract in force on ``day`` (a company is often registered above the compound)."""
    serving = select(PropertyContract.body_id).where(
        compound.clause(PropertyContract),
        PropertyContract.starts_on <= day,
        PropertyContract.ends_on >= day,
    )
    return await current_terms(
        session, [or_(compound.clause(OfficeTerm), OfficeTerm.body_id.in_(serving))]
    )
