"""``/micro-wishes`` (微心愿): the board, posting on a resident's behalf, claims alone or
as a group, fulfilment with photos and a story, thanks. The wisher's name is masked
for everyone but staff over the wish and the wisher; the phone shown to staff only."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.authz.deps import CurrentPrincipal, require_any
from app.authz.permissions import PARTICIPATION_JOIN, PARTICIPATION_READ, WISHES_MANAGE
from app.db.session import DbSession
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.http import ETAG_HEADER, set_etag, set_location
from app.kit.schemas import problem_responses
from app.kit.types import IdParam
from app.participation.wishes import service
from app.participation.wishes.schemas import (
    ClaimIn,
    FulfilIn,
    ReasonIn,
    ThanksIn,
    WishCreate,
    WishPage,
    WishQuery,
    WishRead,
)

router = APIRouter(
    prefix="/micro-wishes",
    tags=["micro-wishes"],
    responses=problem_responses(401, 403),
    route_class=IdempotentRoute,
)

CanRead = require_any(PARTICIPATION_JOIN, PARTICIPATION_READ, WISHES_MANAGE)
CanManage = require_any(WISHES_MANAGE)
CanAct = require_any(PARTICIPATION_JOIN, WISHES_MANAGE)
_STEP = {**problem_responses(404, 409, 422), 200: {"headers": ETAG_HEADER}}


@router.post(
    "",
    status_code=201,
    dependencies=[CanManage, Idempotent],
    responses={**problem_responses(404, 422), 201: {"headers": ETAG_HEADER}},
    summary="Post a wish for a resident · 代为发布微心愿",
)
async def create_micro_wish(
    body: WishCreate,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
) -> WishRead:
    """For a resident the caller sees (``people.read``) with ``wishes.manage`` over them;
    placed at the resident's home."""
    wish = await service.post_wish(session, principal, body)
    set_location(request, response, "get_micro_wish", wish_id=wish.id)
    set_etag(response, wish.version)
    return wish


@router.get(
    "/board",
    dependencies=[CanRead],
    responses=problem_responses(400),
    summary="The wish board · 微心愿墙",
)
async def get_micro_wish_board(
    query: Annotated[WishQuery, Query()], principal: CurrentPrincipal, session: DbSession
) -> WishPage:
    """Open wishes of the caller's community and town (staff: their subtree), newest
    first; ``org_unit_id`` narrows it to a grid or building. Nodes carry no map
    coordinates, so there is no nearest-first order."""
    return await service.list_wishes(session, principal, query, board=True)


@router.get(
    "",
    dependencies=[CanRead],
    responses=problem_responses(400),
    summary="List wishes · 微心愿列表",
)
async def list_micro_wishes(
    query: Annotated[WishQuery, Query()], principal: CurrentPrincipal, session: DbSession
) -> WishPage:
    """Every status (filter with ``status``), newest first, the same visibility as the board."""
    return await service.list_wishes(session, principal, query)


@router.get(
    "/{wish_id}",
    dependencies=[CanRead],
    responses={**problem_responses(404), 200: {"headers": ETAG_HEADER}},
    summary="Read a wish · 查看微心愿",
)
async def get_micro_wish(
    wish_id: IdParam, principal: CurrentPrincipal, session: DbSession, response: Response
) -> WishRead:
    wish = await service.get_wish(session, principal, wish_id)
    set_etag(response, wish.version)
    return wish


@router.post(
    "/{wish_id}/claim",
    dependencies=[CanAct, Idempotent],
    responses={**_STEP, **problem_responses(403)},
    summary="Claim a wish · 认领微心愿",
)
async def claim_micro_wish(
    wish_id: IdParam,
    body: ClaimIn,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
) -> WishRead:
    """A party member for themself; a team by its leader or staff; a unit by staff —
    group claims name who takes part. Of concurrent claims one wins (409 for the rest)."""
    wish = await service.claim(session, principal, wish_id, body)
    set_etag(response, wish.version)
    return wish


@router.post(
    "/{wish_id}/withdraw-claim",
    dependencies=[CanAct, Idempotent],
    responses={**_STEP, **problem_responses(403)},
    summary="Give up a claim · 撤回认领",
)
async def withdraw_micro_wish_claim(
    wish_id: IdParam, principal: CurrentPrincipal, session: DbSession, response: Response
) -> WishRead:
    wish = await service.withdraw_claim(session, principal, wish_id)
    set_etag(response, wish.version)
    return wish


@router.post(
    "/{wish_id}/fulfil",
    dependencies=[CanAct, Idempotent],
    responses={**_STEP, **problem_responses(403)},
    summary="Fulfil a wish · 圆梦",
)
async def fulfil_micro_wish(
    wish_id: IdParam,
    body: FulfilIn,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
) -> WishRead:
    """By a participant, the team's leader or staff, with https photos and a story; each
    participant earns the ``micro_wish`` rule's points once, under the caps."""
    wish = await service.fulfil(session, principal, wish_id, body)
    set_etag(response, wish.version)
    return wish


@router.post(
    "/{wish_id}/thanks",
    dependencies=[CanAct, Idempotent],
    responses={**_STEP, **problem_responses(403)},
    summary="Thank the volunteers · 致谢",
)
async def thank_for_micro_wish(
    wish_id: IdParam,
    body: ThanksIn,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
) -> WishRead:
    """By the wisher, or staff on their behalf; once."""
    wish = await service.thank(session, principal, wish_id, body.message)
    set_etag(response, wish.version)
    return wish


@router.post(
    "/{wish_id}/cancel",
    dependencies=[CanManage, Idempotent],
    responses=_STEP,
    summary="Cancel a wish · 取消微心愿",
)
async def cancel_micro_wish(
    wish_id: IdParam,
    body: ReasonIn,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
) -> WishRead:
    wish = await service.cancel(session, principal, wish_id, body.reason)
    set_etag(response, wish.version)
    return wish
