"""Use cases of the units registry (单位), rosters, pairings (结对) and commitments.

Who may do what: ``units.manage`` over a unit's registry node (a town or community)
changes the unit and its roster; over a community or compound, pairs a unit it sees
with it and tracks the pairing's commitments. ``participation.read`` (and
``units.manage``) reads units registered in or paired with its subtree. Services flush,
never commit; every write records one audit event. The governance domain may reuse
the registry through :func:`unit_in` and :func:`pairings_of`.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import MEMBERS_READ, PARTICIPATION_READ, PEOPLE_READ, PII, UNITS_MANAGE
from app.authz.principal import Principal
from app.authz.scope import Scope, Visibility
from app.db.base import ANCESTOR_COLUMNS
from app.kit.etag import check_version
from app.kit.masking import mask_mobile
from app.kit.pagination import BY_ID, paginate
from app.participation.shared import about
from app.participation.units import repository
from app.participation.units.errors import (
    AlreadyPaired,
    InvalidEndDate,
    InvalidPairingNode,
    InvalidRegistryNode,
    NotAPartyMember,
    OnAnotherRoster,
    PairingEnded,
    PairingNodeNotFound,
    PairingNotFound,
    RegistryNodeNotFound,
    RosterMemberNotFound,
    RosterPersonNotFound,
    WorkUnitArchived,
    WorkUnitNameTaken,
    WorkUnitNotFound,
)
from app.participation.units.models import WorkUnit, WorkUnitPairing
from app.participation.units.schemas import (
    PairingCreate,
    PairingEnd,
    PairingPage,
    PairingQuery,
    PairingRead,
    RosterPage,
    RosterRead,
    WorkUnitCreate,
    WorkUnitPage,
    WorkUnitQuery,
    WorkUnitRead,
    WorkUnitUpdate,
)

REGISTRY_LEVELS = ("town", "community")


def readers(principal: Principal) -> tuple[Scope, ...]:
    return (principal.scope(PARTICIPATION_READ), principal.scope(UNITS_MANAGE))


def managers(principal: Principal) -> tuple[Scope, ...]:
    return (principal.scope(UNITS_MANAGE),)


def present_unit(principal: Principal, unit: WorkUnit, member_count: int) -> WorkUnitRead:
    read = WorkUnitRead.model_validate(
        {f: getattr(unit, f) for f in WorkUnitRead.model_fields if f != "member_count"}
        | {"member_count": member_count}
    )
    if read.contact_phone is not None and not principal.scope(PII).covers(unit):
        read.contact_phone = mask_mobile(read.contact_phone)
    return read


# ---------------------------------------------------------------- units


async def create_unit(
    session: AsyncSession, principal: Principal, data: WorkUnitCreate
) -> WorkUnitRead:
    node = await repository.get_org_unit(session, data.org_unit_id, principal.scope(UNITS_MANAGE))
    if node is None:
        raise RegistryNodeNotFound()
    if node.level not in REGISTRY_LEVELS or node.is_archived:
        raise InvalidRegistryNode()
    if await repository.unit_name_taken(session, node.id, data.name):
        raise WorkUnitNameTaken()
    unit = WorkUnit(
        **data.model_dump(mode="json"), **{c: getattr(node, c) for c in ANCESTOR_COLUMNS}
    )
    session.add(unit)
    if not await repository.flush_unique(session, repository.UNIT_NAME_UNIQUE):
        raise WorkUnitNameTaken()
    await session.refresh(unit)
    summary = f"在「{node.name}」登记单位「{unit.name}」"
    await audit_service.record(
        session, principal, "work_unit.create", summary=summary, **about(unit)
    )
    return present_unit(principal, unit, 0)


async def _unit(
    session: AsyncSession, scopes: tuple[Scope, ...], unit_id: int, *, lock: bool = False
) -> tuple[WorkUnit, int]:
    found = await repository.get_unit(session, unit_id, repository.units_seen(scopes), lock=lock)
    if found is None:
        raise WorkUnitNotFound()
    return found


async def _registry_managed(
    session: AsyncSession, principal: Principal, unit_id: int, *, lock: bool = False
) -> tuple[WorkUnit, int]:
    """The unit, if the caller's ``units.manage`` reaches its registry node."""
    manage = principal.scope(UNITS_MANAGE)
    found = await repository.get_unit(session, unit_id, manage.clause(WorkUnit), lock=lock)
    if found is None:
        raise WorkUnitNotFound()
    return found


