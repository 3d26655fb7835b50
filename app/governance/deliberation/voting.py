"""公议 and 评议 by the households of the compound: one vote and one rating each.

The vote is secret from staff yet verifiable: the ballot (household, time) and the
vote (choice under a receipt) are separate rows with nothing linking them; the
receipt is SHA-256 of the matter and the voter's own random ``ballot_secret``, so
only the voter can point at their vote. Such a vote is not stored as an idempotent
response either (that would link caller and choice): a retry with the same secret
finds its receipt and answers it again.
"""

import hashlib
from typing import Annotated

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.principal import Principal
from app.governance import service as shared
from app.governance.deliberation import repository
from app.governance.deliberation.errors import (
    AlreadyRated,
    AlreadyVoted,
    ReceiptUnknown,
    VoteNotOpen,
    VoteSealed,
)
from app.governance.deliberation.models import Matter, MatterRating
from app.governance.deliberation.schemas import (
    Choice,
    CountedVote,
    CountedVotePage,
    RatingIn,
    RatingRead,
    VoteIn,
    VoteReceipt,
)
from app.governance.deliberation.service import check_step, find, utcnow
from app.governance.deliberation.workflow import MatterStatus, MatterStep
from app.kit.pagination import Keyset, paginate
from app.kit.types import Line

BY_RECEIPT: Keyset[str] = Keyset(Annotated[Line, Field(pattern=r"^[0-9a-f]{64}$")])
"""Counted votes in receipt order (the receipts are the only key a vote has)."""


def receipt_of(matter_id: int, ballot_secret: str) -> str:
    return hashlib.sha256(f"redgrid-vote:{matter_id}:{ballot_secret}".encode()).hexdigest()


async def _participating(session: AsyncSession, principal: Principal, matter_id: int) -> Matter:
    """The matter, share-locked: a vote or rating never slips past the step closing it
    (that step locks the row for update, so it waits for them and they for it)."""
    scope = await shared.participation_scope(session, principal)
    return await find(session, scope, matter_id, share=True)


async def vote(
    session: AsyncSession, principal: Principal, matter_id: int, data: VoteIn
) -> tuple[VoteReceipt, bool]:
    """The household's one vote; also whether this call counted it (False: a retry)."""
    matter = await _participating(session, principal, matter_id)
    check_step(matter, MatterStep.vote)
    now = utcnow()
    if matter.vote_closes_at is None or now >= matter.vote_closes_at:
        raise VoteNotOpen()
    resident = await shared.resident_of(session, principal, matter)
    receipt = receipt_of(matter.id, data.ballot_secret)
    if await repository.cast_ballot(session, matter.id, resident.household, resident.person.id):
        if not await repository.count_vote(session, matter.id, receipt, data.choice.value):
            # The secret was used before (by this device for another matter it cannot
            # be: the receipt includes the matter): refuse rather than count twice.
            raise AlreadyVoted()
        await shared.record(
            session,
            principal,
            "matter.vote",
            ("matter", matter.id),
            f"事项 #{matter.id} 住户投票（内容保密）",
            matter,
        )
        return VoteReceipt(matter_id=matter.id, receipt=receipt, choice=data.choice), True
    counted = await repository.counted_vote(session, matter.id, receipt)
    if counted is None or counted.choice != data.choice.value:
        raise AlreadyVoted()
    return VoteReceipt(matter_id=matter.id, receipt=receipt, choice=data.choice), False


async def verify_receipt(
    session: AsyncSession, principal: Principal, matter_id: int, receipt: str
) -> CountedVote:
    """The choice counted under a receipt (the voter checks their own)."""
    scope = await shared.reader_scope(session, principal)
    matter = await find(session, scope, matter_id)
    counted = await repository.counted_vote(session, matter.id, receipt)
    if counted is None:
        raise ReceiptUnknown()
    return CountedVote(receipt=counted.receipt, choice=Choice(counted.choice))


async def list_counted_votes(
    session: AsyncSession, principal: Principal, matter_id: int, *, limit: int, cursor: str | None
) -> CountedVotePage:
    """Published once the vote closed: every receipt with its choice."""
    scope = await shared.reader_scope(session, principal)
    matter = await find(session, scope, matter_id)
    if matter.decided_at is None or MatterStatus(matter.status) is MatterStatus.voting:
        raise VoteSealed()
    items, next_cursor = await paginate(
        BY_RECEIPT,
        cursor,
        limit,
        lambda after, n: repository.vote_page(session, matter.id, after=after, limit=n),
        lambda v: v.receipt,
    )
    return CountedVotePage(
        items=[CountedVote(receipt=v.receipt, choice=Choice(v.choice)) for v in items],
        next_cursor=next_cursor,
    )


async def rate(
    session: AsyncSession, principal: Principal, matter_id: int, data: RatingIn
) -> RatingRead:
    """评议: the household rates the result, once."""
    matter = await _participating(session, principal, matter_id)
    check_step(matter, MatterStep.rate)
    resident = await shared.resident_of(session, principal, matter)
    rating = await repository.add_rating(
        session,
        MatterRating(
            matter_id=matter.id,
            household_key=resident.household,
            rater_person_id=resident.person.id,
            score=data.score,
            comment=data.comment,
        ),
    )
    if rating is None:
        raise AlreadyRated()
    await shared.record(
        session,
        principal,
        "matter.rate",
        ("matter", matter.id),
        f"事项 #{matter.id} 住户评议",
        matter,
    )
    return RatingRead(
        matter_id=matter.id, score=rating.score, comment=rating.comment, rated_at=rating.rated_at
    )
