"""HTTP endpoints of /people (人员) and /members (党员). Handlers stay thin."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.authz.deps import require
from app.authz.principal import Principal
from app.db.session import DbSession
from app.kit.etag import etag_for
from app.kit.schemas import problem_responses
from app.people import member_service, service
from app.people.export import MEDIA_TYPES
from app.people.pii import PiiCodec, codec_from_settings
from app.people.schemas import (
    MemberCreate,
    MemberListQuery,
    MemberPage,
    MemberRead,
    MemberUpdate,
    PersonCreate,
    PersonExportQuery,
    PersonListQuery,
    PersonPage,
    PersonRead,
    PersonUpdate,
)

router = APIRouter(prefix="/people", tags=["people"])
members_router = APIRouter(prefix="/members", tags=["members"])


def get_codec(request: Request) -> PiiCodec:
    return codec_from_settings(request.app.state.settings)


Pii = Annotated[PiiCodec, Depends(get_codec)]
IfMatch = Annotated[
    str | None, Header(description='The ETag of the version being changed, e.g. W/"3"')
]
CanReadPeople = Annotated[Principal, require("people.read")]
CanWritePeople = Annotated[Principal, require("people.write")]
CanReadMembers = Annotated[Principal, require("members.read")]
CanWriteMembers = Annotated[Principal, require("members.write")]

_READ = problem_responses(401, 403, 404)
_WRITE = problem_responses(401, 403, 404, 409, 412, 428)
_ETAG_HEADER = {
    "ETag": {"description": 'Version of the resource, e.g. W/"1"', "schema": {"type": "string"}}
}


def _versioned(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


# ---------------------------------------------------------------- /people


@router.post(
    "",
    status_code=201,
    responses={**problem_responses(401, 403, 404, 409), 201: {"headers": _ETAG_HEADER}},
)
async def create_person(
    request: Request,
    body: PersonCreate,
    principal: CanWritePeople,
    session: DbSession,
    codec: Pii,
    response: Response,
) -> PersonRead:
    """Register a person at a building or household (登记人员)."""
    person = await service.create_person(session, principal, codec, body)
    _versioned(response, person.version)
    response.headers["Location"] = str(request.url_for("get_person", person_id=person.id))
    return person


@router.get("", responses=problem_responses(400, 401, 403))
async def list_people(
    query: Annotated[PersonListQuery, Query()],
    principal: CanReadPeople,
    session: DbSession,
    codec: Pii,
) -> PersonPage:
    """People in the caller's scope, newest first (人员列表)."""
    return await service.list_people(session, principal, codec, query)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        **problem_responses(401, 403),
        200: {"content": {media: {} for media in MEDIA_TYPES.values()}},
    },
)
async def export_people(
    request: Request,
    query: Annotated[PersonExportQuery, Query()],
    principal: CanReadPeople,
    session: DbSession,
    codec: Pii,
) -> StreamingResponse:
    """Export the people in scope as CSV or xlsx, masked like every response (导出人员)."""
    await service.record_export(session, principal, query)
    body = service.export_people(request.app.state.session_factory, principal, codec, query)
    filename = f"people.{query.format.value}"
    return StreamingResponse(
        body,
        media_type=MEDIA_TYPES[query.format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/{person_id}", responses={**_READ, 200: {"headers": _ETAG_HEADER}})
async def get_person(
    person_id: int, principal: CanReadPeople, session: DbSession, codec: Pii, response: Response
) -> PersonRead:
    """One person (人员详情)."""
    person = await service.get_person(session, principal, codec, person_id)
    _versioned(response, person.version)
    return person


@router.patch("/{person_id}", responses={**_WRITE, 200: {"headers": _ETAG_HEADER}})
async def update_person(
    person_id: int,
    body: PersonUpdate,
    principal: CanWritePeople,
    session: DbSession,
    codec: Pii,
    response: Response,
    if_match: IfMatch = None,
) -> PersonRead:
    """Change a person; a new home node rewrites their place (修改人员)."""
    person = await service.update_person(session, principal, codec, person_id, body, if_match)
    _versioned(response, person.version)
    return person


@router.post("/{person_id}/archive", responses={**_WRITE, 200: {"headers": _ETAG_HEADER}})
async def archive_person(
    person_id: int,
    principal: CanWritePeople,
    session: DbSession,
    codec: Pii,
    response: Response,
    if_match: IfMatch = None,
) -> PersonRead:
    """Archive a person who moved away or died (归档人员)."""
    person = await service.archive_person(session, principal, codec, person_id, if_match)
    _versioned(response, person.version)
    return person


# ---------------------------------------------------------------- /members


@members_router.post(
    "",
    status_code=201,
    responses={**problem_responses(401, 403, 404, 409), 201: {"headers": _ETAG_HEADER}},
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
    member = await member_service.create_member(session, principal, codec, body)
    _versioned(response, member.version)
    response.headers["Location"] = str(request.url_for("get_member", member_id=member.id))
    return member


@members_router.get("", responses=problem_responses(400, 401, 403))
async def list_members(
    query: Annotated[MemberListQuery, Query()],
    principal: CanReadMembers,
    session: DbSession,
    codec: Pii,
) -> MemberPage:
    """Members of branches in scope, and members dual-registered (双报到) at
    communities in scope, newest first (党员列表)."""
    return await member_service.list_members(session, principal, codec, query)


@members_router.get("/{member_id}", responses={**_READ, 200: {"headers": _ETAG_HEADER}})
async def get_member(
    member_id: int, principal: CanReadMembers, session: DbSession, codec: Pii, response: Response
) -> MemberRead:
    """One membership with the person's basics (党员详情)."""
    member = await member_service.get_member(session, principal, codec, member_id)
    _versioned(response, member.version)
    return member


@members_router.patch("/{member_id}", responses={**_WRITE, 200: {"headers": _ETAG_HEADER}})
async def update_member(
    member_id: int,
    body: MemberUpdate,
    principal: CanWriteMembers,
    session: DbSession,
    codec: Pii,
    response: Response,
    if_match: IfMatch = None,
) -> MemberRead:
    """Change a membership; a new branch moves it (修改党员信息)."""
    member = await member_service.update_member(
        session, principal, codec, member_id, body, if_match
    )
    _versioned(response, member.version)
    return member


@members_router.post("/{member_id}/archive", responses={**_WRITE, 200: {"headers": _ETAG_HEADER}})
async def archive_member(
    member_id: int,
    principal: CanWriteMembers,
    session: DbSession,
    codec: Pii,
    response: Response,
    if_match: IfMatch = None,
) -> MemberRead:
    """Archive a membership, e.g. after the relationship moved away (归档党员)."""
    member = await member_service.archive_member(session, principal, codec, member_id, if_match)
    _versioned(response, member.version)
    return member
