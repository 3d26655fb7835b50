"""Use cases of stations and their honour rolls (the rota is ``rota``). Services flush,
never commit; every write records one audit event.

A station is scoped by its node; its 站长 and deputies are offices held in it
(``app.governance.bodies.offices``), shown with the station.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import GOVERNANCE_MANAGE
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.governance import repository as shared_repository
from app.governance import service as shared
from app.governance.bodies import offices
from app.governance.bodies.models import OfficeTerm
from app.governance.bodies.schemas import OfficeRead
from app.governance.errors import PersonNotFound
from app.governance.stations import repository
from app.governance.stations.errors import (
    HonourNotFound,
    HonourWithdrawn,
    StationInactive,
    StationNameTaken,
    StationNotFound,
)
from app.governance.stations.models import HonourEntry, Station
from app.governance.stations.schemas import (
    HonourCreate,
    HonourPage,
    HonourRead,
    HonourWithdraw,
    StationCreate,
    StationKind,
    StationPage,
    StationRead,
    StationUpdate,
)
from app.kit.etag import check_version
from app.kit.pagination import BY_ID, paginate
from app.people.models import Person

_NAME_UNIQUE = "uq_station_org_unit_id_name"


async def present_all(
    session: AsyncSession, principal: Principal, rows: Sequence[Station]
) -> list[StationRead]:
    """Stations with their current 站长 and deputies, the officers in one query."""
    officers = await offices.current_officers(
        session, principal, [OfficeTerm.station_id.in_([s.id for s in rows])]
    )
    by_station: dict[int, list[OfficeRead]] = defaultdict(list)
    for officer in officers:
        by_station[officer.seat.id].append(officer)
    reads = []
    for station in rows:
        columns = {f: getattr(station, f) for f in StationRead.model_fields if f != "officers"}
        reads.append(StationRead(**columns, officers=by_station[station.id]))
    return reads


async def present(session: AsyncSession, principal: Principal, station: Station) -> StationRead:
    return (await present_all(session, principal, [station]))[0]


async def find(
    session: AsyncSession, scope: Scope, station_id: int, *, lock: bool = False
) -> Station:
    station = await repository.get_station(session, station_id, scope, lock=lock)
    if station is None:
        raise StationNotFound()
    return station


def community_of(station: Station) -> Scope:
    """Duty and honours are for people of the station's community."""
    community = station.community_id
    if not community:
        return Scope.of([("town", station.town_id)])
    return Scope.of([("community", community)])


async def community_person(
    session: AsyncSession, station: Station, person_id: int, *, member: bool
) -> Person | None:
    """A live person living in, or (a member) held by a branch of, the station's community."""
    scope = community_of(station)
    found = await shared_repository.member_person(session, person_id, scope, scope)
    if found is None or (member and not found[1]):
        return None
    return found[0]


def _json(data: StationCreate | StationUpdate, fields: dict[str, Any]) -> dict[str, Any]:
    """Enum and time values as stored (JSON and text arrays)."""
    dumped = data.model_dump(mode="json", include=set(fields))
    return {k: dumped[k] for k in fields}


async def create_station(
    session: AsyncSession, principal: Principal, data: StationCreate
) -> StationRead:
    unit = await shared.unit(session, principal.scope(GOVERNANCE_MANAGE), data.org_unit_id)
    if await repository.station_name_taken(session, unit.id, data.name):
        raise StationNameTaken()
    values = _json(data, data.model_dump())
    station = Station(**values, is_active=True, version=1, **shared.place_of(unit))
    if not await repository.add(session, station, unique=_NAME_UNIQUE):
        raise StationNameTaken()
    await shared.record(
        session,
        principal,
        "station.create",
        ("station", station.id),
        f"在「{unit.name}」设立{StationKind(station.kind).value}「{station.name}」",
        station,
    )
    return await present(session, principal, station)


async def get_station(session: AsyncSession, principal: Principal, station_id: int) -> StationRead:
    scope = await shared.reader_scope(session, principal)
    return await present(session, principal, await find(session, scope, station_id))


