"""HTTP endpoints of /members (党员): memberships of people. Handlers stay thin."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.authz.deps import require
from app.authz.principal import Principal
from app.db.session import DbSession
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.http import ETAG_HEADER, IfMatchRequired, set_etag, set_location, tagged
from app.kit.schemas import problem_responses
from app.kit.types import IdParam
from app.people.members import service
from app.people.members.schemas import (
    MemberCreate,
    MemberListQuery,
    MemberPage,
    MemberRead,
    MemberUpdate,
)
from app.people.pii import Pii

router = APIRouter(prefix="/members", tags=["members"], route_class=IdempotentRoute)

CanReadMembers = Annotated[Principal, require("members.read")]
CanWriteMembers = Annotated[Principal, require("members.write")]
_READ = problem_responses(401, 403, 404)
_WRITE = problem_responses(401, 403, 404, 409, 412, 428)


@router.post(
    "",
    status_code=201,
    dependencies=[Idempotent],
    responses={**problem_responses(401, 403, 404, 409), 201: {"headers": ETAG_HEADER}},
)
async def create_member(
    request: Request,
    body: MemberCreate,
    principal: CanWriteMembers,
    session: DbSession,
    codec: Pii,
    response: Response,
) -> MemberRead:
    """Register a person's party membership at a branch (登记党员)."""
    member = await service.create_member(session, principal, codec, body)
    set_location(request, response, "get_member", member_id=member.id)
    return tagged(response, member)


@router.get("", responses=problem_responses(400, 401, 403))
async def list_members(
    query: Annotated[MemberListQuery, Query()],
    principal: CanReadMembers,
    session: DbSession,
    codec: Pii,
) -> MemberPage:
    """Members of branches in scope, and members dual-registered (双报到) at
    communities in scope, newest first (党员列表)."""
    return await service.list_members(session, principal, codec, query)


@router.get("/{member_id}", responses={**_READ, 200: {"headers": ETAG_HEADER}})
async def get_member(
    member_id: IdParam,
    principal: CanReadMembers,
    session: DbSession,
    codec: Pii,
    response: Response,
) -> MemberRead:
    """One membership with the person's basics (党员详情)."""
    member = await service.get_member(session, principal, codec, member_id)
    set_etag(response, member.version)
    return member


@router.patch("/{member_id}", responses={**_WRITE, 200: {"headers": ETAG_HEADER}})
async def update_member(
    member_id: IdParam,
    body: MemberUpdate,
    principal: CanWriteMembers,
    session: DbSession,
    codec: Pii,
    response: Response,
    if_match: IfMatchRequired = None,
) -> MemberRead:
    """Change a membership; a new branch moves it (修改党员信息)."""
    member = await service.update_member(session, principal, codec, member_id, body, if_match)
    set_etag(response, member.version)
    return member


@router.post(
    "/{member_id}/archive",
    dependencies=[Idempotent],
    responses={**_WRITE, 200: {"headers": ETAG_HEADER}},
)
async def archive_member(
    member_id: IdParam,
    principal: CanWriteMembers,
    session: DbSession,
    codec: Pii,
    response: Response,
    if_match: IfMatchRequired = None,
) -> MemberRead:
    """Archive a membership, e.g. after the relationship moved away (归档党员)."""
    member = await service.archive_member(session, principal, codec, member_id, if_match)
    set_etag(response, member.version)
    return member
