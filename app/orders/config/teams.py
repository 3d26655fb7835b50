"""Volunteer teams (志愿服务队), scoped by their node like any scoped row.

A team is of party members (党员志愿服务队, the default: any of them may accept the
team's orders) or of residents too (邻里志愿服务队, 家庭事务调解队: ``members_only``
false), has a kind and a leader (队长, 楼长, 组长), and, when ``is_open``, people of
its community join and leave by themselves (``participation.join``). Staff manage
teams with ``orders.config``; ``orders.read`` and participants read them.

Services flush, never commit; every write records one audit event.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import (
    MEMBERS_READ,
    ORDERS_CONFIG,
    ORDERS_READ,
    PARTICIPATION_JOIN,
    PEOPLE_READ,
)
from app.authz.principal import Principal
from app.authz.reach import reach
from app.authz.scope import Scope, Visibility
from app.hierarchy.rules import ANCESTOR_COLUMNS
from app.kit.etag import check_version
from app.kit.pagination import BY_ID, paginate
from app.orders.config import repository
from app.orders.config.errors import (
    AlreadyTeamMember,
    NoPersonLinked,
    NotAPartyMember,
    TeamClosed,
    TeamHasResidents,
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
from app.people.models import Person


def _about(team: VolunteerTeam) -> dict[str, Any]:
    """The audit target and place of a team's events."""
    return {"target_type": "volunteer_team", "target_id": team.id, "place": team}


def _team_read(team: VolunteerTeam, member_count: int) -> VolunteerTeamRead:
    columns = {f: getattr(team, f) for f in VolunteerTeamRead.model_fields if f != "member_count"}
    return VolunteerTeamRead(**columns, member_count=member_count)


async def _team_readers(session: AsyncSession, principal: Principal) -> tuple[Visibility, ...]:
    """Staff by their subtree; participants (居民, 党员) by their community."""
    return (
        principal.scope(ORDERS_READ),
        principal.scope(ORDERS_CONFIG),
        await reach(session, principal, PARTICIPATION_JOIN),
    )


async def _team(
    session: AsyncSession, scopes: tuple[Visibility, ...], team_id: int, *, lock: bool = False
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
        VolunteerTeam(
            org_unit_id=unit.id,
            name=data.name,
            kind=data.kind.value,
            members_only=data.members_only,
            is_open=data.is_open,
            **ancestors,
        ),
    )
    summary = f"在「{unit.name}」新建志愿服务队「{team.name}」"
    await audit_service.record(
        session, principal, "volunteer_team.create", summary=summary, **_about(team)
    )
    return _team_read(team, 0)


async def get_team(session: AsyncSession, principal: Principal, team_id: int) -> VolunteerTeamRead:
    return _team_read(*await _team(session, await _team_readers(session, principal), team_id))


async def list_teams(
    session: AsyncSession,
    principal: Principal,
    *,
    limit: int,
    cursor: str | None,
    org_unit_id: int | None,
    q: str | None,
) -> VolunteerTeamPage:
    readers = await _team_readers(session, principal)
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
    session: AsyncSession,
    principal: Principal,
    team_id: int,
    data: VolunteerTeamUpdate,
    if_match: str | None = None,
) -> VolunteerTeamRead:
    """``If-Match`` is optional (older clients send none); a stale one is 412."""
    team, members = await _team(session, (principal.scope(ORDERS_CONFIG),), team_id, lock=True)
    if if_match is not None:
        check_version(if_match, team.version)
    changes = changed_fields(team, data)
    if not changes:
        return _team_read(team, members)
    if "name" in changes and await repository.team_name_taken(
        session, team.org_unit_id, changes["name"], except_id=team.id
    ):
        raise TeamNameTaken()
    if changes.get("members_only") and await repository.count_non_party_members(session, team.id):
        raise TeamHasResidents()
    if changes.get("leader_person_id") is not None:
        person = await _visible_person(session, principal, changes["leader_person_id"])
        members += await _enlist(session, team, person, changes.get("members_only"))
    for field, value in changes.items():
        setattr(team, field, value)
    team.version += 1
    await repository.save(session, team)
    summary = f"修改志愿服务队「{team.name}」：{', '.join(sorted(changes))}"
    await audit_service.record(
        session, principal, "volunteer_team.update", summary=summary, **_about(team)
    )
    return _team_read(team, members)


async def _visible_person(
    session: AsyncSession, principal: Principal, person_id: int
) -> tuple[Person, int | None]:
    """A live person the caller sees where they live (``people.read``) or by their
    branch (``members.read``, so 在职党员 registered in the community can join)."""
    found = await repository.visible_person(
        session, person_id, principal.scope(PEOPLE_READ), principal.scope(MEMBERS_READ)
    )
    if found is None:
        raise TeamPersonNotFound()
    return found


async def _enlist(
    session: AsyncSession,
    team: VolunteerTeam,
    person: tuple[Person, int | None],
    members_only: bool | None = None,
) -> int:
    """Adds the person unless already in; 1 when added. Party members only where the
    team (or the change being made to it) says so."""
    if (team.members_only if members_only is None else members_only) and person[1] is None:
        raise NotAPartyMember()
    return 1 if await repository.add_team_member(session, team.id, person[0].id) else 0


