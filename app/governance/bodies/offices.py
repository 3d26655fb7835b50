"""Offices (职务) held for a term in an org unit, a partner body or a station.

Appointing starts a term; ending it sets ``ended_on`` — terms are history, never
overwritten. An office may carry a role at the seat's node (a 站长: community_admin
at the station's compound), granted through the users domain with the term and
revoked when it ends; nobody appoints themselves to such an office.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import GOVERNANCE_MANAGE, MEMBERS_READ, PEOPLE_READ
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.governance import repository as shared_repository
from app.governance import service as shared
from app.governance.bodies import repository
from app.governance.bodies.errors import (
    AlreadyHeld,
    EndBeforeStart,
    OfficeDoesNotFit,
    OfficeNotFound,
    SeatNotFound,
    SelfAppointment,
    TermEnded,
)
from app.governance.bodies.models import OfficeTerm
from app.governance.bodies.rules import (
    PARTY_OFFICES,
    STATION,
    Office,
    SeatKind,
    fits,
    seat_key,
    seat_of_unit,
)
from app.governance.bodies.schemas import (
    CompoundSeats,
    OfficeCreate,
    OfficeEnd,
    OfficePage,
    OfficeRead,
    SeatHeld,
    SeatHolder,
    SeatRead,
)
from app.governance.errors import NotAPartyMember, PersonNotFound
from app.governance.stations import repository as station_repository
from app.hierarchy.models import OrgUnit
from app.kit.etag import check_version
from app.kit.pagination import BY_ID, paginate
from app.people.models import Person
from app.people.schemas import business_today
from app.users import office_roles

_SEAT_UNIQUE = "uq_office_term_current_seat"


@dataclass(frozen=True)
class Seat:
    kind: SeatKind
    id: int
    name: str
    unit: OrgUnit
    fit: str | None
    """What ``rules.SEATS`` calls it: ``branch``, ``building``, a body kind, ``station``."""


async def _seat(session: AsyncSession, scope: Scope, data: OfficeCreate) -> Seat:
    if data.body_id is not None:
        body = await repository.get_body(session, data.body_id, scope)
        if body is None or not body.is_active:
            raise SeatNotFound()
        unit = await shared.unit(session, Scope.everything(), body.org_unit_id)
        return Seat(SeatKind.body, body.id, body.name, unit, body.kind)
    if data.station_id is not None:
        station = await station_repository.get_station(session, data.station_id, scope)
        if station is None or not station.is_active:
            raise SeatNotFound()
        unit = await shared.unit(session, Scope.everything(), station.org_unit_id)
        return Seat(SeatKind.station, station.id, station.name, unit, STATION)
    assert data.org_unit_id is not None
    found = await shared_repository.live_unit(session, data.org_unit_id, scope)
    if found is None:
        raise SeatNotFound()
    return Seat(SeatKind.org_unit, found.id, found.name, found, seat_of_unit(found.level))


async def _holder(
    session: AsyncSession, principal: Principal, office: Office, person_id: int
) -> Person:
    """The person, seen where they live or by their branch; a member for party offices."""
    found = await shared_repository.member_person(
        session, person_id, principal.scope(PEOPLE_READ), principal.scope(MEMBERS_READ)
    )
    if found is None:
        raise PersonNotFound()
    person, is_member = found
    if office in PARTY_OFFICES and not is_member:
        raise NotAPartyMember()
    return person


async def appoint(session: AsyncSession, principal: Principal, data: OfficeCreate) -> OfficeRead:
    seat = await _seat(session, principal.scope(GOVERNANCE_MANAGE), data)
    if not fits(data.office, seat.fit):
        raise OfficeDoesNotFit()
    person = await _holder(session, principal, data.office, data.person_id)
    key = seat_key(seat.kind, seat.id)
    if await repository.holds(session, person.id, data.office, key):
        raise AlreadyHeld()
    grant_id = None
    if data.grant_role is not None:
        if person.id == principal.person_id:
            raise SelfAppointment()
        grant_id = await office_roles.grant_office_role(
            session, principal, person.id, data.grant_role, seat.unit
        )
    term = OfficeTerm(
        office=data.office.value,
        person_id=person.id,
        seat_kind=seat.kind.value,
        seat_key=key,
        org_unit_id=seat.unit.id,
        body_id=seat.id if seat.kind is SeatKind.body else None,
        station_id=seat.id if seat.kind is SeatKind.station else None,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        grant_role=data.grant_role,
        role_grant_id=grant_id,
        appointed_by_user_id=principal.user_id,
        version=1,
        **shared.place_of(seat.unit),
    )
    if not await repository.add(session, term, unique=_SEAT_UNIQUE):
        raise AlreadyHeld()
    await shared.record(
        session,
        principal,
        "office.appoint",
        ("office_term", term.id),
        f"任命人员 #{person.id} 为「{seat.name}」{data.office.value}",
        term,
    )
    return (await _present(session, principal, [term]))[0]


async def end_term(
    session: AsyncSession,
    principal: Principal,
    term_id: int,
    data: OfficeEnd,
    if_match: str | None,
) -> OfficeRead:
    term = await repository.get_term(
        session, term_id, principal.scope(GOVERNANCE_MANAGE), lock=True
    )
    if term is None:
        raise OfficeNotFound()
    check_version(if_match, term.version)
    if term.ended_on is not None:
        raise TermEnded()
    ended_on = data.ended_on or business_today()
    if ended_on < term.starts_on:
        raise EndBeforeStart()
    if term.role_grant_id is not None:
        await office_roles.revoke_office_role(session, principal, term.role_grant_id)
    term.ended_on, term.end_reason = ended_on, data.reason
    term.role_grant_id = None
    term.version += 1
    await repository.save(session, term)
    await shared.record(
        session,
        principal,
        "office.end",
        ("office_term", term.id),
        f"人员 #{term.person_id} 的 {term.office} 任期于 {ended_on} 结束",
        term,
    )
    return (await _present(session, principal, [term]))[0]


async def get_office(session: AsyncSession, principal: Principal, term_id: int) -> OfficeRead:
    scope = await shared.reader_scope(session, principal)
    term = await repository.get_term(session, term_id, scope)
    if term is None:
        raise OfficeNotFound()
    return (await _present(session, principal, [term]))[0]


async def list_offices(
    session: AsyncSession,
    principal: Principal,
    *,
    org_unit_id: int | None,
    body_id: int | None,
    station_id: int | None,
    person_id: int | None,
    current: bool | None,
    limit: int,
    cursor: str | None,
) -> OfficePage:
    """Terms seated in nodes the caller reads, oldest first; history included unless
    ``current``."""
    scope = await shared.reader_scope(session, principal)
    where: list[ColumnElement[bool]] = [scope.clause(OfficeTerm)]
    if org_unit_id is not None:
        unit = await shared.unit(session, scope, org_unit_id)
        where.append(Scope.of([(unit.level, unit.id)]).clause(OfficeTerm))
    if body_id is not None:
        where.append(OfficeTerm.body_id == body_id)
    if station_id is not None:
        where.append(OfficeTerm.station_id == station_id)
    if person_id is not None:
        where.append(OfficeTerm.person_id == person_id)
    if current is not None:
        where.append(OfficeTerm.ended_on.is_(None) if current else OfficeTerm.ended_on.is_not(None))
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.term_page(session, where, after=after, limit=n),
        lambda t: t.id,
    )
    return OfficePage(items=await _present(session, principal, items), next_cursor=next_cursor)


async def current_officers(
    session: AsyncSession, principal: Principal, where: Sequence[ColumnElement[bool]]
) -> list[OfficeRead]:
    """Current terms matching ``where`` (a station's 站长 and deputies)."""
    return await _present(session, principal, await repository.current_terms(session, where))


async def compound_seats(
    session: AsyncSession, principal: Principal, compound_id: int
) -> CompoundSeats:
    """Who sits where in a compound — the cross-appointment (双向进入、交叉任职) shows as
    one person holding offices in several seats."""
    compound = await shared.compound(
        session, await shared.reader_scope(session, principal), compound_id
    )
    terms = await repository.compound_terms(
        session, Scope.of([("grid", compound.id)]), business_today()
    )
    reads = await _present(session, principal, terms)
    by_person: dict[int, list[OfficeRead]] = defaultdict(list)
    for read in reads:
        by_person[read.person.id].append(read)
    holders = []
    for held in by_person.values():
        seats = {(r.seat.kind, r.seat.id) for r in held}
        holders.append(
            SeatHolder(
                person=held[0].person,
                seats=[
                    SeatHeld(term_id=r.id, office=r.office, seat=r.seat, starts_on=r.starts_on)
                    for r in held
                ],
                is_cross_appointed=len(seats) > 1,
            )
        )
    holders.sort(key=lambda h: (not h.is_cross_appointed, h.person.id))
    return CompoundSeats(
        compound_id=compound.id,
        compound_name=compound.name,
        holders=holders,
        cross_appointed=sum(h.is_cross_appointed for h in holders),
    )


async def _present(
    session: AsyncSession, principal: Principal, terms: Sequence[OfficeTerm]
) -> list[OfficeRead]:
    people = await shared_repository.people_by_id(session, (t.person_id for t in terms))
    bodies = await repository.bodies_by_id(session, (t.body_id for t in terms if t.body_id))
    stations = await station_repository.stations_by_id(
        session, (t.station_id for t in terms if t.station_id)
    )
    units = await shared_repository.units_by_id(session, (t.org_unit_id for t in terms))
    today = business_today()
    reads = []
    for term in terms:
        if term.body_id is not None:
            body = bodies[term.body_id]
            seat = SeatRead(kind=SeatKind.body, id=body.id, name=body.name, body_kind=body.kind)
        elif term.station_id is not None:
            station = stations[term.station_id]
            seat = SeatRead(kind=SeatKind.station, id=station.id, name=station.name)
        else:
            unit = units[term.org_unit_id]
            seat = SeatRead(kind=SeatKind.org_unit, id=unit.id, name=unit.name)
        columns = {
            f: getattr(term, f)
            for f in OfficeRead.model_fields
            if f not in {"person", "seat", "is_current"}
        }
        reads.append(
            OfficeRead(
                **columns,
                person=shared.person_ref(principal, people[term.person_id]),
                seat=seat,
                is_current=term.ended_on is None
                and (term.ends_on is None or term.ends_on >= today),
            )
        )
    return reads
