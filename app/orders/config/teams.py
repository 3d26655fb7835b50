"""Volunteer teams (志愿服务队), scoped by their node like any scoped row.

Services flush, never commit; every write records one audit event.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import MEMBERS_READ, ORDERS_CONFIG, ORDERS_READ, PEOPLE_READ
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.hierarchy.rules import ANCESTOR_COLUMNS
from app.kit.pagination import BY_ID, paginate
from app.orders.config import repository
from app.orders.config.errors import (
    AlreadyTeamMember,
    NotAPartyMember,
    TeamMemberNotFound,
    TeamNameTaken,
    TeamNotFound,
    TeamPersonNotFound,
    TeamUnitNotFound,
    UnitArchived,
)
from app.orders.config.schemas import (
    TeamMemberPage,
    TeamMemberRead,
    VolunteerTeamCreate,
    VolunteerTeamPage,
    VolunteerTeamRead,
    VolunteerTeamUpdate,
)
from app.orders.config.shared import changed_fields
from app.orders.models import VolunteerTeam


def _team_read(team: VolunteerTeam, member_count: int) -> VolunteerTeamRead:
    columns = {f: getattr(team, f) for f in VolunteerTeamRead.model_fields if f != "member_count"}
    return VolunteerTeamRead(**columns, member_count=member_count)


def _team_readers(principal: Principal) -> tuple[Scope, ...]:
    return (principal.scope(ORDERS_READ), principal.scope(ORDERS_CONFIG))


async def _team(
    session: AsyncSession, scopes: tuple[Scope, ...], team_id: int, *, lock: bool = False
) -> tuple[VolunteerTeam, int]:
    found = await repository.get_team(session, team_id, scopes, for_update=lock)
    if found is None:
        raise TeamNotFound()
    return found


async def create_team(
    session: AsyncSession, principal: Principal, data: VolunteerTeamCreate
) -> VolunteerTeamRead:
    unit = await repository.get_unit(session, data.org_unit_id, principal.scope(ORDERS_CONFIG))
    if unit is None:
        raise TeamUnitNotFound()
    if unit.is_archived:
        raise UnitArchived()
    if await repository.team_name_taken(session, unit.id, data.name):
        raise TeamNameTaken()
    ancestors = {column: getattr(unit, column) for column in ANCESTOR_COLUMNS}
    team = await repository.save(
        session,
        VolunteerTeam(org_unit_id=unit.id, name=data.name, **ancestors),
    )
    summary = f"在「{unit.name}」新建志愿服务队「{team.name}」"
    await audit_service.record(
        session,
        principal,
        "volunteer_team.create",
        summary=summary,
        target_type="volunteer_team",
        target_id=team.id,
        place=team,
    )
    return _team_read(team, 0)


async def get_team(session: AsyncSession, principal: Principal, team_id: int) -> VolunteerTeamRead:
    return _team_read(*await _team(session, _team_readers(principal), team_id))


async def list_teams(
    session: AsyncSession,
    principal: Principal,
    *,
    limit: int,
    cursor: str | None,
    org_unit_id: int | None,
    q: str | None,
) -> VolunteerTeamPage:
    readers = _team_readers(principal)
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.team_page(
            session, readers, after=after, limit=n, org_unit_id=org_unit_id, q=q
        ),
        key=lambda row: row[0].id,
    )
    return VolunteerTeamPage(items=[_team_read(*r) for r in items], next_cursor=next_cursor)


async def update_team(
    session: AsyncSession, principal: Principal, team_id: int, data: VolunteerTeamUpdate
) -> VolunteerTeamRead:
    team, members = await _team(session, (principal.scope(ORDERS_CONFIG),), team_id, lock=True)
    changes = changed_fields(team, data)
    if not changes:
        return _team_read(team, members)
    if await repository.team_name_taken(
        session, team.org_unit_id, changes["name"], except_id=team.id
    ):
        raise TeamNameTaken()
    old_name, team.name = team.name, changes["name"]
    await repository.save(session, team)
    summary = f"志愿服务队「{old_name}」更名为「{team.name}」"
    await audit_service.record(
        session,
        principal,
        "volunteer_team.update",
        summary=summary,
        target_type="volunteer_team",
        target_id=team.id,
        place=team,
    )
    return _team_read(team, members)


async def add_team_member(
    session: AsyncSession, principal: Principal, team_id: int, person_id: int
) -> TeamMemberRead:
    """The person must be a live party member (党员) the caller sees: where they live
    (``people.read``) or by their branch (``members.read``), so 在职党员 registered
    in the community (双报到) can join its teams too."""
    team, _ = await _team(session, (principal.scope(ORDERS_CONFIG),), team_id)
    found = await repository.visible_person(
        session, person_id, principal.scope(PEOPLE_READ), principal.scope(MEMBERS_READ)
    )
    if found is None:
        raise TeamPersonNotFound()
    person, branch_id = found
    if branch_id is None:
        raise NotAPartyMember()
    if not await repository.add_team_member(session, team.id, person.id):
        raise AlreadyTeamMember()
    summary = f"党员「{person.name}」加入志愿服务队「{team.name}」"
    await audit_service.record(
        session,
        principal,
        "volunteer_team.member_add",
        summary=summary,
        target_type="volunteer_team",
        target_id=team.id,
        place=team,
    )
    return TeamMemberRead(person_id=person.id, name=person.name, branch_id=branch_id)


async def remove_team_member(
    session: AsyncSession, principal: Principal, team_id: int, person_id: int
) -> None:
    team, _ = await _team(session, (principal.scope(ORDERS_CONFIG),), team_id)
    if not await repository.remove_team_member(session, team.id, person_id):
        raise TeamMemberNotFound()
    summary = f"人员 #{person_id} 退出志愿服务队「{team.name}」"
    await audit_service.record(
        session,
        principal,
        "volunteer_team.member_remove",
        summary=summary,
        target_type="volunteer_team",
        target_id=team.id,
        place=team,
    )


async def list_team_members(
    session: AsyncSession, principal: Principal, team_id: int, *, limit: int, cursor: str | None
) -> TeamMemberPage:
    team, _ = await _team(session, _team_readers(principal), team_id)
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.team_member_page(session, team.id, after=after, limit=n),
        key=lambda row: row.person_id,
    )
    return TeamMemberPage(
        items=[TeamMemberRead.model_validate(r) for r in items], next_cursor=next_cursor
    )
