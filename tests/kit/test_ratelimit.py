"""app/kit/ratelimit.py: fixed windows in PostgreSQL shared by every connection,
counted exactly under parallel hits, with the 429 headers."""

import asyncio
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.kit.ratelimit import (
    Decision,
    PostgresStorage,
    RateLimited,
    RateLimiter,
    RateLimitItemPerMinute,
    parse,
)


@pytest.fixture
async def limiter(engine: AsyncEngine):  # type: ignore[no-untyped-def]
    sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    yield RateLimiter(PostgresStorage(lambda: sessions)), prefix
    async with engine.begin() as conn:
        await conn.execute(
            text("DELETE FROM rate_limit_counter WHERE key LIKE :p"), {"p": f"%{prefix}%"}
        )


async def test_hits_up_to_the_limit_then_refuses(limiter) -> None:  # type: ignore[no-untyped-def]
    limits, key = limiter
    item = parse("3/minute")
    decisions = [await limits.hit(item, key) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    refused = decisions[-1]
    assert 0 < refused.reset_after <= 60
    assert refused.headers() == {
        "RateLimit-Limit": "3",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": str(refused.reset_after),
        "Retry-After": str(refused.reset_after),
    }
    assert not (await limits.peek(item, key)).allowed
    await limits.clear(item, key)
    assert (await limits.peek(item, key)).allowed


async def test_peek_counts_nothing_and_keys_are_separate(limiter) -> None:  # type: ignore[no-untyped-def]
    limits, key = limiter
    item = RateLimitItemPerMinute(1, 15)
    for _ in range(3):
        assert (await limits.peek(item, key, "a")).allowed
    assert (await limits.hit(item, key, "a")).allowed
    assert not (await limits.hit(item, key, "a")).allowed
    assert (await limits.hit(item, key, "b")).allowed
    assert (await limits.hit(parse("1/hour"), key, "a")).allowed


async def test_a_passed_window_starts_again(limiter, engine: AsyncEngine) -> None:  # type: ignore[no-untyped-def]
    limits, key = limiter
    item = parse("1/minute")
    await limits.hit(item, key)
    assert not (await limits.hit(item, key)).allowed
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE rate_limit_counter SET expires_at = now() WHERE key LIKE :p"),
            {"p": f"%{key}%"},
        )
    assert (await limits.hit(item, key)).allowed


async def test_parallel_hits_from_separate_connections_are_counted_exactly(limiter) -> None:  # type: ignore[no-untyped-def]
    limits, key = limiter
    item = parse("7/minute")
    decisions = await asyncio.gather(*(limits.hit(item, key) for _ in range(20)))
    assert sum(d.allowed for d in decisions) == 7


def test_rate_limited_is_a_429_with_the_headers() -> None:
    error = RateLimited(Decision(False, 5, 0, 90))
    assert error.status == 429 and error.code == "request.rate_limited"
    assert error.headers["Retry-After"] == "90"
    assert error.extra["retry_after"] == 90
    assert "2 分钟" in error.detail("zh")
