"""The relay: committed events, in order per aggregate, to every consumer, once.

These tests use real, separate connections (``engine``): what one relay has locked and
what another can see is the point. Their events belong to aggregates of their own and
are deleted afterwards."""

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.integrations import events
from app.integrations.models import OutboxEvent
from app.integrations.relay import repository as relay_repository
from app.integrations.relay import service as relay


class Recorder:
    """A relay consumer that remembers the events of this test's aggregates."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.seen: list[tuple[str, str]] = []
        self.poison: str | None = None

    async def handle(self, session: AsyncSession, batch: Sequence[OutboxEvent]) -> int:
        mine = [(e.aggregate_id, e.event_type) for e in batch if e.aggregate_type == self.kind]
        if any(event_type == self.poison for _, event_type in mine):
            raise ValueError("cannot handle this one")
        # Kept only once the whole batch is handled, as a consumer's rows would be.
        self.seen.extend(mine)
        return len(mine)


@pytest.fixture
async def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
async def recorder(engine: AsyncEngine) -> AsyncIterator[Recorder]:
    kind = f"t{uuid.uuid4().hex[:12]}"
    consumer = Recorder(kind)
    events.consume(events.Consumer(name=f"test-{kind}", handle=consumer.handle))
    yield consumer
    events.stop_consuming(f"test-{kind}")
    async with engine.begin() as conn:
        await conn.execute(delete(OutboxEvent).where(OutboxEvent.aggregate_type == kind))


async def publish(
    sessions: async_sessionmaker[AsyncSession], kind: str, *steps: tuple[str, str]
) -> None:
    """Commits one transaction publishing (aggregate id, event type) ``steps``."""
    async with sessions() as session, session.begin():
        for aggregate_id, event_type in steps:
            await events.publish(
                session, event_type, aggregate_type=kind, aggregate_id=aggregate_id, payload={}
            )


async def drain(sessions: async_sessionmaker[AsyncSession]) -> None:
    while True:
        async with sessions() as session, session.begin():
            if not (await relay.relay_batch(session, 100)).events:
                return


async def test_committed_events_reach_consumers_in_order_and_rolled_back_ones_never(
    sessions: async_sessionmaker[AsyncSession], recorder: Recorder
) -> None:
    kind = recorder.kind
    await publish(sessions, kind, ("a", "x.1"), ("b", "x.1"))
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            await events.publish(
                session, "x.rolled_back", aggregate_type=kind, aggregate_id="a", payload={}
            )
            raise RuntimeError("the change fails")
    await publish(sessions, kind, ("a", "x.2"), ("a", "x.3"))
    await drain(sessions)
    assert [s for s in recorder.seen if s[0] == "a"] == [("a", "x.1"), ("a", "x.2"), ("a", "x.3")]
    assert [s for s in recorder.seen if s[0] == "b"] == [("b", "x.1")]
    async with sessions() as session:
        left = await session.scalar(
            select(OutboxEvent.id).where(
                OutboxEvent.aggregate_type == kind, OutboxEvent.published_at.is_(None)
            )
        )
    assert left is None
    await drain(sessions)
    assert len(recorder.seen) == 4  # nothing is handed out twice


async def test_a_relay_never_overtakes_an_event_another_relay_holds(
    sessions: async_sessionmaker[AsyncSession], recorder: Recorder
) -> None:
    kind = recorder.kind
    await publish(sessions, kind, ("a", "x.1"), ("b", "x.1"))
    await publish(sessions, kind, ("a", "x.2"))
    async with sessions() as first:
        await first.begin()
        # The first relay holds a's head (as if still handing it over).
        held = await first.scalar(
            select(OutboxEvent)
            .where(OutboxEvent.aggregate_type == kind, OutboxEvent.aggregate_id == "a")
            .order_by(OutboxEvent.id)
            .limit(1)
            .with_for_update()
        )
        assert held is not None and held.event_type == "x.1"
        async with sessions() as second, second.begin():
            claimed = await relay_repository.claim(second, 1000)
            mine = [(e.aggregate_id, e.event_type) for e in claimed if e.aggregate_type == kind]
        # a's later event is not a head while x.1 waits: b goes, a waits.
        assert mine == [("b", "x.1")]
        await first.rollback()
    await drain(sessions)
    assert [s for s in recorder.seen if s[0] == "a"] == [("a", "x.1"), ("a", "x.2")]


async def test_an_event_a_consumer_cannot_handle_is_set_aside_alone(
    sessions: async_sessionmaker[AsyncSession], recorder: Recorder
) -> None:
    kind = recorder.kind
    recorder.poison = "x.bad"
    await publish(sessions, kind, ("a", "x.1"), ("b", "x.bad"), ("c", "x.1"))
    with pytest.raises(ValueError):
        async with sessions() as session, session.begin():
            await relay.relay_batch(session, 100)
    async with sessions() as session, session.begin():
        await relay.relay_isolating(session, 100)
    await drain(sessions)
    assert sorted(recorder.seen) == [("a", "x.1"), ("c", "x.1")]
    async with sessions() as session:
        bad = await session.scalar(
            select(OutboxEvent).where(
                OutboxEvent.aggregate_type == kind, OutboxEvent.event_type == "x.bad"
            )
        )
    assert bad is not None and bad.published_at is not None
    assert bad.relay_error == "ValueError: cannot handle this one"


async def test_published_events_are_purged_after_the_retention(
    sessions: async_sessionmaker[AsyncSession], recorder: Recorder
) -> None:
    kind = recorder.kind
    await publish(sessions, kind, ("old", "x.1"), ("new", "x.1"), ("waiting", "x.1"))
    async with sessions() as session, session.begin():
        now = datetime.now(UTC)
        for aggregate_id, published_at in (("old", now - timedelta(hours=100)), ("new", now)):
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.aggregate_type == kind, OutboxEvent.aggregate_id == aggregate_id)
                .values(published_at=published_at)
            )
    async with sessions() as session, session.begin():
        await relay.purge_published(session, 72)
    async with sessions() as session:
        left = (
            await session.scalars(
                select(OutboxEvent.aggregate_id)
                .where(OutboxEvent.aggregate_type == kind)
                .order_by(OutboxEvent.aggregate_id)
            )
        ).all()
    assert left == ["new", "waiting"]


async def test_stats_show_the_backlog_and_the_oldest_waiting_event(
    db: AsyncSession,
) -> None:
    await events.publish(db, "x.1", aggregate_type="stats", aggregate_id=1, payload={})
    await db.execute(
        update(OutboxEvent)
        .where(OutboxEvent.aggregate_type == "stats")
        .values(occurred_at=datetime.now(UTC) - timedelta(minutes=10))
    )
    stats = await relay.stats(db)
    assert stats.backlog >= 1 and stats.oldest_age_seconds >= 600


async def test_metrics_show_the_backlog_its_age_and_outcomes(
    sessions: async_sessionmaker[AsyncSession], recorder: Recorder, app: FastAPI
) -> None:
    await publish(sessions, recorder.kind, ("a", "x.1"))
    async with sessions() as session, session.begin():
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.aggregate_type == recorder.kind)
            .values(occurred_at=datetime.now(UTC) - timedelta(minutes=5))
        )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        waiting = _metrics((await http.get("/metrics")).text)
        await drain(sessions)
        after = _metrics((await http.get("/metrics")).text)
    assert waiting["redgrid_outbox_backlog"] >= 1
    assert waiting["redgrid_outbox_oldest_age_seconds"] >= 300
    assert after['redgrid_deliveries_total{consumer="relay",outcome="published"}'] >= 1
    assert 'redgrid_deliveries_pending{consumer="webhook"}' in after


def _metrics(text: str) -> dict[str, float]:
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values
