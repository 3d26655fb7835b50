"""HTTP endpoints of ``/api/v1/points`` (红色积分): balances, statements,
leaderboards, the 公示 list, awards, deductions, reversals and rule changes.
Handlers stay thin; the shop's ``/rewards`` endpoints live in ``router.py``."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.authz.deps import any_account, require
from app.authz.permissions import POINTS_AWARD, POINTS_READ, POINTS_RULES
from app.authz.principal import Principal
from app.config import Settings
from app.db.session import DbSession, ReadSession
from app.integrations.idempotency import Idempotent, IdempotentRoute, RequiredKey
from app.kit.schemas import problem_responses
from app.kit.types import IdParam
from app.points import adjustments, read_service, service
from app.points.schemas import (
    AccountSummary,
    ActivityAwardCreate,
    AdjustmentCreate,
    AdjustmentRequestPage,
    AdjustmentRequestQuery,
    AdjustmentRequestRead,
    Leaderboard,
    PublicList,
    RankingQuery,
    RejectionCreate,
    ReversalCreate,
    RuleChange,
    RuleChanged,
    RuleRead,
    StatementPage,
    StatementQuery,
    TransactionRead,
)

Own = Annotated[Principal, any_account("one's own points")]
OwnOrReader = Annotated[Principal, any_account("one's own points", POINTS_READ)]

router = APIRouter(
    prefix="/points",
    tags=["points"],
    responses=problem_responses(401),
    route_class=IdempotentRoute,
)

CanReadPoints = Annotated[Principal, require(POINTS_READ)]
CanAwardPoints = Annotated[Principal, require(POINTS_AWARD)]
CanChangeRules = Annotated[Principal, require(POINTS_RULES)]
_READ = problem_responses(403, 404)
_WRITE = problem_responses(400, 403, 404, 409)


@router.get("/me", responses=problem_responses(404), summary="My points · 我的积分")
async def get_my_points(principal: Own, session: DbSession) -> AccountSummary:
    """The caller's own balance and totals (no permission needed beyond signing in)."""
    return await read_service.my_summary(session, principal)


@router.get(
    "/me/statement", responses=problem_responses(400, 404), summary="My statement · 我的积分明细"
)
async def get_my_statement(
    query: Annotated[StatementQuery, Query()], principal: Own, session: ReadSession
) -> StatementPage:
    """The caller's own postings, newest first, each with the balance after it."""
    return await read_service.my_statement(session, principal, query)


@router.get("/accounts/{person_id}", responses=_READ, summary="Balance and totals · 积分余额")
async def get_points_account(
    person_id: IdParam, principal: OwnOrReader, session: DbSession
) -> AccountSummary:
    """Balance, and earned and spent this month, quarter, year and all time."""
    return await read_service.account_summary(session, principal, person_id)


@router.get(
    "/accounts/{person_id}/statement",
    responses=problem_responses(400, 403, 404),
    summary="Statement · 积分明细",
)
async def get_points_statement(
    person_id: IdParam,
    query: Annotated[StatementQuery, Query()],
    principal: OwnOrReader,
    session: ReadSession,
) -> StatementPage:
    """Postings newest first (keyset pages), each with its running balance."""
    return await read_service.statement(session, principal, person_id, query)


@router.get("/transactions/{transaction_id}", responses=_READ, summary="A transaction · 积分交易")
async def get_points_transaction(
    transaction_id: IdParam, principal: OwnOrReader, session: DbSession
) -> TransactionRead:
    """A transaction with its legs, for whoever reads every member it touched."""
    return await read_service.get_transaction(session, principal, transaction_id)


@router.get(
    "/leaderboard", responses=problem_responses(400, 403, 404), summary="Leaderboard · 积分排行"
)
async def get_points_leaderboard(
    query: Annotated[RankingQuery, Query()], principal: CanReadPoints, session: ReadSession
) -> Leaderboard:
    """Members of a visible subtree ranked by points earned in a month, quarter or year."""
    return await read_service.leaderboard(session, principal, query)


@router.get(
    "/public-list", responses=problem_responses(400, 403, 404), summary="积分公示 · Public list"
)
async def get_points_public_list(
    query: Annotated[RankingQuery, Query()], principal: CanReadPoints, session: DbSession
) -> PublicList:
    """The list a community posts (积分公示): masked names, earned, spent, balance."""
    return await read_service.public_list(session, principal, query)


