"""``/matters``: 五议 — 提议 (``POST /matters``), 动议 (``take-up``/``decline``), 商议
(``positions``), 公议 (``open-vote``, ``votes``, ``close-vote``), 评议 (``implement``,
``ratings``, ``close``). An illegal step answers 409 ``matter.invalid_transition`` and
changes nothing; steps take an optional ``If-Match`` (412 when stale)."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app.authz.deps import CurrentPrincipal
from app.db.session import DbSession
from app.governance.common_router import (
    READ,
    WRITE,
    CanManage,
    CanManageOrTakePart,
    CanRead,
    CanTakePart,
    Cursor,
    Limit,
)
from app.governance.deliberation import service, steps, voting
from app.governance.deliberation.schemas import (
    CountedVote,
    CountedVotePage,
    ImplementIn,
    MatterCreate,
    MatterEventPage,
    MatterPage,
    MatterRead,
    OpenVoteIn,
    PositionIn,
    RatingIn,
    RatingRead,
    ReasonIn,
    VoteIn,
    VoteReceipt,
)
from app.governance.deliberation.workflow import MatterStatus
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.http import ETAG_HEADER, IfMatch, set_location, tagged
from app.kit.pagination import DEFAULT_LIMIT
from app.kit.schemas import problem_responses
from app.kit.types import IdParam

router = APIRouter(prefix="/matters", tags=["matters"], route_class=IdempotentRoute)

_STEP = {**problem_responses(401, 403, 404, 409, 412), 200: {"headers": ETAG_HEADER}}


@router.post(
    "",
    status_code=201,
    dependencies=[CanManageOrTakePart, Idempotent],
    responses={**WRITE, 201: {"headers": ETAG_HEADER}},
    summary="Propose a matter · 提议",
)
async def propose_matter(
    body: MatterCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> MatterRead:
    """Residents and members propose in the compound they live in; staff for the branch or
    on behalf of a body (``proposer_body_id``)."""
    result = await service.propose(session, principal, body)
    set_location(request, response, "get_matter", matter_id=result.id)
    return tagged(response, result)


@router.get("", dependencies=[CanRead], responses=READ, summary="List matters · 五议事项")
async def list_matters(
    principal: CurrentPrincipal,
    session: DbSession,
    org_unit_id: IdParam | None = None,
    status: MatterStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> MatterPage:
    """Staff within their scope; residents and members the matters of their compound."""
    return await service.list_matters(
        session, principal, org_unit_id=org_unit_id, status=status, limit=limit, cursor=cursor
    )


@router.get(
    "/{matter_id}",
    dependencies=[CanRead],
    responses={**READ, 200: {"headers": ETAG_HEADER}},
    summary="Read a matter · 事项详情",
)
async def get_matter(
    matter_id: IdParam, response: Response, principal: CurrentPrincipal, session: DbSession
) -> MatterRead:
    """With the parties' positions, the vote (turnout while it runs, the published
    result once closed) and the 评议."""
    return tagged(response, await service.get_matter(session, principal, matter_id))


@router.get(
    "/{matter_id}/events",
    dependencies=[CanRead],
    responses=READ,
    summary="A matter's history · 五议流程记录",
)
async def list_matter_events(
    matter_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> MatterEventPage:
    return await service.list_events(session, principal, matter_id, limit=limit, cursor=cursor)


@router.post(
    "/{matter_id}/take-up",
    dependencies=[CanManage, Idempotent],
    responses=_STEP,
    summary="Take up · 动议",
)
async def take_up_matter(
    matter_id: IdParam,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> MatterRead:
    """The branch decides to take the matter up; 商议 begins."""
    return tagged(response, await steps.take_up(session, principal, matter_id, if_match=if_match))


@router.post(
    "/{matter_id}/decline",
    dependencies=[CanManage, Idempotent],
    responses=_STEP,
    summary="Decline · 不予动议",
)
async def decline_matter(
    matter_id: IdParam,
    body: ReasonIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> MatterRead:
    matter = await steps.decline(session, principal, matter_id, body, if_match=if_match)
    return tagged(response, matter)


@router.post(
    "/{matter_id}/withdraw",
    dependencies=[CanManageOrTakePart, Idempotent],
    responses=_STEP,
    summary="Withdraw · 撤回",
)
async def withdraw_matter(
    matter_id: IdParam,
    body: ReasonIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> MatterRead:
    """By staff or the proposer, before the vote opens."""
    matter = await steps.withdraw(session, principal, matter_id, body, if_match=if_match)
    return tagged(response, matter)


@router.post(
    "/{matter_id}/positions",
    dependencies=[CanManage, Idempotent],
    responses=_STEP,
    summary="Record a position · 商议",
)
async def add_matter_position(
    matter_id: IdParam,
    body: PositionIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> MatterRead:
    """The branch, the owners' committee, the property company … state their position."""
    matter = await steps.add_position(session, principal, matter_id, body, if_match=if_match)
    return tagged(response, matter)


