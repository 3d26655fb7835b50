"""``/work-units`` (单位), ``/work-unit-pairings`` (结对) and ``/work-unit-commitments``.

Creating POSTs take an ``Idempotency-Key``; updates need ``If-Match`` (412 stale, 428
missing). Units outside the caller's subtrees, and not paired inside them, are 404.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from app.authz.deps import CurrentPrincipal, require_any
from app.authz.permissions import PARTICIPATION_READ, UNITS_MANAGE
from app.db.session import DbSession
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.http import ETAG_HEADER, IfMatchRequired, set_etag, set_location
from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.kit.schemas import problem_responses
from app.kit.types import DecimalDigits, IdParam
from app.participation.units import commitments, service
from app.participation.units.schemas import (
    CommitmentCreate,
    CommitmentPage,
    CommitmentRead,
    CommitmentUpdate,
    PairingCreate,
    PairingEnd,
    PairingPage,
    PairingQuery,
    PairingRead,
    RosterIn,
    RosterPage,
    RosterRead,
    WorkUnitCreate,
    WorkUnitPage,
    WorkUnitQuery,
    WorkUnitRead,
    WorkUnitUpdate,
)

router = APIRouter(
    tags=["work-units"], responses=problem_responses(401, 403), route_class=IdempotentRoute
)


CanRead = require_any(PARTICIPATION_READ, UNITS_MANAGE)
CanManage = require_any(UNITS_MANAGE)
Year = Annotated[int, Field(ge=2000, le=2100, description="Commitments of a year"), DecimalDigits]
_READ = problem_responses(404)
_CREATE = {**problem_responses(400, 404, 409, 422), 201: {"headers": ETAG_HEADER}}
_UPDATE = {**problem_responses(404, 409, 412, 428), 200: {"headers": ETAG_HEADER}}


@router.post(
    "/work-units",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    response_model=WorkUnitRead,
    responses=_CREATE,
    summary="Register a unit · 登记单位",
)
async def create_work_unit(
    body: WorkUnitCreate,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
) -> WorkUnitRead:
    """A 机关、企事业单位 and its party organisation, registered with a town or community
    the caller's ``units.manage`` reaches; names are unique per registry node."""
    result = await service.create_unit(session, principal, body)
    set_location(request, response, "get_work_unit", unit_id=result.id)
    set_etag(response, result.version)
    return result


@router.get(
    "/work-units",
    dependencies=[CanRead],
    responses=problem_responses(400),
    summary="List units · 单位名录",
)
async def list_work_units(
    query: Annotated[WorkUnitQuery, Query()], principal: CurrentPrincipal, session: DbSession
) -> WorkUnitPage:
    """Units registered in, or paired with a node in, the caller's subtrees, by id."""
    return await service.list_units(session, principal, query)


@router.get(
    "/work-units/{unit_id}",
    dependencies=[CanRead],
    responses={**_READ, 200: {"headers": ETAG_HEADER}},
    summary="Read a unit · 查看单位",
)
async def get_work_unit(
    unit_id: IdParam, principal: CurrentPrincipal, session: DbSession, response: Response
) -> WorkUnitRead:
    unit = await service.get_unit(session, principal, unit_id)
    set_etag(response, unit.version)
    return unit


@router.patch(
    "/work-units/{unit_id}",
    dependencies=[CanManage],
    responses=_UPDATE,
    summary="Change a unit · 修改单位",
)
async def update_work_unit(
    unit_id: IdParam,
    body: WorkUnitUpdate,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
    if_match: IfMatchRequired = None,
) -> WorkUnitRead:
    """By ``units.manage`` over its registry node; ``If-Match`` required."""
    unit = await service.update_unit(session, principal, unit_id, body, if_match)
    set_etag(response, unit.version)
    return unit