async def list_stations(
    session: AsyncSession,
    principal: Principal,
    *,
    org_unit_id: int | None,
    kind: StationKind | None,
    limit: int,
    cursor: str | None,
) -> StationPage:
    scope = await shared.reader_scope(session, principal)
    where: list[ColumnElement[bool]] = [scope.clause(Station)]
    if org_unit_id is not None:
        unit = await shared.unit(session, scope, org_unit_id)
        where.append(Scope.of([(unit.level, unit.id)]).clause(Station))
    if kind is not None:
        where.append(Station.kind == kind.value)
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.station_page(session, where, after=after, limit=n),
        lambda s: s.id,
    )
    return StationPage(items=await present_all(session, principal, items), next_cursor=next_cursor)


async def update_station(
    session: AsyncSession,
    principal: Principal,
    station_id: int,
    data: StationUpdate,
    if_match: str | None,
) -> StationRead:
    station = await find(session, principal.scope(GOVERNANCE_MANAGE), station_id, lock=True)
    check_version(if_match, station.version)
    changes = {k: v for k, v in _json(data, data.changes()).items() if getattr(station, k) != v}
    if changes:
        if "name" in changes and await repository.station_name_taken(
            session, station.org_unit_id, changes["name"], except_id=station.id
        ):
            raise StationNameTaken()
        for column, value in changes.items():
            setattr(station, column, value)
        station.version += 1
        await repository.save(session, station)
        await shared.record(
            session,
            principal,
            "station.update",
            ("station", station.id),
            f"修改驿站「{station.name}」：{', '.join(sorted(changes))}",
            station,
        )
    return await present(session, principal, station)


# ---------------------------------------------------------------- honour roll


def _honour(principal: Principal, entry: HonourEntry, person: Person) -> HonourRead:
    columns = {f: getattr(entry, f) for f in HonourRead.model_fields if f != "person"}
    return HonourRead(**columns, person=shared.person_ref(principal, person))


async def add_honour(
    session: AsyncSession, principal: Principal, station_id: int, data: HonourCreate
) -> HonourRead:
    """红旗好人: staff put a resident or member of the station's community on its roll."""
    station = await find(session, principal.scope(GOVERNANCE_MANAGE), station_id)
    if not station.is_active:
        raise StationInactive()
    person = await community_person(session, station, data.person_id, member=False)
    if person is None:
        raise PersonNotFound()
    entry = HonourEntry(
        station_id=station.id,
        created_by_user_id=principal.user_id,
        **data.model_dump(),
        **shared.place_of(station),
    )
    await repository.add(session, entry)
    await shared.record(
        session,
        principal,
        "honour.create",
        ("honour_entry", entry.id),
        f"「{station.name}」光荣榜新增人员 #{person.id}（{entry.title}）",
        station,
    )
    return _honour(principal, entry, person)


async def list_honours(
    session: AsyncSession,
    principal: Principal,
    station_id: int,
    *,
    include_withdrawn: bool,
    limit: int,
    cursor: str | None,
) -> HonourPage:
    station = await find(session, await shared.reader_scope(session, principal), station_id)
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.honour_page(
            session, station.id, include_withdrawn=include_withdrawn, after=after, limit=n
        ),
        lambda r: r[0].id,
    )
    return HonourPage(items=[_honour(principal, e, p) for e, p in items], next_cursor=next_cursor)


async def withdraw_honour(
    session: AsyncSession, principal: Principal, honour_id: int, data: HonourWithdraw
) -> HonourRead:
    entry = await repository.get_honour(
        session, honour_id, principal.scope(GOVERNANCE_MANAGE), lock=True
    )
    if entry is None:
        raise HonourNotFound()
    if entry.withdrawn_at is not None:
        raise HonourWithdrawn()
    entry.withdrawn_at, entry.withdrawn_reason = datetime.now(UTC), data.reason
    await repository.save(session, entry)
    await shared.record(
        session,
        principal,
        "honour.withdraw",
        ("honour_entry", entry.id),
        f"撤下光荣榜记录 #{entry.id}",
        entry,
    )
    person = await shared_repository.person(session, entry.person_id)
    assert person is not None
    return _honour(principal, entry, person)