@router.post(
    "/adjustments",
    status_code=201,
    responses={
        **_WRITE,
        **problem_responses(422),
        202: {
            "model": AdjustmentRequestRead,
            "description": "Above the approval threshold: pending a second approver (四眼原则)",
        },
    },
    summary="Manual award or deduction · 人工奖扣积分",
)
async def create_points_adjustment(
    body: AdjustmentCreate,
    request: Request,
    response: Response,
    principal: CanAwardPoints,
    session: DbSession,
    key: RequiredKey,
) -> TransactionRead | AdjustmentRequestRead:
    """Award (amount > 0) or deduct (amount < 0) with a reason; needs ``points.award``
    over the person and an ``Idempotency-Key`` (400 without). Audited. More points than
    ``REDGRID_POINTS_APPROVAL_THRESHOLD`` (absolute) are not posted: the answer is 202
    with a pending request that another holder of ``points.award`` approves."""
    settings: Settings = request.app.state.settings
    result = await service.adjust(session, principal, body, key, settings.points_approval_threshold)
    if isinstance(result, AdjustmentRequestRead):
        response.status_code = 202
    return result


@router.get(
    "/adjustment-requests",
    responses=problem_responses(400, 403),
    summary="Adjustment requests · 积分奖扣审批列表",
)
async def list_adjustment_requests(
    query: Annotated[AdjustmentRequestQuery, Query()], principal: CanAwardPoints, session: DbSession
) -> AdjustmentRequestPage:
    """Requests over people the caller holds ``points.award`` over, newest first;
    pending ones unless ``status`` says otherwise."""
    return await adjustments.list_requests(session, principal, query)


@router.get(
    "/adjustment-requests/{request_id}", responses=_READ, summary="An adjustment request · 审批申请"
)
async def get_adjustment_request(
    request_id: IdParam, principal: CanAwardPoints, session: DbSession
) -> AdjustmentRequestRead:
    return await adjustments.get_request(session, principal, request_id)


@router.post(
    "/adjustment-requests/{request_id}/approve",
    dependencies=[Idempotent],
    responses=_WRITE,
    summary="Approve an adjustment · 批准积分奖扣",
)
async def approve_adjustment_request(
    request_id: IdParam, principal: CanAwardPoints, session: DbSession
) -> AdjustmentRequestRead:
    """Posts the request through the ledger once, as the approver. Not the requester's
    own (403 ``points.own_request``); a decided request is 409 ``points.request_decided``."""
    return await service.approve_adjustment(session, principal, request_id)


@router.post(
    "/adjustment-requests/{request_id}/reject",
    dependencies=[Idempotent],
    responses={**_WRITE, **problem_responses(422)},
    summary="Reject an adjustment · 驳回积分奖扣",
)
async def reject_adjustment_request(
    request_id: IdParam, body: RejectionCreate, principal: CanAwardPoints, session: DbSession
) -> AdjustmentRequestRead:
    """Nothing is posted; not the requester's own (403)."""
    return await service.reject_adjustment(session, principal, request_id, body)


@router.post(
    "/activity-awards",
    status_code=201,
    dependencies=[Idempotent],
    responses={**_WRITE, 200: {"model": TransactionRead, "description": "Already awarded"}},
    summary="Award for an activity · 活动积分",
)
async def create_activity_award(
    body: ActivityAwardCreate, response: Response, principal: CanAwardPoints, session: DbSession
) -> TransactionRead:
    """Points by the activity type's rule, within the caps, once per (activity, person)."""
    award = await service.award_activity(session, principal, body)
    if not award.created:
        response.status_code = 200
    return award.transaction


@router.post(
    "/transactions/{transaction_id}/reverse",
    status_code=201,
    dependencies=[Idempotent],
    responses=_WRITE,
    summary="Reverse a transaction · 冲正",
)
async def reverse_points_transaction(
    transaction_id: IdParam, body: ReversalCreate, principal: CanAwardPoints, session: DbSession
) -> TransactionRead:
    """A new transaction negating the original, once (409 ``points.already_reversed``);
    refused (409) when a member no longer holds the points."""
    return await service.reverse_transaction(session, principal, transaction_id, body)


@router.get(
    "/rules",
    response_model=list[RuleRead],
    responses=problem_responses(403, 404),
    summary="Earning rules in force · 现行积分规则",
)
async def list_points_rules(
    principal: CanReadPoints,
    session: DbSession,
    town_id: Annotated[IdParam, Query(description="The town whose rules apply")],
) -> list[RuleRead]:
    """Per kind and key, the town's own version in force, else the default."""
    return await service.rules_for_town(session, principal, town_id)


@router.post(
    "/rules",
    status_code=201,
    dependencies=[Idempotent],
    responses=problem_responses(403, 404, 422),
    summary="Change an earning rule · 调整积分规则",
)
async def change_points_rule(
    body: RuleChange, principal: CanChangeRules, session: DbSession
) -> RuleChanged:
    """Closes the version in force and adds a new one: only later awards follow it."""
    return await service.change_rule(session, principal, body)
