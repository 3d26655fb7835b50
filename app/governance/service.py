"""What every part of governance shares: who may read, the caller as a resident of a
household, ancestor ids of new rows, audit records.

Readers: staff with ``governance.read`` within their subtrees; people taking part
(``governance.take_part``) within their grants' subtrees and their home compound, so
a resident sees the matters, stations and evaluations of the compound they live in.
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import GOVERNANCE_READ, GOVERNANCE_TAKE_PART, PII
from app.authz.principal import Principal
from app.authz.scope import Placed, Scope
from app.governance import repository
from app.governance.errors import (
    CompoundRequired,
    NoHousehold,
    NotInCompound,
    PersonRequired,
    UnitNotFound,
)
from app.governance.schemas import PersonRef
from app.hierarchy.models import OrgUnit
from app.hierarchy.rules import ANCESTOR_COLUMNS
from app.kit.masking import mask_mobile
from app.people.models import Person


def place_of(row: Placed) -> dict[str, int | None]:
    """The ancestor ids a new row copies from its node (or its parent row)."""
    return {column: getattr(row, column) for column in ANCESTOR_COLUMNS}


def union(*scopes: Scope) -> Scope:
    if any(s.unrestricted for s in scopes):
        return Scope.everything()
    return Scope.of(node for s in scopes for node in s.nodes)


async def reader_scope(session: AsyncSession, principal: Principal) -> Scope:
    """Where the caller may read governance data (staff scope ∪ participation)."""
    staff = principal.scope(GOVERNANCE_READ)
    if not principal.has(GOVERNANCE_TAKE_PART):
        return staff
    return union(staff, await participation_scope(session, principal))


async def participation_scope(session: AsyncSession, principal: Principal) -> Scope:
    """The ``governance.take_part`` grants' subtrees plus the caller's home compound."""
    granted = principal.scope(GOVERNANCE_TAKE_PART)
    if principal.person_id is None:
        return granted
    person = await repository.person(session, principal.person_id)
    home = person.grid_id if person is not None and not person.is_archived else None
    if not home:
        return granted
    return union(granted, Scope.of([("grid", home)]))


async def unit(session: AsyncSession, scope: Scope, unit_id: int) -> OrgUnit:
    found = await repository.live_unit(session, unit_id, scope)
    if found is None:
        raise UnitNotFound()
    return found


async def compound(session: AsyncSession, scope: Scope, unit_id: int) -> OrgUnit:
    """A compound (小区) is a grid-level node; its branch is the grid's 党支部."""
    found = await unit(session, scope, unit_id)
    if found.level != "grid":
        raise CompoundRequired()
    return found


@dataclass(frozen=True)
class Resident:
    """The caller as a resident: their person and household (one vote per household)."""

    person: Person
    household: str


async def resident_of(session: AsyncSession, principal: Principal, compound: Placed) -> Resident:
    """The caller's person living in ``compound`` (a grid-level row) and household."""
    if principal.person_id is None:
        raise PersonRequired()
    person = await repository.person(session, principal.person_id)
    if person is None or person.is_archived:
        raise PersonRequired()
    grid = compound.grid_id
    if not grid or not Scope.of([("grid", grid)]).covers(person):
        raise NotInCompound()
    household = await repository.household_of(session, person.id)
    if household is None:
        raise NoHousehold()
    return Resident(person=person, household=household)


def person_ref(principal: Principal, person: Person) -> PersonRef:
    own = principal.person_id == person.id
    mobile = person.mobile if own or principal.scope(PII).covers(person) else None
    return PersonRef(
        id=person.id,
        name=person.name,
        mobile=mobile if mobile is not None else mask_mobile(person.mobile),
    )


async def record(
    session: AsyncSession,
    principal: Principal,
    action: str,
    target: tuple[str, int],
    summary: str,
    place: Placed | None,
) -> None:
    """One audit event per write; ``summary`` carries no personal data."""
    await audit_service.record(
        session,
        principal,
        action,
        summary=summary,
        target_type=target[0],
        target_id=target[1],
        place=place,
    )
