"""Rate limits with shared state: one limiter for sign-in throttling and per-client
limits, on the `limits` library (its rate strings, fixed-window strategy and storage
interface) with a PostgreSQL store, or Redis when ``REDGRID_REDIS_URL`` is set.

Usage (the API other domains rely on; keep it stable)::

    limiter = RateLimiter(PostgresStorage(lambda: app.state.session_factory))
    decision = await limiter.hit(parse("5/15minutes"), "login", username)
    if not decision.allowed:
        raise RateLimited(decision)          # 429, Retry-After, RateLimit-* headers
    response.headers.update(decision.headers())

``peek`` reads a limit without counting (refuse before the costly work, count only
failures), ``clear`` forgets it (a successful sign-in). Counters live in their own
short transaction, so a request that fails still counted its hit; under the test
harness that transaction is a savepoint of the test's and rolls back with it.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond, parse
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import AppError

__all__ = [
    "Decision",
    "PostgresStorage",
    "RateLimitItem",
    "RateLimitItemPerMinute",
    "RateLimitItemPerSecond",
    "RateLimited",
    "RateLimiter",
    "create_storage",
    "parse",
    "purge_expired",
]

TABLE = "rate_limit_counter"
SessionFactory = Callable[[], AsyncSession]
"""Gives a new session (``async_sessionmaker`` or the test harness's joined factory)."""

_INCR = text(
    f"""
    INSERT INTO {TABLE} AS c (key, count, expires_at)
    VALUES (:key, :amount, now() + make_interval(secs => :expiry))
    ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN c.expires_at <= now() THEN EXCLUDED.count
                     ELSE c.count + EXCLUDED.count END,
        expires_at = CASE WHEN c.expires_at <= now() THEN EXCLUDED.expires_at
                          ELSE c.expires_at END
    RETURNING count
    """
)
_GET = text(f"SELECT count FROM {TABLE} WHERE key = :key AND expires_at > now()")
_EXPIRY = text(
    f"SELECT extract(epoch FROM expires_at) FROM {TABLE} WHERE key = :key AND expires_at > now()"
)
_CLEAR = text(f"DELETE FROM {TABLE} WHERE key = :key")
_PURGE = text(f"DELETE FROM {TABLE} WHERE expires_at <= now()")


class PostgresStorage(Storage):
    """A `limits` storage in the table ``rate_limit_counter`` (key, count, expires_at):
    one upsert per hit, shared by every process of the deployment."""

    STORAGE_SCHEME: ClassVar[list[str]] = ["redgrid+postgresql"]

    def __init__(self, sessions: Callable[[], SessionFactory]) -> None:
        super().__init__(wrap_exceptions=False)
        # Looked up per call: the app's factory may be replaced after start-up (tests).
        self._sessions = sessions

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    async def _run(self, statement: Any, **params: Any) -> Any:
        async with self._sessions()() as session, session.begin():
            return (await session.execute(statement, params)).scalar()

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return int(await self._run(_INCR, key=key, amount=amount, expiry=float(expiry)))

    async def get(self, key: str) -> int:
        return int(await self._run(_GET, key=key) or 0)

    async def get_expiry(self, key: str) -> float:
        found = await self._run(_EXPIRY, key=key)
        return float(found) if found is not None else time.time()

    async def check(self) -> bool:
        return bool(await self._run(text("SELECT true")))

    async def reset(self) -> int | None:
        async with self._sessions()() as session, session.begin():
            return (await session.execute(text(f"DELETE FROM {TABLE}"))).rowcount  # type: ignore[attr-defined,no-any-return]

    async def clear(self, key: str) -> None:
        async with self._sessions()() as session, session.begin():
            await session.execute(_CLEAR, {"key": key})


async def purge_expired(session: AsyncSession) -> int:
    """Deletes the counters of the PostgreSQL store whose window has passed."""
    result = await session.execute(_PURGE)
    return int(result.rowcount)  # type: ignore[attr-defined]


def create_storage(sessions: Callable[[], SessionFactory], redis_url: str | None = None) -> Storage:
    """Redis (`limits`' own async storage; needs the ``coredis`` package) when a URL is
    given, else the PostgreSQL store."""
    if redis_url:
        return storage_from_string(f"async+{redis_url}")
    return PostgresStorage(sessions)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int
    """Seconds until the window ends and the limit is whole again."""

    def headers(self) -> dict[str, str]:
        """RateLimit-Limit/-Remaining/-Reset (draft-ietf-httpapi-ratelimit-headers), and
        Retry-After (RFC 9110 §10.2.3) when refused."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_after),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_after)
        return headers


class RateLimited(AppError):
    """429 with Retry-After and the RateLimit headers (RFC 6585 §4)."""

    status = 429
    code = "request.rate_limited"
    message_zh = "请求过于频繁，请稍后再试"
    message_en = "Too many requests; try again later"

    def __init__(
        self, decision: Decision, detail_zh: str | None = None, detail_en: str | None = None
    ) -> None:
        minutes = math.ceil(decision.reset_after / 60)
        super().__init__(
            detail_zh or f"请求过于频繁，请 {minutes} 分钟后再试",
            detail_en or f"Too many requests; try again in {minutes} minutes",
            headers=decision.headers(),
            retry_after=decision.reset_after,
        )


class RateLimiter:
    """Fixed windows per (limit, identifiers), counted in shared storage."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._strategy = FixedWindowRateLimiter(storage)

    async def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> Decision:
        """Counts ``cost`` and says whether the caller was still within the limit."""
        allowed = await self._strategy.hit(item, *identifiers, cost=cost)
        return await self._decision(item, identifiers, allowed)

    async def peek(self, item: RateLimitItem, *identifiers: str) -> Decision:
        """Whether one more hit would be allowed, counting nothing."""
        allowed = await self._strategy.test(item, *identifiers)
        return await self._decision(item, identifiers, allowed)

    async def clear(self, item: RateLimitItem, *identifiers: str) -> None:
        await self._strategy.clear(item, *identifiers)

    async def _decision(
        self, item: RateLimitItem, identifiers: tuple[str, ...], allowed: bool
    ) -> Decision:
        stats = await self._strategy.get_window_stats(item, *identifiers)
        reset_after = max(1, math.ceil(stats.reset_time - time.time()))
        return Decision(allowed, item.amount, stats.remaining, reset_after)