async def add_team_member(
    session: AsyncSession, principal: Principal, team_id: int, person_id: int
) -> TeamMemberRead:
    team, _ = await _team(session, (principal.scope(ORDERS_CONFIG),), team_id)
    person, branch_id = await _visible_person(session, principal, person_id)
    if team.members_only and branch_id is None:
        raise NotAPartyMember()
    joined_at = await repository.add_team_member(session, team.id, person.id)
    if joined_at is None:
        raise AlreadyTeamMember()
    summary = f"人员 #{person.id} 加入志愿服务队「{team.name}」"
    await audit_service.record(
        session, principal, "volunteer_team.member_add", summary=summary, **_about(team)
    )
    return TeamMemberRead(
        person_id=person.id, name=person.name, branch_id=branch_id, joined_at=joined_at
    )


async def remove_team_member(
    session: AsyncSession, principal: Principal, team_id: int, person_id: int
) -> None:
    team, _ = await _team(session, (principal.scope(ORDERS_CONFIG),), team_id, lock=True)
    await _leave(session, team, person_id)
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


async def _leave(session: AsyncSession, team: VolunteerTeam, person_id: int) -> None:
    if not await repository.remove_team_member(session, team.id, person_id):
        raise TeamMemberNotFound()
    if team.leader_person_id == person_id:
        team.leader_person_id = None
        team.version += 1
        await repository.save(session, team)


def _own_person(principal: Principal) -> int:
    if principal.person_id is None:
        raise NoPersonLinked()
    return principal.person_id


async def join_team(session: AsyncSession, principal: Principal, team_id: int) -> TeamMemberRead:
    """The caller joins an open team of their community by themselves (自愿加入)."""
    person_id = _own_person(principal)
    readers = (await reach(session, principal, PARTICIPATION_JOIN),)
    team, _ = await _team(session, readers, team_id)
    if not team.is_open:
        raise TeamClosed()
    found = await repository.visible_person(session, person_id, *_everywhere())
    if found is None:
        raise TeamPersonNotFound()
    person, branch_id = found
    if team.members_only and branch_id is None:
        raise NotAPartyMember()
    joined_at = await repository.add_team_member(session, team.id, person.id)
    if joined_at is None:
        raise AlreadyTeamMember()
    summary = f"人员 #{person.id} 自愿加入志愿服务队「{team.name}」"
    await audit_service.record(
        session, principal, "volunteer_team.join", summary=summary, **_about(team)
    )
    return TeamMemberRead(
        person_id=person.id, name=person.name, branch_id=branch_id, joined_at=joined_at
    )


async def leave_team(session: AsyncSession, principal: Principal, team_id: int) -> None:
    """The caller leaves a team they belong to (a leader leaves the team leaderless)."""
    person_id = _own_person(principal)
    readers = (await reach(session, principal, PARTICIPATION_JOIN),)
    team, _ = await _team(session, readers, team_id, lock=True)
    await _leave(session, team, person_id)
    summary = f"人员 #{person_id} 退出志愿服务队「{team.name}」"
    await audit_service.record(
        session, principal, "volunteer_team.leave", summary=summary, **_about(team)
    )


async def enlist_registrant(
    session: AsyncSession, principal: Principal, team_id: int, person_id: int, within: Visibility
) -> VolunteerTeam:
    """三个一 ①: a registered member joins a team ``within`` the community they reported
    to (the community confirms the registration, so the team need not be open)."""
    team, _ = await _team(session, (within,), team_id, lock=True)
    found = await repository.visible_person(session, person_id, *_everywhere())
    if found is None:
        raise TeamPersonNotFound()
    if await _enlist(session, team, found):
        summary = f"人员 #{found[0].id} 报到加入志愿服务队「{team.name}」"
        await audit_service.record(
            session, principal, "volunteer_team.member_add", summary=summary, **_about(team)
        )
    return team


def _everywhere() -> tuple[Scope, Scope]:
    """The caller's own person, or a registrant the community confirmed: no scope."""
    return Scope.everything(), Scope.everything()


async def is_member(session: AsyncSession, team_id: int, person_id: int) -> bool:
    return await repository.is_team_member(session, team_id, person_id)


async def team_in(session: AsyncSession, within: Visibility, team_id: int) -> VolunteerTeam | None:
    """The team if ``within`` reaches it (for other domains: activities, wishes)."""
    found = await repository.get_team(session, team_id, (within,))
    return None if found is None else found[0]


async def list_team_members(
    session: AsyncSession, principal: Principal, team_id: int, *, limit: int, cursor: str | None
) -> TeamMemberPage:
    """Staff only (names of residents are personal data): ``orders.read`` or ``orders.config``."""
    staff = (principal.scope(ORDERS_READ), principal.scope(ORDERS_CONFIG))
    team, _ = await _team(session, staff, team_id)
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
