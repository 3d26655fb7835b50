from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.authz.deps import CurrentPrincipal, require
from app.authz.permissions import POINTS_REDEEM, REWARDS_HANDOVER, REWARDS_MANAGE
from app.authz.principal import Principal
from app.db.session import DbSession
from app.integrations.idempotency import fingerprint
from app.kit.etag import etag_for
from app.kit.schemas import problem_responses
from app.kit.types import IdParam
from app.points.shop import service
from app.points.shop.schemas import (
    HandoverIn,
    RedemptionListQuery,
    RedemptionPage,
    RedemptionRead,
    RestockIn,
    RewardCreate,
    RewardListQuery,
    RewardPage,
    RewardRead,
    RewardUpdate,
)
from app.points.shop.service import Idempotency

router = APIRouter(prefix="/rewards", tags=["rewards"])


# ---------------------------------------------------------------- /rewards (爱心超市)

IfMatch = Annotated[
    str | None, Header(description='The ETag of the version being changed, e.g. W/"3"')
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        description="Makes the POST safe to retry: the same key replays the first response "
        "(draft-ietf-httpapi-idempotency-key-header)"
    ),
]
CanManageRewards = Annotated[Principal, require(REWARDS_MANAGE)]
CanRedeem = Annotated[Principal, require(POINTS_REDEEM)]
CanHandOver = Annotated[Principal, require(REWARDS_HANDOVER)]

_ETAG = {
    "headers": {
        "ETag": {"description": 'Version of the reward, e.g. W/"1"', "schema": {"type": "string"}}
    }
}
_READ = problem_responses(401, 403, 404)
_STEP = problem_responses(400, 401, 403, 404, 409)


def _idempotency(request: Request, key: str | None, body: BaseModel | None = None) -> Idempotency:
    payload = None if body is None else body.model_dump(mode="json")
    return Idempotency(key, fingerprint(request.method, request.url.path, payload))


@router.post(
    "",
    status_code=201,
    response_model=RewardRead,
    responses={**problem_responses(400, 401, 403, 404, 409), 201: _ETAG},
)
async def create_reward(
    body: RewardCreate,
    request: Request,
    principal: CanManageRewards,
    session: DbSession,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Put a reward on a town's or community's shop shelf (上架商品)."""
    idem = _idempotency(request, idempotency_key, body)
    return await service.create_reward(session, principal, body, idem)


@router.get("", responses=problem_responses(400, 401, 403))
async def list_rewards(
    query: Annotated[RewardListQuery, Query()], principal: CurrentPrincipal, session: DbSession
) -> RewardPage:
    """Rewards of the shops the caller sees, newest first; members see the shops of
    their own community and town (商品列表)."""
    return await service.list_rewards(session, principal, query)


@router.get("/redemptions", responses=problem_responses(400, 401, 403))
async def list_redemptions(
    query: Annotated[RedemptionListQuery, Query()],
    principal: CurrentPrincipal,
    session: DbSession,
) -> RedemptionPage:
    """Redemptions in the caller's handover scope, or the member's own (兑换记录)."""
    return await service.list_redemptions(session, principal, query)


@router.post("/redemptions/handover", response_model=RedemptionRead, responses=_STEP)
async def hand_over_by_code(
    body: HandoverIn,
    request: Request,
    principal: CanHandOver,
    session: DbSession,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Hand over the redemption whose pickup code the member shows (凭取货码领取)."""
    idem = _idempotency(request, idempotency_key, body)
    return await service.hand_over_by_code(session, principal, body, idem)


@router.get("/redemptions/{redemption_id}", responses=_READ)
async def get_redemption(
    redemption_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> RedemptionRead:
    """One redemption (兑换详情)."""
    return await service.get_redemption(session, principal, redemption_id)


@router.post(
    "/redemptions/{redemption_id}/handover", response_model=RedemptionRead, responses=_STEP
)
async def hand_over_redemption(
    redemption_id: IdParam,
    request: Request,
    principal: CanHandOver,
    session: DbSession,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Mark a pending redemption handed over (确认领取)."""
    idem = _idempotency(request, idempotency_key)
    return await service.hand_over(session, principal, redemption_id, idem)


@router.post("/redemptions/{redemption_id}/cancel", response_model=RedemptionRead, responses=_STEP)
async def cancel_redemption(
    redemption_id: IdParam,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Cancel a redemption not yet handed over: the points come back by reversal and
    the unit goes back on the shelf (取消兑换)."""
    idem = _idempotency(request, idempotency_key)
    return await service.cancel(session, principal, redemption_id, idem)


@router.get("/{reward_id}", responses={**_READ, 200: _ETAG})
async def get_reward(
    reward_id: IdParam, principal: CurrentPrincipal, session: DbSession, response: Response
) -> RewardRead:
    """One reward (商品详情)."""
    reward = await service.get_reward(session, principal, reward_id)
    response.headers["ETag"] = etag_for(reward.version)
    return reward


@router.patch(
    "/{reward_id}",
    responses={**problem_responses(401, 403, 404, 412, 428), 200: _ETAG},
)
async def update_reward(
    reward_id: IdParam,
    body: RewardUpdate,
    principal: CanManageRewards,
    session: DbSession,
    response: Response,
    if_match: IfMatch = None,
) -> RewardRead:
    """Change a reward's name, description, price, window or shelf state (修改商品)."""
    reward = await service.update_reward(session, principal, reward_id, body, if_match)
    response.headers["ETag"] = etag_for(reward.version)
    return reward


@router.post(
    "/{reward_id}/restock",
    response_model=RewardRead,
    responses={**problem_responses(400, 401, 403, 404, 409), 200: _ETAG},
)
async def restock_reward(
    reward_id: IdParam,
    body: RestockIn,
    request: Request,
    principal: CanManageRewards,
    session: DbSession,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Add units to a reward's stock (补货)."""
    idem = _idempotency(request, idempotency_key, body)
    return await service.restock_reward(session, principal, reward_id, body, idem)


@router.post(
    "/{reward_id}/redeem",
    status_code=201,
    response_model=RedemptionRead,
    responses=_STEP,
)
async def redeem_reward(
    reward_id: IdParam,
    request: Request,
    principal: CanRedeem,
    session: DbSession,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Spend one's own points on one unit of a reward; the answer carries the pickup
    code (积分兑换). Send an Idempotency-Key so a retry never pays twice."""
    idem = _idempotency(request, idempotency_key)
    return await service.redeem(session, principal, reward_id, idem)