async def get_unit(session: AsyncSession, principal: Principal, unit_id: int) -> WorkUnitRead:
    return present_unit(principal, *await _unit(session, readers(principal), unit_id))


async def list_units(
    session: AsyncSession, principal: Principal, query: WorkUnitQuery
) -> WorkUnitPage:
    seen = repository.units_seen(readers(principal))
    items, cursor = await paginate(
        BY_ID,
        query.cursor,
        query.limit,
        lambda after, n: repository.unit_page(
            session,
            seen,
            q=query.q,
            kind=query.kind,
            include_archived=query.include_archived,
            after=after,
            limit=n,
        ),
        key=lambda row: row[0].id,
    )
    return WorkUnitPage(items=[present_unit(principal, *r) for r in items], next_cursor=cursor)


async def update_unit(
    session: AsyncSession,
    principal: Principal,
    unit_id: int,
    data: WorkUnitUpdate,
    if_match: str | None,
) -> WorkUnitRead:
    unit, count = await _registry_managed(session, principal, unit_id, lock=True)
    check_version(if_match, unit.version)
    changes = {
        k: v
        for k, v in data.model_dump(exclude_unset=True, mode="json").items()
        if getattr(unit, k) != v
    }
    if not changes:
        return present_unit(principal, unit, count)
    if "name" in changes and await repository.unit_name_taken(
        session, unit.org_unit_id, changes["name"], except_id=unit.id
    ):
        raise WorkUnitNameTaken()
    for field, value in changes.items():
        setattr(unit, field, value)
    unit.version += 1
    await repository.save(session, unit)
    summary = f"修改单位「{unit.name}」：{', '.join(sorted(changes))}"
    await audit_service.record(
        session, principal, "work_unit.update", summary=summary, **about(unit)
    )
    return present_unit(principal, unit, count)


# ---------------------------------------------------------------- roster


async def add_to_roster(
    session: AsyncSession, principal: Principal, unit_id: int, person_id: int
) -> RosterRead:
    """在职党员: a live party member the caller sees (where they live or by branch)."""
    unit, _ = await _registry_managed(session, principal, unit_id)
    if unit.is_archived:
        raise WorkUnitArchived()
    found = await repository.visible_member(
        session, person_id, principal.scope(PEOPLE_READ), principal.scope(MEMBERS_READ)
    )
    if found is None:
        raise RosterPersonNotFound()
    person, is_member = found
    if not is_member:
        raise NotAPartyMember()
    joined_at = await repository.add_to_roster(session, unit.id, person.id)
    if joined_at is None:
        raise OnAnotherRoster()
    summary = f"人员 #{person.id} 登记为单位「{unit.name}」在职党员"
    await audit_service.record(
        session, principal, "work_unit.member_add", summary=summary, **about(unit)
    )
    return RosterRead(
        person_id=person.id, name=person.name, work_unit_id=unit.id, joined_at=joined_at
    )


async def remove_from_roster(
    session: AsyncSession, principal: Principal, unit_id: int, person_id: int
) -> None:
    unit, _ = await _registry_managed(session, principal, unit_id)
    if not await repository.remove_from_roster(session, unit.id, person_id):
        raise RosterMemberNotFound()
    summary = f"人员 #{person_id} 移出单位「{unit.name}」在职党员名单"
    await audit_service.record(
        session, principal, "work_unit.member_remove", summary=summary, **about(unit)
    )


async def list_roster(
    session: AsyncSession, principal: Principal, unit_id: int, *, limit: int, cursor: str | None
) -> RosterPage:
    unit, _ = await _unit(session, readers(principal), unit_id)
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.roster_page(session, unit.id, after=after, limit=n),
        key=lambda row: row.person_id,
    )
    return RosterPage(items=[RosterRead.model_validate(r) for r in items], next_cursor=next_cursor)


async def roster_unit_of(session: AsyncSession, person_id: int) -> int | None:
    """The unit whose roster holds the person (registrations default to it)."""
    return await repository.roster_unit_of(session, person_id)


# ---------------------------------------------------------------- pairings


