"""The relay's unit of work: a batch of committed events, in order, handed to every
consumer (``app.integrations.events.consume``) and marked published, in one
transaction. Either the event is published and every consumer's rows exist, or
neither: no event is handed out twice and none is skipped. Flush, never commit.
"""

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.integrations import events
from app.integrations.models import OutboxEvent
from app.integrations.relay import repository

logger = logging.getLogger(__name__)

PURGE_CHUNK = 5000


@dataclass
class Relayed:
    events: int = 0
    made: Counter[str] = field(default_factory=Counter)
    """Rows each consumer made."""


async def relay_batch(session: AsyncSession, limit: int) -> Relayed:
    batch = await repository.claim(session, limit)
    done = Relayed(events=len(batch))
    if not batch:
        return done
    await _hand_over(session, batch, done)
    await repository.mark_published(session, [event.id for event in batch])
    await repository.add_counts(session, "relay", Counter(published=len(batch)))
    return done


async def relay_isolating(session: AsyncSession, limit: int) -> Relayed:
    """The same batch after a consumer failed on it: each event in a savepoint, so one
    event that a consumer cannot handle (a bug, a malformed payload) is set aside with
    its error instead of holding back every event behind it."""
    batch = await repository.claim(session, limit)
    done = Relayed(events=len(batch))
    outcomes: Counter[str] = Counter()
    for event in batch:
        try:
            async with session.begin_nested():
                await _hand_over(session, [event], done)
        except Exception as exc:
            logger.exception("relay: event set aside", extra={"event_id": event.id})
            await repository.mark_published(
                session, [event.id], error=f"{type(exc).__name__}: {exc}"[:500]
            )
            outcomes["error"] += 1
        else:
            await repository.mark_published(session, [event.id])
            outcomes["published"] += 1
    await repository.add_counts(session, "relay", outcomes)
    return done


async def _hand_over(session: AsyncSession, batch: Sequence[OutboxEvent], done: Relayed) -> None:
    for consumer in events.consumers():
        done.made[consumer.name] += await consumer.handle(session, batch)


async def purge_published(session: AsyncSession, retention_hours: float) -> int:
    """Deletes one chunk of events published more than ``retention_hours`` ago."""
    before = datetime.now(UTC) - timedelta(hours=retention_hours)
    return await repository.purge_published(session, before, limit=PURGE_CHUNK)


async def forget_finished_jobs(
    session: AsyncSession, task_names: Sequence[str], *, older_than_minutes: int
) -> int:
    return await repository.delete_finished_jobs(session, task_names, older_than_minutes)


async def count(session: AsyncSession, consumer: str, outcomes: Counter[str]) -> None:
    """Adds to the delivery counters ``/metrics`` shows (in the caller's transaction)."""
    await repository.add_counts(session, consumer, outcomes)


@dataclass(frozen=True)
class Stats:
    backlog: int
    oldest_age_seconds: float
    counts: dict[tuple[str, str], int]


async def stats(session: AsyncSession) -> Stats:
    backlog, oldest = await repository.backlog(session)
    age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
    counts = await repository.counts(session)
    return Stats(backlog=backlog, oldest_age_seconds=max(age, 0.0), counts=counts)
