from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.authz.deps import require, require_any
from app.authz.permissions import POINTS_REDEEM, REWARDS_HANDOVER, REWARDS_MANAGE
from app.authz.principal import Principal
from app.db.session import DbSession
from app.integrations.idempotency import ClaimedKey, Idempotent, IdempotentRoute
from app.kit.etag import etag_for
from app.kit.http import ETAG_HEADER, IfMatchRequired, set_location, tagged
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

router = APIRouter(prefix="/rewards", tags=["rewards"], route_class=IdempotentRoute)


# ---------------------------------------------------------------- /rewards (爱心超市)

CanManageRewards = Annotated[Principal, require(REWARDS_MANAGE)]
CanRedeem = Annotated[Principal, require(POINTS_REDEEM)]
CanHandOver = Annotated[Principal, require(REWARDS_HANDOVER)]
# The service narrows these further (which shops, whose redemptions); the guards say who
# may ask at all, as the service checks it (REWARD_READERS; handover or one's own).
CanSeeRewards = Annotated[Principal, require_any(*service.REWARD_READERS)]
CanSeeRedemptions = Annotated[Principal, require_any(REWARDS_HANDOVER, POINTS_REDEEM)]

_ETAG = {"headers": ETAG_HEADER}
_READ = problem_responses(401, 403, 404)
_STEP = problem_responses(400, 401, 403, 404, 409)


@router.post(
    "",
    status_code=201,
    dependencies=[Idempotent],
    responses={**problem_responses(400, 401, 403, 404, 409), 201: _ETAG},
)
async def create_reward(
    body: RewardCreate,
    request: Request,
    response: Response,
    principal: CanManageRewards,
    session: DbSession,
) -> RewardRead:
    """Put a reward on a town's or community's shop shelf (上架商品)."""
    reward = await service.create_reward(session, principal, body)
    set_location(request, response, "get_reward", reward_id=reward.id)
    return tagged(response, reward)


@router.get("", responses=problem_responses(400, 401, 403))
async def list_rewards(
    query: Annotated[RewardListQuery, Query()], principal: CanSeeRewards, session: DbSession
) -> RewardPage:
    """Rewards of the shops the caller sees, newest first; members see the shops of
    their own community and town (商品列表)."""
    return await service.list_rewards(session, principal, query)


@router.get("/redemptions", responses=problem_responses(400, 401, 403))
async def list_redemptions(
    query: Annotated[RedemptionListQuery, Query()],
    principal: CanSeeRedemptions,
    session: DbSession,
) -> RedemptionPage:
    """Redemptions in the caller's handover scope, or the member's own (兑换记录)."""
    return await service.list_redemptions(session, principal, query)


@router.post(
    "/redemptions/handover",
    dependencies=[Idempotent],
    responses=_STEP,
    operation_id="rewards-redemptions-handover-by-code",
)
async def hand_over_by_code(
    body: HandoverIn, principal: CanHandOver, session: DbSession
) -> RedemptionRead:
    """Hand over the redemption whose pickup code the member shows (凭取货码领取)."""
    return await service.hand_over_by_code(session, principal, body)


@router.get("/redemptions/{redemption_id}", responses=_READ)
async def get_redemption(
    redemption_id: IdParam, principal: CanSeeRedemptions, session: DbSession
) -> RedemptionRead:
    """One redemption (兑换详情)."""
    return await service.get_redemption(session, principal, redemption_id)


@router.post("/redemptions/{redemption_id}/handover", dependencies=[Idempotent], responses=_STEP)
async def hand_over_redemption(
    redemption_id: IdParam, principal: CanHandOver, session: DbSession
) -> RedemptionRead:
    """Mark a pending redemption handed over (确认领取)."""
    return await service.hand_over(session, principal, redemption_id)


@router.post("/redemptions/{redemption_id}/cancel", dependencies=[Idempotent], responses=_STEP)
async def cancel_redemption(
    redemption_id: IdParam, principal: CanSeeRedemptions, session: DbSession
) -> RedemptionRead:
    """Cancel a redemption not yet handed over: the points come back by reversal and
    the unit goes back on the shelf (取消兑换)."""
    return await service.cancel(session, principal, redemption_id)


@router.get("/{reward_id}", responses={**_READ, 200: _ETAG})
async def get_reward(
    reward_id: IdParam, principal: CanSeeRewards, session: DbSession, response: Response
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
    if_match: IfMatchRequired = None,
) -> RewardRead:
    """Change a reward's name, description, price, window or shelf state (修改商品)."""
    reward = await service.update_reward(session, principal, reward_id, body, if_match)
    response.headers["ETag"] = etag_for(reward.version)
    return reward


@router.post(
    "/{reward_id}/restock",
    dependencies=[Idempotent],
    responses={**problem_responses(400, 401, 403, 404, 409), 200: _ETAG},
)
async def restock_reward(
    reward_id: IdParam,
    body: RestockIn,
    response: Response,
    principal: CanManageRewards,
    session: DbSession,
) -> RewardRead:
    """Add units to a reward's stock (补货)."""
    return tagged(response, await service.restock_reward(session, principal, reward_id, body))


@router.post("/{reward_id}/redeem", status_code=201, responses=_STEP)
async def redeem_reward(
    reward_id: IdParam,
    request: Request,
    response: Response,
    principal: CanRedeem,
    session: DbSession,
    key: ClaimedKey,
) -> RedemptionRead:
    """Spend one's own points on one unit of a reward; the answer carries the pickup
    code (积分兑换). Send an Idempotency-Key so a retry never pays twice."""
    redemption = await service.redeem(session, principal, reward_id, key)
    set_location(request, response, "get_redemption", redemption_id=redemption.id)
    return redemption
