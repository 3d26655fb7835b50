"""The branch's steps on a matter: 动议 (take up or decline), 商议 (positions), opening
and closing 公议, reporting it carried out (评议 opens) and closing it. Staff with
``governance.manage`` over the compound; the proposer may also withdraw their own."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import GOVERNANCE_MANAGE, GOVERNANCE_TAKE_PART
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.governance import repository as shared_repository
from app.governance import service as shared
from app.governance.bodies import repository as body_repository
from app.governance.deliberation import repository
from app.governance.deliberation.errors import (
    MatterNotFound,
    PositionBodyNotFound,
    VoteStillOpen,
    VoteWindowInvalid,
)
from app.governance.deliberation.models import Matter, MatterPosition
from app.governance.deliberation.rules import Tally, VoteResult, average, outcome
from app.governance.deliberation.schemas import (
    ImplementIn,
    MatterRead,
    OpenVoteIn,
    PositionIn,
    ReasonIn,
)
from app.governance.deliberation.service import (
    advance,
    check_step,
    find,
    present,
    utcnow,
)
from app.governance.deliberation.workflow import MatterStep


async def _managed(
    session: AsyncSession, principal: Principal, matter_id: int, if_match: str | None
) -> Matter:
    return await find(
        session, principal.scope(GOVERNANCE_MANAGE), matter_id, lock=True, if_match=if_match
    )


async def take_up(
    session: AsyncSession, principal: Principal, matter_id: int, *, if_match: str | None
) -> MatterRead:
    """动议: the branch takes the matter up; 商议 begins."""
    matter = await _managed(session, principal, matter_id, if_match)
    await advance(session, principal, matter, MatterStep.take_up)
    return await present(session, matter)


async def decline(
    session: AsyncSession,
    principal: Principal,
    matter_id: int,
    data: ReasonIn,
    *,
    if_match: str | None,
) -> MatterRead:
    matter = await _managed(session, principal, matter_id, if_match)
    await advance(session, principal, matter, MatterStep.decline, note=data.reason)
    return await present(session, matter)


async def withdraw(
    session: AsyncSession,
    principal: Principal,
    matter_id: int,
    data: ReasonIn,
    *,
    if_match: str | None,
) -> MatterRead:
    """By staff, or by the person who proposed it, before the vote."""
    scope = await shared.reader_scope(session, principal)
    matter = await find(session, scope, matter_id, lock=True, if_match=if_match)
    own = (
        principal.has(GOVERNANCE_TAKE_PART)
        and principal.person_id is not None
        and principal.person_id == matter.proposer_person_id
    )
    if not (own or principal.scope(GOVERNANCE_MANAGE).covers(matter)):
        raise MatterNotFound()
    await advance(session, principal, matter, MatterStep.withdraw, note=data.reason)
    return await present(session, matter)


async def add_position(
    session: AsyncSession,
    principal: Principal,
    matter_id: int,
    data: PositionIn,
    *,
    if_match: str | None,
) -> MatterRead:
    """商议: the branch, the committee, the property company … state where they stand."""
    matter = await _managed(session, principal, matter_id, if_match)
    check_step(matter, MatterStep.position)
    if data.body_id is not None:
        body = await body_repository.get_body(
            session, data.body_id, await shared.reader_scope(session, principal)
        )
        if body is None:
            raise PositionBodyNotFound()
    position = MatterPosition(
        matter_id=matter.id,
        party=data.party.value,
        body_id=data.body_id,
        stance=data.stance.value,
        statement=data.statement,
        recorded_by_user_id=principal.user_id,
        recorded_at=utcnow(),
    )
    await repository.add(session, position)
    await advance(
        session,
        principal,
        matter,
        MatterStep.position,
        note=data.statement,
        data={"party": data.party.value, "stance": data.stance.value, "body_id": data.body_id},
    )
    return await present(session, matter)


async def open_vote(
    session: AsyncSession,
    principal: Principal,
    matter_id: int,
    data: OpenVoteIn,
    *,
    if_match: str | None,
) -> MatterRead:
    """公议 opens now until ``closes_at``; the households counted are those with a live
    resident in the compound at this moment (the quorum's base)."""
    matter = await _managed(session, principal, matter_id, if_match)
    now = utcnow()
    if data.closes_at <= now:
        raise VoteWindowInvalid()
    compound = await shared.compound(session, Scope.everything(), matter.org_unit_id)
    eligible = await shared_repository.count_households(session, compound)
    await advance(
        session,
        principal,
        matter,
        MatterStep.open_vote,
        data={
            "quorum_percent": data.quorum_percent,
            "threshold_percent": data.threshold_percent,
            "closes_at": data.closes_at.isoformat(),
            "eligible_households": eligible,
        },
        quorum_percent=data.quorum_percent,
        threshold_percent=data.threshold_percent,
        vote_opens_at=now,
        vote_closes_at=data.closes_at,
        eligible_households=eligible,
    )
    return await present(session, matter)


async def close_vote(
    session: AsyncSession, principal: Principal, matter_id: int, *, if_match: str | None
) -> MatterRead:
    """Count and publish: once the window has passed, or every household has voted.
    Quorum and threshold decide (``rules.outcome``); the totals become public."""
    matter = await _managed(session, principal, matter_id, if_match)
    check_step(matter, MatterStep.pass_vote)
    assert matter.vote_closes_at is not None
    assert matter.quorum_percent is not None and matter.threshold_percent is not None
    ballots = await repository.count_ballots(session, matter.id)
    eligible = matter.eligible_households or 0
    if matter.vote_closes_at > utcnow() and ballots < eligible:
        raise VoteStillOpen()
    counts = await repository.tally(session, matter.id)
    tally = Tally(
        eligible=eligible,
        yes=counts.get("yes", 0),
        no=counts.get("no", 0),
        abstain=counts.get("abstain", 0),
    )
    # Two tables, one count: a difference would mean a vote without a ballot or the reverse.
    assert tally.ballots == ballots, "votes and ballots disagree"
    result = outcome(tally, matter.quorum_percent, matter.threshold_percent)
    step = MatterStep.pass_vote if result is VoteResult.passed else MatterStep.reject_vote
    await advance(
        session,
        principal,
        matter,
        step,
        data={"result": result.value, "ballots": ballots, **counts},
        ballots=ballots,
        yes_votes=tally.yes,
        no_votes=tally.no,
        abstentions=tally.abstain,
        result=result.value,
        decided_at=utcnow(),
    )
    return await present(session, matter)


async def implement(
    session: AsyncSession,
    principal: Principal,
    matter_id: int,
    data: ImplementIn,
    *,
    if_match: str | None,
) -> MatterRead:
    """Carried out: the report goes to the compound and 评议 opens."""
    matter = await _managed(session, principal, matter_id, if_match)
    await advance(
        session,
        principal,
        matter,
        MatterStep.implement,
        implementation=data.report,
        implemented_at=utcnow(),
    )
    return await present(session, matter)


async def close(
    session: AsyncSession, principal: Principal, matter_id: int, *, if_match: str | None
) -> MatterRead:
    """评议 ends: the households' ratings are counted into the matter for good."""
    matter = await _managed(session, principal, matter_id, if_match)
    count, total = await repository.rating_summary(session, matter.id)
    mean = average(total, count)
    await advance(
        session,
        principal,
        matter,
        MatterStep.close,
        data={"ratings": count, "average": str(mean) if mean is not None else None},
        ratings=count,
        rating_average=mean,
        closed_at=utcnow(),
    )
    return await present(session, matter)
