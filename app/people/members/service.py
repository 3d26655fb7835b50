"""Use cases of party members (党员): a membership of an existing person.

A membership is placed at its branch (the grid-level 党支部 holding the
organisational relationship, 组织关系) and carries the branch's ancestor ids. It is
also visible, read-only, to the communities of its dual registration (双报到).
"""

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import MEMBERS_READ, MEMBERS_WRITE, PEOPLE_READ, PII
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.db.base import ANCESTOR_COLUMNS
from app.hierarchy.models import OrgUnit
from app.kit.etag import check_version
from app.kit.pagination import BY_ID, paginate
from app.people import repository
from app.people.errors import (
    AlreadyMember,
    BranchNotFound,
    InvalidBranch,
    InvalidCommunity,
    MemberArchived,
    MemberNotFound,
    MemberReadOnly,
    PersonArchived,
    PersonNotFound,
)
from app.people.members.schemas import (
    MemberCreate,
    MemberListQuery,
    MemberPage,
    MemberRead,
    MemberUpdate,
)
from app.people.models import PartyMember, Person
from app.people.pii import PiiCodec
from app.people.service import brief_person

COMMUNITY_FIELDS = ("residence_community_id", "employer_community_id")


def present_member(
    member: PartyMember, person: Person, pii_scope: Scope, codec: PiiCodec
) -> MemberRead:
    return MemberRead(
        id=member.id,
        person=brief_person(person, pii_scope, codec),
        branch_id=member.branch_id,
        join_date=member.join_date,
        is_in_service=member.is_in_service,
        employer_unit=member.employer_unit,
        residence_community_id=member.residence_community_id,
        employer_community_id=member.employer_community_id,
        town_id=member.town_id,
        community_id=member.community_id,
        grid_id=member.grid_id,
        building_id=member.building_id,
        household_id=member.household_id,
        is_archived=member.is_archived,
        version=member.version,
        created_at=member.created_at,
        updated_at=member.updated_at,
    )


async def _branch(session: AsyncSession, principal: Principal, branch_id: int) -> OrgUnit:
    """The branch, which the caller must reach with ``members.write``."""
    unit = await repository.get_unit_in_scope(session, branch_id, principal.scope(MEMBERS_WRITE))
    if unit is None:
        raise BranchNotFound()
    if unit.level != "grid" or unit.is_archived:
        raise InvalidBranch()
    return unit


async def _check_community(session: AsyncSession, field: str, unit_id: int | None) -> None:
    """双报到 communities may lie anywhere (an employer's community can be in another
    town), so no scope applies; they must exist, be communities and be live."""
    if unit_id is None:
        return
    unit = await repository.get_unit(session, unit_id)
    if unit is None or unit.level != "community" or unit.is_archived:
        raise InvalidCommunity(field=field)


def _place(member: PartyMember, branch: OrgUnit) -> None:
    member.branch_id = branch.id
    for column in ANCESTOR_COLUMNS:
        setattr(member, column, getattr(branch, column))


async def _writable_member(
    session: AsyncSession, principal: Principal, member_id: int
) -> tuple[PartyMember, Person]:
    """The member, locked, if its branch is in the caller's ``members.write`` scope."""
    found = await repository.get_member(
        session, member_id, principal.scope(MEMBERS_WRITE), for_update=True
    )
    if found is not None:
        return found
    seen = await repository.get_member(
        session, member_id, principal.scope(MEMBERS_READ), dual_registration=True
    )
    raise MemberReadOnly() if seen else MemberNotFound()


async def create_member(
    session: AsyncSession, principal: Principal, codec: PiiCodec, body: MemberCreate
) -> MemberRead:
    branch = await _branch(session, principal, body.branch_id)
    person = await repository.get_person(session, body.person_id, principal.scope(PEOPLE_READ))
    if person is None:
        raise PersonNotFound()
    if person.is_archived:
        raise PersonArchived()
    for field in COMMUNITY_FIELDS:
        await _check_community(session, field, getattr(body, field))
    if await repository.membership_of(session, person.id) is not None:
        raise AlreadyMember()
    member = PartyMember(
        person_id=person.id,
        join_date=body.join_date,
        is_in_service=body.is_in_service,
        employer_unit=body.employer_unit,
        residence_community_id=body.residence_community_id,
        employer_community_id=body.employer_community_id,
    )
    _place(member, branch)
    session.add(member)
    if not await repository.flush_unique(session, repository.MEMBER_PERSON_UNIQUE):
        raise AlreadyMember()
    await session.refresh(member)
    await audit_service.record(
        session,
        principal,
        "member.create",
        summary=f"registered person #{person.id} as member #{member.id} of branch #{branch.id}",
        target_type="party_member",
        target_id=member.id,
        place=member,
    )
    return present_member(member, person, principal.scope(PII), codec)


async def get_member(
    session: AsyncSession, principal: Principal, codec: PiiCodec, member_id: int
) -> MemberRead:
    found = await repository.get_member(
        session, member_id, principal.scope(MEMBERS_READ), dual_registration=True
    )
    if found is None:
        raise MemberNotFound()
    return present_member(*found, principal.scope(PII), codec)


async def list_members(
    session: AsyncSession, principal: Principal, codec: PiiCodec, query: MemberListQuery
) -> MemberPage:
    where = repository.MemberFilter(
        branch_id=query.branch_id,
        is_in_service=query.is_in_service,
        residence_community_id=query.residence_community_id,
        employer_community_id=query.employer_community_id,
        q=query.q,
        include_archived=query.include_archived,
    )
    scope = principal.scope(MEMBERS_READ)
    page, next_cursor = await paginate(
        BY_ID,
        query.cursor,
        query.limit,
        lambda after, n: repository.list_members(session, scope, where, after_id=after, limit=n),
        key=lambda row: row[0].id,
    )
    pii_scope = principal.scope(PII)
    return MemberPage(
        items=[present_member(m, p, pii_scope, codec) for m, p in page], next_cursor=next_cursor
    )


async def update_member(
    session: AsyncSession,
    principal: Principal,
    codec: PiiCodec,
    member_id: int,
    body: MemberUpdate,
    if_match: str | None,
) -> MemberRead:
    member, person = await _writable_member(session, principal, member_id)
    check_version(if_match, member.version)
    if member.is_archived:
        raise MemberArchived()
    changes = body.changes()
    if "branch_id" in changes:
        _place(member, await _branch(session, principal, changes.pop("branch_id")))
    for field in COMMUNITY_FIELDS:
        if field in changes:
            await _check_community(session, field, changes[field])
    for field, value in changes.items():
        setattr(member, field, value)
    member.version += 1
    await session.flush()
    await session.refresh(member)
    await audit_service.record(
        session,
        principal,
        "member.update",
        summary=f"updated member #{member.id}: {', '.join(sorted(body.model_fields_set))}",
        target_type="party_member",
        target_id=member.id,
        place=member,
    )
    return present_member(member, person, principal.scope(PII), codec)


async def archive_member(
    session: AsyncSession,
    principal: Principal,
    codec: PiiCodec,
    member_id: int,
    if_match: str | None,
) -> MemberRead:
    member, person = await _writable_member(session, principal, member_id)
    check_version(if_match, member.version)
    if member.is_archived:
        raise MemberArchived()
    member.is_archived = True
    member.version += 1
    await session.flush()
    await session.refresh(member)
    await audit_service.record(
        session,
        principal,
        "member.archive",
        summary=f"archived member #{member.id}",
        target_type="party_member",
        target_id=member.id,
        place=member,
    )
    return present_member(member, person, principal.scope(PII), codec)
