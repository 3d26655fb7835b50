"""All SQL of people (人员) and party members (党员).

Visibility always comes from the caller's ``Scope`` (``scope.clause(Model)``). What
the hierarchy asks of people (live people under a node, rewriting them when a
subtree moves) runs over every scoped table in ``app.db.scoped``.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    LargeBinary,
    Row,
    Select,
    exists,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Scope
from app.db.base import ANCESTOR_COLUMNS
from app.hierarchy.models import OrgUnit
from app.kit.search import contains
from app.people.models import PartyMember, Person

ID_NUMBER_UNIQUE = "uq_person_id_number_hash"
MEMBER_PERSON_UNIQUE = "uq_party_member_person_id"


def _violated(exc: IntegrityError) -> str | None:
    """The constraint an IntegrityError names (asyncpg exposes it on the cause)."""
    cause = getattr(exc.orig, "__cause__", None)
    return getattr(cause, "constraint_name", None) or getattr(exc.orig, "constraint_name", None)


async def flush_unique(session: AsyncSession, constraint: str) -> bool:
    """Flush; False when ``constraint`` (a unique one) refused it, re-raise anything else.

    A concurrent insert of the same key blocks on the unique index until the other
    transaction ends, then fails here: the database, not a prior SELECT, decides.
    """
    try:
        await session.flush()
    except IntegrityError as exc:
        if _violated(exc) == constraint:
            return False
        raise
    return True


# ---------------------------------------------------------------- org units


async def get_unit(session: AsyncSession, unit_id: int) -> OrgUnit | None:
    """Any node by id (references that need no scope, e.g. 双报到 communities)."""
    return await session.get(OrgUnit, unit_id)


async def get_unit_in_scope(session: AsyncSession, unit_id: int, scope: Scope) -> OrgUnit | None:
    return (
        await session.execute(select(OrgUnit).where(OrgUnit.id == unit_id, scope.clause(OrgUnit)))
    ).scalar_one_or_none()


# ---------------------------------------------------------------- people


async def get_person(
    session: AsyncSession, person_id: int, scope: Scope, *, for_update: bool = False
) -> Person | None:
    query = select(Person).where(Person.id == person_id, scope.clause(Person))
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def people_by_mobile(
    session: AsyncSession, mobile_hashes: list[str], limit: int
) -> list[Person]:
    query = (
        select(Person)
        .where(Person.mobile_hash.in_(mobile_hashes), Person.is_archived.is_(False))
        .order_by(Person.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def id_number_holder_row(session: AsyncSession, id_number_hashes: list[str]) -> Person | None:
    """The holder of an ID number, whichever key its row is still sealed under."""
    query = select(Person).where(Person.id_number_hash.in_(id_number_hashes)).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


@dataclass(frozen=True)
class PersonFilter:
    q: str | None = None
    mobile_hashes: list[str] | None = None
    id_number_hashes: list[str] | None = None
    home_unit_id: int | None = None
    include_archived: bool = False
    pii_scope: Scope | None = None
    """Exact search by number: only people over whom the caller holds ``pii``."""


def _people_where(
    scope: Scope, where: PersonFilter, after_id: int | None
) -> list[ColumnElement[bool]]:
    """The criteria of a people list page (newest first, keyset on id)."""
    criteria = [scope.clause(Person)]
    if where.q:
        criteria.append(contains(where.q, Person.name))
    if where.mobile_hashes is not None:
        criteria.append(Person.mobile_hash.in_(where.mobile_hashes))
    if where.id_number_hashes is not None:
        criteria.append(Person.id_number_hash.in_(where.id_number_hashes))
    if where.pii_scope is not None:
        criteria.append(where.pii_scope.clause(Person))
    if where.home_unit_id is not None:
        criteria.append(Person.home_unit_id == where.home_unit_id)
    if not where.include_archived:
        criteria.append(Person.is_archived.is_(False))
    if after_id is not None:
        criteria.append(Person.id < after_id)
    return criteria


async def list_people(
    session: AsyncSession, scope: Scope, where: PersonFilter, after_id: int | None, limit: int
) -> list[Person]:
    criteria = _people_where(scope, where, after_id)
    query = select(Person).where(*criteria).order_by(Person.id.desc()).limit(limit)
    return list((await session.scalars(query)).all())


EXPORT_COLUMNS = (
    Person.id,
    Person.name,
    Person.gender,
    Person.mobile,
    Person.id_number_cipher,
    Person.id_number_last4,
    Person.home_unit_id,
    Person.address_building,
    Person.address_unit,
    Person.address_room,
    *(getattr(Person, column) for column in ANCESTOR_COLUMNS),
    Person.is_archived,
    Person.created_at,
)


async def export_people(
    session: AsyncSession, scope: Scope, where: PersonFilter, after_id: int | None, limit: int
) -> list[Row[*tuple[Any, ...]]]:
    """Columns, not entities: an export reads every row, so the ORM's per-row cost goes
    (Core columns wherever a benchmark shows that cost matters)."""
    criteria = _people_where(scope, where, after_id)
    query = select(*EXPORT_COLUMNS).where(*criteria).order_by(Person.id.desc()).limit(limit)
    return list((await session.execute(query)).all())


async def has_live_membership(session: AsyncSession, person_id: int) -> bool:
    query = select(
        exists().where(PartyMember.person_id == person_id, PartyMember.is_archived.is_(False))
    )
    return bool((await session.execute(query)).scalar())


# ---------------------------------------------------------------- members


def member_visibility(scope: Scope) -> ColumnElement[bool]:
    """Members in scope through their branch, or through 双报到.

    A member registers at the community where they live and at the community their
    employer is linked to; the admins of either must find them. "Communities the
    caller reaches" is itself a scope query on org units, so this stays a
    composition of ``Scope.clause`` (no hand-written org filter).
    """
    if scope.unrestricted:
        return scope.clause(PartyMember)
    communities = select(OrgUnit.id).where(OrgUnit.level == "community", scope.clause(OrgUnit))
    return or_(
        scope.clause(PartyMember),
        PartyMember.residence_community_id.in_(communities),
        PartyMember.employer_community_id.in_(communities),
    )


def _members() -> Select[PartyMember, Person]:
    return select(PartyMember, Person).join(Person, Person.id == PartyMember.person_id)


async def get_member(
    session: AsyncSession,
    member_id: int,
    scope: Scope,
    *,
    dual_registration: bool = False,
    for_update: bool = False,
) -> tuple[PartyMember, Person] | None:
    """A member in scope through its branch, or also through 双报到 when asked."""
    visible = member_visibility(scope) if dual_registration else scope.clause(PartyMember)
    query = _members().where(PartyMember.id == member_id, visible)
    if for_update:
        query = query.with_for_update(of=PartyMember)
    row = (await session.execute(query)).first()
    return None if row is None else (row[0], row[1])


@dataclass(frozen=True)
class MemberFilter:
    branch_id: int | None = None
    is_in_service: bool | None = None
    residence_community_id: int | None = None
    employer_community_id: int | None = None
    q: str | None = None
    include_archived: bool = False


async def list_members(
    session: AsyncSession, scope: Scope, where: MemberFilter, after_id: int | None, limit: int
) -> list[tuple[PartyMember, Person]]:
    """Newest first, keyset on id; visible through the branch or through 双报到."""
    query = _members().where(member_visibility(scope))
    if where.branch_id is not None:
        query = query.where(PartyMember.branch_id == where.branch_id)
    if where.is_in_service is not None:
        query = query.where(PartyMember.is_in_service.is_(where.is_in_service))
    if where.residence_community_id is not None:
        query = query.where(PartyMember.residence_community_id == where.residence_community_id)
    if where.employer_community_id is not None:
        query = query.where(PartyMember.employer_community_id == where.employer_community_id)
    if where.q:
        query = query.where(contains(where.q, Person.name))
    if not where.include_archived:
        query = query.where(PartyMember.is_archived.is_(False))
    if after_id is not None:
        query = query.where(PartyMember.id < after_id)
    rows = await session.execute(query.order_by(PartyMember.id.desc()).limit(limit))
    return [(member, person) for member, person in rows]


async def membership_of(session: AsyncSession, person_id: int) -> int | None:
    return (
        await session.execute(select(PartyMember.id).where(PartyMember.person_id == person_id))
    ).scalar_one_or_none()


async def lock_person(session: AsyncSession, person_id: int) -> Person | None:
    query = select(Person).where(Person.id == person_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


# ---------------------------------------------------------------- key rotation


@dataclass(frozen=True)
class SealedRow:
    id: int
    id_number_cipher: bytes | None
    mobile_token: bytes | None
    mobile_hash: str | None


async def sealed_batch(session: AsyncSession, after_id: int, limit: int) -> list[SealedRow]:
    """The next ``limit`` people after ``after_id`` with their raw tokens, locked so a
    concurrent edit waits for the batch (or the batch for it) instead of being lost."""
    query = (
        select(
            Person.id,
            Person.id_number_cipher,
            type_coerce(Person.mobile, LargeBinary).label("mobile_token"),
            Person.mobile_hash,
        )
        .where(Person.id > after_id)
        .order_by(Person.id)
        .limit(limit)
        .with_for_update(of=Person)
    )
    return [SealedRow(*row) for row in (await session.execute(query)).all()]


async def reseal(session: AsyncSession, person_id: int, values: dict[str, Any]) -> None:
    """Rewrite sealed columns only: ``updated_at`` and ``version`` stay, since the
    person's data did not change (their ETags stay valid). ``mobile`` comes sealed
    already (under the ring the caller rotates to), so it bypasses the column type."""
    if "mobile" in values:
        values = {**values, "mobile": type_coerce(values["mobile"], LargeBinary)}
    await session.execute(
        update(Person).where(Person.id == person_id).values(**values, updated_at=Person.updated_at)
    )
