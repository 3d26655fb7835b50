"""Use cases of 双报到: members report to communities, as records.

- A member reports themself (``participation.join``): to any live community or compound
  (their unit's linked community may lie in another town); the registration waits
  until staff with ``units.manage`` over the place confirm it.
- Staff with ``units.manage`` over the place register a member they see directly
  (confirmed at once, by them).
- A linked registration (单位联系社区) names the member's unit, which must hold them on
  its roster and be paired with the community (or a compound in it).
- The 三个一 are taken up on the home registration by the member or the staff: the
  team joined (the member becomes one of its members), the building unit linked and
  the area claimed, all inside the community reported to.
Services flush, never commit; every write records one audit event.
"""

from typing import Any

from sqlalchemy import false, or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import MEMBERS_READ, PARTICIPATION_READ, PEOPLE_READ, UNITS_MANAGE
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.db.base import ANCESTOR_COLUMNS
from app.hierarchy.models import OrgUnit
from app.kit.etag import check_version
from app.kit.pagination import BY_ID, paginate
from app.orders.config import teams
from app.orders.config.errors import TeamNotFound
from app.participation.registrations import repository
from app.participation.registrations.errors import (
    AlreadyRegistered,
    BuildingNotInCommunity,
    HomeRegistered,
    InvalidPlace,
    NotAPartyMember,
    NotOnRoster,
    NotPaired,
    NotPending,
    PersonNotFound,
    PlaceNotFound,
    RegistrationNotFound,
    TeamNotInCommunity,
    ThreeOnesAtHome,
    UnitRequired,
    Withdrawn,
)
from app.participation.registrations.models import DualRegistration
from app.participation.registrations.schemas import (
    RegistrationCreate,
    RegistrationKind,
    RegistrationPage,
    RegistrationQuery,
    RegistrationRead,
    RegistrationStatus,
    ThreeOnesUpdate,
)
from app.participation.shared import about, own_person, utcnow
from app.participation.units import service as units_service
from app.people.models import Person

THREE_ONES = ("volunteer_team_id", "linked_building_id", "responsibility_area")


def present(registration: DualRegistration, person_name: str) -> RegistrationRead:
    columns = {
        f: getattr(registration, f)
        for f in RegistrationRead.model_fields
        if f not in ("person_name", "three_ones_complete")
    }
    complete = all(getattr(registration, f) is not None for f in THREE_ONES)
    return RegistrationRead(**columns, person_name=person_name, three_ones_complete=complete)


def _seen(principal: Principal) -> Any:
    """Staff by the place's subtree; a member their own registrations."""
    parts = [
        principal.scope(PARTICIPATION_READ).clause(DualRegistration),
        principal.scope(UNITS_MANAGE).clause(DualRegistration),
    ]
    if principal.person_id is not None:
        parts.append(DualRegistration.person_id == principal.person_id)
    return or_(*parts) if parts else false()


def _community(place: OrgUnit) -> Scope:
    """The community of the place reported to (a compound's community)."""
    return Scope.of([("community", place.community_id or place.id)])


async def _place(session: AsyncSession, unit_id: int, scope: Scope) -> OrgUnit:
    place = await repository.get_place(session, unit_id, scope)
    if place is None:
        raise PlaceNotFound()
    compound = place.level == "grid" and place.grid_kind == "compound"
    if not (place.level == "community" or compound) or place.is_archived:
        raise InvalidPlace()
    return place


async def _registrant(
    session: AsyncSession, principal: Principal, data: RegistrationCreate
) -> tuple[Person, bool]:
    """(person, registered by staff). Staff name a member they see; a member is themself."""
    own = data.person_id is None or data.person_id == principal.person_id
    if own:
        person_id = own_person(principal)
        everywhere = Scope.everything()
        found = await repository.person_with_membership(session, person_id, everywhere, everywhere)
    else:
        assert data.person_id is not None
        found = await repository.person_with_membership(
            session, data.person_id, principal.scope(PEOPLE_READ), principal.scope(MEMBERS_READ)
        )
    if found is None:
        raise PersonNotFound()
    if not found[1]:
        raise NotAPartyMember()
    return found[0], not own


async def _unit_of(
    session: AsyncSession, data: RegistrationCreate, person: Person, place: OrgUnit
) -> int | None:
    roster = await units_service.roster_unit_of(session, person.id)
    unit_id = data.work_unit_id or roster
    if data.kind is RegistrationKind.home:
        return unit_id if unit_id == roster else None
    if unit_id is None:
        raise UnitRequired()
    if roster != unit_id:
        raise NotOnRoster()
    if not await repository.is_paired(session, unit_id, _community(place)):
        raise NotPaired()
    return unit_id


