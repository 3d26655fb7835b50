"""HTTP endpoints of /people (人员). Handlers stay thin."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.authz.deps import require
from app.authz.principal import Principal
from app.db.session import DbSession, ReadSession
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.http import ETAG_HEADER, IfMatchRequired, set_etag, set_location, tagged
from app.kit.schemas import problem_responses
from app.kit.types import IdParam
from app.people import service
from app.people.export import MEDIA_TYPES
from app.people.pii import Pii
from app.people.schemas import (
    PersonCreate,
    PersonExportQuery,
    PersonListQuery,
    PersonPage,
    PersonRead,
    PersonUpdate,
)

router = APIRouter(prefix="/people", tags=["people"], route_class=IdempotentRoute)

CanReadPeople = Annotated[Principal, require("people.read")]
CanWritePeople = Annotated[Principal, require("people.write")]
_READ = problem_responses(401, 403, 404)
_WRITE = problem_responses(401, 403, 404, 409, 412, 428)


@router.post(
    "",
    status_code=201,
    dependencies=[Idempotent],
    responses={**problem_responses(401, 403, 404, 409), 201: {"headers": ETAG_HEADER}},
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
    set_location(request, response, "get_person", person_id=person.id)
    return tagged(response, person)


@router.get("", responses=problem_responses(400, 401, 403))
async def list_people(
    query: Annotated[PersonListQuery, Query()],
    principal: CanReadPeople,
    session: ReadSession,
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
    await service.record_export(session, principal, codec, query)
    body = service.export_people(request.app.state.session_factory, principal, codec, query)
    filename = f"people.{query.format.value}"
    return StreamingResponse(
        body,
        media_type=MEDIA_TYPES[query.format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/{person_id}", responses={**_READ, 200: {"headers": ETAG_HEADER}})
async def get_person(
    person_id: IdParam, principal: CanReadPeople, session: DbSession, codec: Pii, response: Response
) -> PersonRead:
    """One person (人员详情)."""
    person = await service.get_person(session, principal, codec, person_id)
    set_etag(response, person.version)
    return person


@router.patch("/{person_id}", responses={**_WRITE, 200: {"headers": ETAG_HEADER}})
async def update_person(
    person_id: IdParam,
    body: PersonUpdate,
    principal: CanWritePeople,
    session: DbSession,
    codec: Pii,
    response: Response,
    if_match: IfMatchRequired = None,
) -> PersonRead:
    """Change a person; a new home node rewrites their place (修改人员)."""
    person = await service.update_person(session, principal, codec, person_id, body, if_match)
    set_etag(response, person.version)
    return person


@router.post(
    "/{person_id}/archive",
    dependencies=[Idempotent],
    responses={**_WRITE, 200: {"headers": ETAG_HEADER}},
)
async def archive_person(
    person_id: IdParam,
    principal: CanWritePeople,
    session: DbSession,
    codec: Pii,
    response: Response,
    if_match: IfMatchRequired = None,
) -> PersonRead:
    """Archive a person who moved away or died (归档人员)."""
    person = await service.archive_person(session, principal, codec, person_id, if_match)
    set_etag(response, person.version)
    return person