@router.post(
    "/{matter_id}/open-vote",
    dependencies=[CanManage, Idempotent],
    responses=_STEP,
    summary="Open the vote · 公议",
)
async def open_matter_vote(
    matter_id: IdParam,
    body: OpenVoteIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> MatterRead:
    """One vote per household of the compound until ``closes_at``; the households with a
    live resident now are the quorum's base."""
    matter = await steps.open_vote(session, principal, matter_id, body, if_match=if_match)
    return tagged(response, matter)


@router.post(
    "/{matter_id}/votes",
    status_code=201,
    dependencies=[CanTakePart, Idempotent],
    responses={**WRITE, 200: {"model": VoteReceipt, "description": "A retry: the same receipt"}},
    summary="Vote for my household · 投票",
)
async def vote_on_matter(
    matter_id: IdParam,
    body: VoteIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> VoteReceipt:
    """One vote per household (409 ``matter.already_voted``); keep the receipt to find
    your vote in the published count. Retry-safe by ``ballot_secret`` alone (a retry
    answers 200 with the same receipt). With an ``Idempotency-Key`` the response is
    kept for replays sealed (AES-256-GCM) and purged after 48 hours; a client that
    wants nothing kept that ties it to its choice sends no key."""
    receipt, counted = await voting.vote(session, principal, matter_id, body)
    response.status_code = 201 if counted else 200
    return receipt


@router.get(
    "/{matter_id}/votes",
    dependencies=[CanRead],
    responses=problem_responses(401, 403, 404, 409),
    summary="Counted votes · 计票明细",
)
async def list_counted_votes(
    matter_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> CountedVotePage:
    """After the close (409 ``matter.vote_sealed`` before): every receipt and its choice."""
    return await voting.list_counted_votes(
        session, principal, matter_id, limit=limit, cursor=cursor
    )


@router.get(
    "/{matter_id}/votes/{receipt}",
    dependencies=[CanRead],
    responses=READ,
    summary="Check my vote · 核验回执",
)
async def verify_vote_receipt(
    matter_id: IdParam,
    receipt: Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f]{64}$")],
    principal: CurrentPrincipal,
    session: DbSession,
) -> CountedVote:
    return await voting.verify_receipt(session, principal, matter_id, receipt)


@router.post(
    "/{matter_id}/close-vote",
    dependencies=[CanManage, Idempotent],
    responses=_STEP,
    summary="Close and count the vote · 公议计票",
)
async def close_matter_vote(
    matter_id: IdParam,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> MatterRead:
    """After ``closes_at`` or once every household voted: quorum and threshold decide
    (passed, rejected or no_quorum) and the totals are published to the compound."""
    return tagged(
        response, await steps.close_vote(session, principal, matter_id, if_match=if_match)
    )


@router.post(
    "/{matter_id}/implement",
    dependencies=[CanManage, Idempotent],
    responses=_STEP,
    summary="Report it carried out · 实施完成",
)
async def implement_matter(
    matter_id: IdParam,
    body: ImplementIn,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> MatterRead:
    """评议 opens: the households rate the result."""
    matter = await steps.implement(session, principal, matter_id, body, if_match=if_match)
    return tagged(response, matter)


@router.post(
    "/{matter_id}/ratings",
    status_code=201,
    dependencies=[CanTakePart, Idempotent],
    responses=WRITE,
    summary="Rate the result · 评议",
)
async def rate_matter(
    matter_id: IdParam,
    body: RatingIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> RatingRead:
    """Once per household (409 ``matter.already_rated``), 1 to 5."""
    return await voting.rate(session, principal, matter_id, body)


@router.post(
    "/{matter_id}/close",
    dependencies=[CanManage, Idempotent],
    responses=_STEP,
    summary="Close · 办结",
)
async def close_matter(
    matter_id: IdParam,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatch = None,
) -> MatterRead:
    """评议 ends; the households' mean rating is kept with the matter."""
    return tagged(response, await steps.close(session, principal, matter_id, if_match=if_match))
