"""SQL of the relay: claiming events, marking them published, purging, counting."""

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, exists, func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.integrations.models import OutboxEvent, RelayCounter

COUNTER_SHARDS = 8


async def claim(session: AsyncSession, limit: int) -> Sequence[OutboxEvent]:
    """Locks and returns up to ``limit`` committed, unpublished events in id order, with
    every one of them the oldest unpublished event of its aggregate (its *head*), then
    the rest of those aggregates' waiting events.

    A head is taken with ``SKIP LOCKED``, so concurrent relays never take the same
    event; an event whose older sibling is still waiting (unpublished, perhaps held by
    another relay) is not a head, so no relay can overtake it. Once a relay holds a
    head, no other can take that aggregate's later events, so it locks them too and
    publishes the aggregate in order.
    """
    older = aliased(OutboxEvent)
    heads = (
        await session.execute(
            select(OutboxEvent.id, OutboxEvent.aggregate_type, OutboxEvent.aggregate_id)
            .where(
                OutboxEvent.published_at.is_(None),
                ~exists().where(
                    older.published_at.is_(None),
                    older.aggregate_type == OutboxEvent.aggregate_type,
                    older.aggregate_id == OutboxEvent.aggregate_id,
                    older.id < OutboxEvent.id,
                ),
            )
            .order_by(OutboxEvent.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=OutboxEvent)
        )
    ).all()
    if not heads:
        return []
    head_ids = [row.id for row in heads]
    keys = {(row.aggregate_type, row.aggregate_id) for row in heads}
    followers = (
        await session.execute(
            select(OutboxEvent.id)
            .where(
                OutboxEvent.published_at.is_(None),
                OutboxEvent.id.not_in(head_ids),
                tuple_(OutboxEvent.aggregate_type, OutboxEvent.aggregate_id).in_(sorted(keys)),
            )
            .order_by(OutboxEvent.id)
            .limit(limit)
            .with_for_update()
        )
    ).scalars()
    ids = [*head_ids, *followers]
    rows = await session.execute(
        select(OutboxEvent).where(OutboxEvent.id.in_(ids)).order_by(OutboxEvent.id)
    )
    return rows.scalars().all()


async def mark_published(
    session: AsyncSession, ids: Sequence[int], *, error: str | None = None
) -> None:
    await session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(ids))
        .values(published_at=func.now(), relay_error=error)
    )


async def purge_published(session: AsyncSession, before: datetime, *, limit: int) -> int:
    """Deletes up to ``limit`` events published before ``before``; returns how many."""
    doomed = (
        select(OutboxEvent.id)
        .where(OutboxEvent.published_at < before)
        .order_by(OutboxEvent.published_at)
        .limit(limit)
    )
    result = await session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(doomed)))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def backlog(session: AsyncSession) -> tuple[int, datetime | None]:
    """Unpublished events and when the oldest of them happened."""
    row = (
        await session.execute(
            select(func.count(), func.min(OutboxEvent.occurred_at)).where(
                OutboxEvent.published_at.is_(None)
            )
        )
    ).one()
    return int(row[0]), row[1]


async def add_counts(session: AsyncSession, consumer: str, outcomes: Counter[str]) -> None:
    """Adds to the counters of ``consumer``, in one statement, on this backend's shard;
    rows in a fixed order, so two transactions never lock them crosswise."""
    if not outcomes:
        return
    shard = func.pg_backend_pid() % COUNTER_SHARDS
    statement = insert(RelayCounter).values(
        [
            {"consumer": consumer, "outcome": outcome, "shard": shard, "value": n}
            for outcome, n in sorted(outcomes.items())
        ]
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["consumer", "outcome", "shard"],
            set_={"value": RelayCounter.value + statement.excluded.value},
        )
    )


async def counts(session: AsyncSession) -> dict[tuple[str, str], int]:
    rows = await session.execute(
        select(RelayCounter.consumer, RelayCounter.outcome, func.sum(RelayCounter.value)).group_by(
            RelayCounter.consumer, RelayCounter.outcome
        )
    )
    return {(consumer, outcome): int(total) for consumer, outcome, total in rows}


_DELETE_FINISHED_JOBS = text(
    """
    DELETE FROM procrastinate_jobs AS job
    WHERE job.task_name IN :names
      AND (
        job.status IN ('succeeded', 'failed')
        -- started by a worker since pruned as stalled (killed): it will never finish
        OR (job.status = 'doing' AND job.worker_id IS NULL)
      )
      AND NOT EXISTS (
        SELECT 1 FROM procrastinate_events AS event
        WHERE event.job_id = job.id AND event.at > now() - make_interval(mins => :minutes)
      )
    """
).bindparams(bindparam("names", expanding=True))


async def delete_finished_jobs(
    session: AsyncSession, task_names: Sequence[str], older_than_minutes: int
) -> int:
    """Finished (or orphaned) jobs of ``task_names`` last touched more than
    ``older_than_minutes`` ago: drain jobs say nothing their tables do not."""
    result = await session.execute(
        _DELETE_FINISHED_JOBS, {"names": list(task_names), "minutes": older_than_minutes}
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
