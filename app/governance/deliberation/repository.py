"""All SQL of 五议 matters. Visibility comes only from ``Scope.clause``.

One vote per household is the primary key of ``matter_ballot``: concurrent votes of
one household insert ``ON CONFLICT DO NOTHING``, the first commits, the others find
the conflict once it has and count nothing.
"""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Scope
from app.governance.deliberation.models import (
    Matter,
    MatterBallot,
    MatterEvent,
    MatterPosition,
    MatterRating,
    MatterVote,
)


async def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)
    await session.flush()


async def refresh(session: AsyncSession, row: object) -> None:
    await session.flush()
    await session.refresh(row)


async def get_matter(
    session: AsyncSession, matter_id: int, scope: Scope, *, lock: bool = False, share: bool = False
) -> Matter | None:
    """``lock``: FOR UPDATE (a step); ``share``: FOR SHARE (a vote or rating), so votes run
    side by side while a step that closes the vote waits for them and they for it."""
    query = select(Matter).where(Matter.id == matter_id, scope.clause(Matter))
    if lock or share:
        query = query.with_for_update(read=share and not lock).execution_options(
            populate_existing=True
        )
    return (await session.execute(query)).scalar_one_or_none()


async def matter_page(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], *, before: int | None, limit: int
) -> Sequence[Matter]:
    query = select(Matter).where(*where).order_by(Matter.id.desc()).limit(limit)
    if before is not None:
        query = query.where(Matter.id < before)
    return (await session.scalars(query)).all()


async def positions_of(session: AsyncSession, matter_id: int) -> Sequence[MatterPosition]:
    query = (
        select(MatterPosition)
        .where(MatterPosition.matter_id == matter_id)
        .order_by(MatterPosition.id)
    )
    return (await session.scalars(query)).all()


async def event_page(
    session: AsyncSession, matter_id: int, *, after: int | None, limit: int
) -> Sequence[MatterEvent]:
    query = (
        select(MatterEvent)
        .where(MatterEvent.matter_id == matter_id)
        .order_by(MatterEvent.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(MatterEvent.id > after)
    return (await session.scalars(query)).all()


# ---------------------------------------------------------------- 公议


async def count_ballots(session: AsyncSession, matter_id: int) -> int:
    query = select(func.count()).where(MatterBallot.matter_id == matter_id)
    return int((await session.execute(query)).scalar_one())


async def cast_ballot(
    session: AsyncSession, matter_id: int, household: str, person_id: int
) -> bool:
    """The household's one ballot; False when it already has one."""
    statement = (
        insert(MatterBallot)
        .values(matter_id=matter_id, household_key=household, voter_person_id=person_id)
        .on_conflict_do_nothing(index_elements=["matter_id", "household_key"])
        .returning(MatterBallot.matter_id)
    )
    return (await session.execute(statement)).first() is not None


async def has_ballot(session: AsyncSession, matter_id: int, household: str) -> bool:
    found = await session.get(MatterBallot, (matter_id, household))
    return found is not None


async def counted_vote(session: AsyncSession, matter_id: int, receipt: str) -> MatterVote | None:
    query = select(MatterVote).where(
        MatterVote.receipt == receipt, MatterVote.matter_id == matter_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def count_vote(session: AsyncSession, matter_id: int, receipt: str, choice: str) -> bool:
    """The choice under its receipt; False when the receipt is taken."""
    statement = (
        insert(MatterVote)
        .values(receipt=receipt, matter_id=matter_id, choice=choice)
        .on_conflict_do_nothing(index_elements=["receipt"])
        .returning(MatterVote.receipt)
    )
    return (await session.execute(statement)).first() is not None


async def tally(session: AsyncSession, matter_id: int) -> dict[str, int]:
    query = (
        select(MatterVote.choice, func.count())
        .where(MatterVote.matter_id == matter_id)
        .group_by(MatterVote.choice)
    )
    return {choice: int(n) for choice, n in (await session.execute(query)).all()}


async def vote_page(
    session: AsyncSession, matter_id: int, *, after: str | None, limit: int
) -> Sequence[MatterVote]:
    query = (
        select(MatterVote)
        .where(MatterVote.matter_id == matter_id)
        .order_by(MatterVote.receipt)
        .limit(limit)
    )
    if after is not None:
        query = query.where(MatterVote.receipt > after)
    return (await session.scalars(query)).all()


# ---------------------------------------------------------------- 评议


async def add_rating(session: AsyncSession, rating: MatterRating) -> MatterRating | None:
    """The household's one rating; None when it already rated."""
    statement = (
        insert(MatterRating)
        .values(
            matter_id=rating.matter_id,
            household_key=rating.household_key,
            rater_person_id=rating.rater_person_id,
            score=rating.score,
            comment=rating.comment,
        )
        .on_conflict_do_nothing(index_elements=["matter_id", "household_key"])
        .returning(MatterRating)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def rating_summary(session: AsyncSession, matter_id: int) -> tuple[int, int]:
    """(ratings, sum of scores)."""
    query = select(func.count(), func.coalesce(func.sum(MatterRating.score), 0)).where(
        MatterRating.matter_id == matter_id
    )
    count, total = (await session.execute(query)).one()
    return int(count), int(total)