def _pairing_read(found: tuple[WorkUnitPairing, str, str]) -> PairingRead:
    pairing, unit_name, node_name = found
    columns = {
        f: getattr(pairing, f)
        for f in PairingRead.model_fields
        if f not in ("work_unit_name", "org_unit_name")
    }
    return PairingRead(**columns, work_unit_name=unit_name, org_unit_name=node_name)


async def create_pairing(
    session: AsyncSession, principal: Principal, unit_id: int, data: PairingCreate
) -> PairingRead:
    """结对: the unit (seen with ``units.manage``) with a community or compound in the
    caller's ``units.manage`` subtree."""
    unit, _ = await _unit(session, managers(principal), unit_id)
    if unit.is_archived:
        raise WorkUnitArchived()
    node = await repository.get_org_unit(session, data.org_unit_id, principal.scope(UNITS_MANAGE))
    if node is None:
        raise PairingNodeNotFound()
    compound = node.level == "grid" and node.grid_kind == "compound"
    if not (node.level == "community" or compound) or node.is_archived:
        raise InvalidPairingNode()
    if await repository.live_pairing_exists(session, unit.id, node.id):
        raise AlreadyPaired()
    pairing = WorkUnitPairing(
        work_unit_id=unit.id,
        org_unit_id=node.id,
        started_on=data.started_on,
        **{c: getattr(node, c) for c in ANCESTOR_COLUMNS},
    )
    session.add(pairing)
    if not await repository.flush_unique(session, repository.PAIRING_LIVE_UNIQUE):
        raise AlreadyPaired()
    await session.refresh(pairing)
    summary = f"单位「{unit.name}」与「{node.name}」结对"
    await audit_service.record(
        session, principal, "work_unit.pair", summary=summary, **about(pairing)
    )
    return _pairing_read((pairing, unit.name, node.name))


async def find_pairing(
    session: AsyncSession, scopes: tuple[Scope, ...], pairing_id: int, *, lock: bool = False
) -> tuple[WorkUnitPairing, str, str]:
    found = await repository.get_pairing(
        session, pairing_id, repository.pairings_seen(scopes), lock=lock
    )
    if found is None:
        raise PairingNotFound()
    return found


async def get_pairing(session: AsyncSession, principal: Principal, pairing_id: int) -> PairingRead:
    return _pairing_read(await find_pairing(session, readers(principal), pairing_id))


async def list_pairings(
    session: AsyncSession, principal: Principal, query: PairingQuery
) -> PairingPage:
    seen = repository.pairings_seen(readers(principal))
    items, cursor = await paginate(
        BY_ID,
        query.cursor,
        query.limit,
        lambda after, n: repository.pairing_page(
            session,
            seen,
            work_unit_id=query.work_unit_id,
            org_unit_id=query.org_unit_id,
            include_ended=query.include_ended,
            after=after,
            limit=n,
        ),
        key=lambda row: row[0].id,
    )
    return PairingPage(items=[_pairing_read(r) for r in items], next_cursor=cursor)


async def end_pairing(
    session: AsyncSession, principal: Principal, pairing_id: int, data: PairingEnd
) -> PairingRead:
    found = await find_pairing(session, managers(principal), pairing_id, lock=True)
    pairing = found[0]
    if pairing.ended_on is not None:
        raise PairingEnded()
    if data.ended_on < pairing.started_on:
        raise InvalidEndDate()
    pairing.ended_on = data.ended_on
    await repository.save(session, pairing)
    summary = f"单位「{found[1]}」与「{found[2]}」结对结束于 {data.ended_on}"
    await audit_service.record(
        session, principal, "work_unit.unpair", summary=summary, **about(pairing)
    )
    return _pairing_read(found)


async def pairings_of(session: AsyncSession, unit_id: int) -> list[tuple[int, int]]:
    """(pairing id, paired node id) of the unit's live pairings, for other domains."""
    rows = await repository.pairing_page(
        session,
        repository.pairings_seen((Scope.everything(),)),
        work_unit_id=unit_id,
        org_unit_id=None,
        include_ended=False,
        after=None,
        limit=1000,
    )
    return [(p.id, p.org_unit_id) for p, _, _ in rows]


async def unit_in(session: AsyncSession, within: Visibility, unit_id: int) -> WorkUnit | None:
    """The unit if registered in or paired within ``within`` (other domains' checks)."""
    found = await repository.get_unit(session, unit_id, repository.units_seen((within,)))
    return None if found is None else found[0]
