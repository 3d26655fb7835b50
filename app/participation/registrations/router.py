"""``/dual-registrations``: 在职党员双报到 as records, and the 三个一.

A member reports themself (pending until the community confirms); staff with
``units.manage`` over the place register members directly and confirm reports.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.authz.deps import CurrentPrincipal, require_any
from app.authz.permissions import PARTICIPATION_JOIN, PARTICIPATION_READ, UNITS_MANAGE
from app.db.session import DbSession
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.http import ETAG_HEADER, IfMatchRequired, set_etag, set_location
from app.kit.schemas import problem_responses
from app.kit.types import IdParam
from app.participation.registrations import service
from app.participation.registrations.schemas import (
    RegistrationCreate,
    RegistrationPage,
    RegistrationQuery,
    RegistrationRead,
    ThreeOnesUpdate,
)

router = APIRouter(
    prefix="/dual-registrations",
    tags=["dual-registrations"],
    responses=problem_responses(401, 403),
    route_class=IdempotentRoute,
)

CanRegister = require_any(PARTICIPATION_JOIN, UNITS_MANAGE)
CanRead = require_any(PARTICIPATION_JOIN, PARTICIPATION_READ, UNITS_MANAGE)
CanConfirm = require_any(UNITS_MANAGE)
_STEP = {**problem_responses(404, 409), 200: {"headers": ETAG_HEADER}}


@router.post(
    "",
    status_code=201,
    dependencies=[CanRegister, Idempotent],
    response_model=RegistrationRead,
    responses={**problem_responses(400, 404, 409, 422), 201: {"headers": ETAG_HEADER}},
    summary="Report to a community · 报到",
)
async def create_dual_registration(
    body: RegistrationCreate,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
) -> RegistrationRead:
    """居住地报到 (``home``) or 单位联系社区报到 (``linked``: the unit must hold the member on
    its roster and be paired with the community). One live home registration per member."""
    result = await service.register(session, principal, body)
    set_location(request, response, "get_dual_registration", registration_id=result.id)
    set_etag(response, result.version)
    return result


@router.get(
    "",
    dependencies=[CanRead],
    responses=problem_responses(400),
    summary="List registrations · 报到记录",
)
async def list_dual_registrations(
    query: Annotated[RegistrationQuery, Query()], principal: CurrentPrincipal, session: DbSession
) -> RegistrationPage:
    """Registrations at places in the caller's subtrees, and the caller's own; newest first."""
    return await service.list_registrations(session, principal, query)


@router.get(
    "/{registration_id}",
    dependencies=[CanRead],
    responses={**problem_responses(404), 200: {"headers": ETAG_HEADER}},
    summary="Read a registration · 查看报到",
)
async def get_dual_registration(
    registration_id: IdParam, principal: CurrentPrincipal, session: DbSession, response: Response
) -> RegistrationRead:
    found = await service.get_registration(session, principal, registration_id)
    set_etag(response, found.version)
    return found


@router.post(
    "/{registration_id}/confirm",
    dependencies=[CanConfirm, Idempotent],
    responses=_STEP,
    summary="Confirm a registration · 确认报到",
)
async def confirm_dual_registration(
    registration_id: IdParam, principal: CurrentPrincipal, session: DbSession, response: Response
) -> RegistrationRead:
    """A pending report, by ``units.manage`` over the place (409 unless pending)."""
    found = await service.confirm(session, principal, registration_id)
    set_etag(response, found.version)
    return found


@router.post(
    "/{registration_id}/withdraw",
    dependencies=[CanRegister, Idempotent],
    responses=_STEP,
    summary="Withdraw a registration · 撤回报到",
)
async def withdraw_dual_registration(
    registration_id: IdParam, principal: CurrentPrincipal, session: DbSession, response: Response
) -> RegistrationRead:
    """By the member or the community's staff; the record stays, withdrawn."""
    found = await service.withdraw(session, principal, registration_id)
    set_etag(response, found.version)
    return found


@router.patch(
    "/{registration_id}",
    dependencies=[CanRegister],
    responses={**_STEP, **problem_responses(412, 422, 428)},
    summary="Take up the 三个一 · 三个一",
)
async def update_dual_registration(
    registration_id: IdParam,
    body: ThreeOnesUpdate,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
    if_match: IfMatchRequired = None,
) -> RegistrationRead:
    """On the home registration: join a volunteer team of the community (the member
    joins it), link a building and entrance, claim an area. ``If-Match`` required."""
    found = await service.take_up_three_ones(session, principal, registration_id, body, if_match)
    set_etag(response, found.version)
    return found