async def register(
    session: AsyncSession, principal: Principal, data: RegistrationCreate
) -> RegistrationRead:
    person, by_staff = await _registrant(session, principal, data)
    scope = principal.scope(UNITS_MANAGE) if by_staff else Scope.everything()
    place = await _place(session, data.org_unit_id, scope)
    unit_id = await _unit_of(session, data, person, place)
    if data.kind is RegistrationKind.home and await repository.live_exists(
        session, person.id, "home"
    ):
        raise HomeRegistered()
    if await repository.live_exists(session, person.id, data.kind.value, place.id):
        raise AlreadyRegistered()
    now = utcnow()
    registration = DualRegistration(
        person_id=person.id,
        kind=data.kind.value,
        org_unit_id=place.id,
        work_unit_id=unit_id,
        status=(RegistrationStatus.confirmed if by_staff else RegistrationStatus.pending).value,
        registered_at=now,
        registered_by_user_id=principal.user_id,
        confirmed_at=now if by_staff else None,
        confirmed_by_user_id=principal.user_id if by_staff else None,
        **{c: getattr(place, c) for c in ANCESTOR_COLUMNS},
    )
    if not await repository.add(session, registration):
        raise AlreadyRegistered()
    summary = f"人员 #{person.id} 向「{place.name}」报到（{data.kind.value}）"
    await audit_service.record(
        session, principal, "registration.create", summary=summary, **about(registration)
    )
    return present(registration, person.name)


async def _registration(
    session: AsyncSession, where: Any, registration_id: int, *, lock: bool = False
) -> tuple[DualRegistration, str]:
    found = await repository.get(session, registration_id, where, lock=lock)
    if found is None:
        raise RegistrationNotFound()
    return found


async def get_registration(
    session: AsyncSession, principal: Principal, registration_id: int
) -> RegistrationRead:
    return present(*await _registration(session, _seen(principal), registration_id))


async def list_registrations(
    session: AsyncSession, principal: Principal, query: RegistrationQuery
) -> RegistrationPage:
    filters = {
        "kind": query.kind.value if query.kind else None,
        "status": query.status.value if query.status else None,
        "org_unit_id": query.org_unit_id,
        "work_unit_id": query.work_unit_id,
        "person_id": query.person_id,
    }
    seen = _seen(principal)
    items, cursor = await paginate(
        BY_ID,
        query.cursor,
        query.limit,
        lambda before, n: repository.page(session, seen, filters, before=before, limit=n),
        key=lambda row: row[0].id,
    )
    return RegistrationPage(items=[present(*r) for r in items], next_cursor=cursor)


async def confirm(
    session: AsyncSession, principal: Principal, registration_id: int
) -> RegistrationRead:
    """The community confirms a member's report (确认报到)."""
    where = principal.scope(UNITS_MANAGE).clause(DualRegistration)
    registration, name = await _registration(session, where, registration_id, lock=True)
    if registration.status != RegistrationStatus.pending:
        raise NotPending()
    registration.status = RegistrationStatus.confirmed.value
    registration.confirmed_at = utcnow()
    registration.confirmed_by_user_id = principal.user_id
    registration.version += 1
    await repository.save(session, registration)
    summary = f"确认「{name}」的报到 #{registration.id}"
    await audit_service.record(
        session, principal, "registration.confirm", summary=summary, **about(registration)
    )
    return present(registration, name)


def _own_or_managed(principal: Principal) -> Any:
    parts = [principal.scope(UNITS_MANAGE).clause(DualRegistration)]
    if principal.person_id is not None:
        parts.append(DualRegistration.person_id == principal.person_id)
    return or_(*parts)


async def withdraw(
    session: AsyncSession, principal: Principal, registration_id: int
) -> RegistrationRead:
    """撤回: by the member, or by the community's staff (moved away, changed unit)."""
    found = await _registration(session, _own_or_managed(principal), registration_id, lock=True)
    registration, name = found
    if registration.status == RegistrationStatus.withdrawn:
        raise Withdrawn()
    registration.status = RegistrationStatus.withdrawn.value
    registration.withdrawn_at = utcnow()
    registration.version += 1
    await repository.save(session, registration)
    summary = f"撤回「{name}」的报到 #{registration.id}"
    await audit_service.record(
        session, principal, "registration.withdraw", summary=summary, **about(registration)
    )
    return present(registration, name)


async def take_up_three_ones(
    session: AsyncSession,
    principal: Principal,
    registration_id: int,
    data: ThreeOnesUpdate,
    if_match: str | None,
) -> RegistrationRead:
    """三个一 on a live home registration, inside the community reported to."""
    found = await _registration(session, _own_or_managed(principal), registration_id, lock=True)
    registration, name = found
    check_version(if_match, registration.version)
    if registration.kind != RegistrationKind.home:
        raise ThreeOnesAtHome()
    if registration.status == RegistrationStatus.withdrawn:
        raise Withdrawn()
    changes = data.model_dump(exclude_unset=True)
    community = Scope.of([("community", registration.community_id or 0)])
    if changes.get("volunteer_team_id") is not None:
        await _join_team(session, principal, registration, changes["volunteer_team_id"], community)
    if changes.get("linked_building_id") is not None:
        building = await repository.get_place(session, changes["linked_building_id"], community)
        if building is None or building.level != "building":
            raise BuildingNotInCommunity()
    if changes.get("linked_building_id", registration.linked_building_id) is None:
        changes["linked_entrance"] = None
    for field, value in changes.items():
        setattr(registration, field, value)
    registration.version += 1
    await repository.save(session, registration)
    summary = f"「{name}」的“三个一”：{', '.join(sorted(changes))}"
    await audit_service.record(
        session, principal, "registration.three_ones", summary=summary, **about(registration)
    )
    return present(registration, name)


async def _join_team(
    session: AsyncSession,
    principal: Principal,
    registration: DualRegistration,
    team_id: int,
    community: Scope,
) -> None:
    try:
        await teams.enlist_registrant(
            session, principal, team_id, registration.person_id, community
        )
    except TeamNotFound:
        raise TeamNotInCommunity() from None