@router.get(
    "/work-units/{unit_id}/members",
    dependencies=[CanRead],
    responses=_READ,
    summary="In-service members of a unit · 单位在职党员",
)
async def list_work_unit_members(
    unit_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> RosterPage:
    return await service.list_roster(session, principal, unit_id, limit=limit, cursor=cursor)


@router.post(
    "/work-units/{unit_id}/members",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    responses=problem_responses(404, 409, 422),
    summary="Add an in-service member · 登记在职党员",
)
async def add_work_unit_member(
    unit_id: IdParam, body: RosterIn, principal: CurrentPrincipal, session: DbSession
) -> RosterRead:
    """A live party member the caller sees; one unit per person (409 otherwise)."""
    return await service.add_to_roster(session, principal, unit_id, body.person_id)


@router.delete(
    "/work-units/{unit_id}/members/{person_id}",
    status_code=204,
    dependencies=[CanManage],
    responses=_READ,
    summary="Remove an in-service member · 移出在职党员",
)
async def remove_work_unit_member(
    unit_id: IdParam, person_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> Response:
    await service.remove_from_roster(session, principal, unit_id, person_id)
    return Response(status_code=204)


@router.post(
    "/work-units/{unit_id}/pairings",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    response_model=PairingRead,
    responses=problem_responses(400, 404, 409, 422),
    summary="Pair a unit with a community or compound · 结对",
)
async def create_work_unit_pairing(
    unit_id: IdParam,
    body: PairingCreate,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
) -> PairingRead:
    """挂钩联系: with a community or a compound (小区) in the caller's ``units.manage``
    subtree; one live pairing per unit and node (409)."""
    result = await service.create_pairing(session, principal, unit_id, body)
    set_location(request, response, "get_work_unit_pairing", pairing_id=result.id)
    return result


@router.get(
    "/work-unit-pairings",
    dependencies=[CanRead],
    responses=problem_responses(400),
    summary="List pairings · 结对关系",
)
async def list_work_unit_pairings(
    query: Annotated[PairingQuery, Query()], principal: CurrentPrincipal, session: DbSession
) -> PairingPage:
    """Pairings with nodes in the caller's subtrees, and all pairings of units
    registered there; live ones unless ``include_ended``."""
    return await service.list_pairings(session, principal, query)


@router.get(
    "/work-unit-pairings/{pairing_id}",
    dependencies=[CanRead],
    responses=_READ,
    summary="Read a pairing · 查看结对",
)
async def get_work_unit_pairing(
    pairing_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> PairingRead:
    return await service.get_pairing(session, principal, pairing_id)


@router.post(
    "/work-unit-pairings/{pairing_id}/end",
    dependencies=[CanManage, Idempotent],
    responses=problem_responses(404, 409, 422),
    summary="End a pairing · 结束结对",
)
async def end_work_unit_pairing(
    pairing_id: IdParam, body: PairingEnd, principal: CurrentPrincipal, session: DbSession
) -> PairingRead:
    return await service.end_pairing(session, principal, pairing_id, body)


@router.post(
    "/work-unit-pairings/{pairing_id}/commitments",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    response_model=CommitmentRead,
    responses={**_CREATE},
    summary="Add a yearly commitment · 承诺实事",
)
async def create_work_unit_commitment(
    pairing_id: IdParam,
    body: CommitmentCreate,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
) -> CommitmentRead:
    """One of the pairing's 1–2 commitments of a year (民生实事 / 小区党建项目); a third
    live one is 409."""
    result = await commitments.create_commitment(session, principal, pairing_id, body)
    set_etag(response, result.version)
    return result


@router.get(
    "/work-unit-pairings/{pairing_id}/commitments",
    dependencies=[CanRead],
    responses=_READ,
    summary="Commitments of a pairing · 承诺事项",
)
async def list_work_unit_commitments(
    pairing_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    year: Year | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> CommitmentPage:
    return await commitments.list_commitments(
        session, principal, pairing_id, year=year, limit=limit, cursor=cursor
    )


@router.patch(
    "/work-unit-commitments/{commitment_id}",
    dependencies=[CanManage],
    responses={**_UPDATE, **problem_responses(422)},
    summary="Track a commitment · 承诺事项进度",
)
async def update_work_unit_commitment(
    commitment_id: IdParam,
    body: CommitmentUpdate,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
    if_match: IfMatchRequired = None,
) -> CommitmentRead:
    """Progress until done (``status`` done with ``done_on`` and a ``result``);
    ``If-Match`` required."""
    commitment = await commitments.update_commitment(
        session, principal, commitment_id, body, if_match
    )
    set_etag(response, commitment.version)
    return commitment
