"""Single-use nonces shared by every worker: a signed request's nonce is accepted once.

Kept in PostgreSQL (table ``request_nonce``, unique per client and nonce, with an
expiry), which every worker of a deployment shares. A claim commits in its
own short transaction, like the rate-limit counters: a nonce stays spent even when the
request it came with fails later, so a failed request cannot be replayed either. Two
requests racing with one nonce meet on the unique key: the second waits for the
first's commit and then finds the nonce taken (exactly one wins).

A nonce need only be remembered while its timestamp is inside the window: a replay
after that is refused as expired. Claims last ``ttl`` seconds (the caller passes twice
the window, covering clocks ahead of ours), and ``purge_expired`` drops the rest.
"""

from collections.abc import Callable
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["NonceStore", "PostgresNonces", "purge_expired"]

TABLE = "request_nonce"
SessionFactory = Callable[[], AsyncSession]

# An expired row not yet purged may be taken again (its timestamp window has passed).
_CLAIM = text(
    f"""
    INSERT INTO {TABLE} AS n (client_id, nonce, expires_at)
    VALUES (:client_id, :nonce, now() + make_interval(secs => :ttl))
    ON CONFLICT (client_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
        WHERE n.expires_at <= now()
    RETURNING true
    """
)
_PURGE = text(f"DELETE FROM {TABLE} WHERE expires_at <= now()")


class NonceStore(Protocol):
    async def claim(self, client_id: str, nonce: str, ttl: int) -> bool:
        """True the first time ``nonce`` is presented for ``client_id`` within ``ttl``."""
        ...


class PostgresNonces:
    def __init__(self, sessions: Callable[[], SessionFactory]) -> None:
        # Looked up per call: the app's factory may be replaced after start-up (tests).
        self._sessions = sessions

    async def claim(self, client_id: str, nonce: str, ttl: int) -> bool:
        async with self._sessions()() as session, session.begin():
            found = await session.execute(
                _CLAIM, {"client_id": client_id, "nonce": nonce, "ttl": float(ttl)}
            )
            return found.scalar() is not None


async def purge_expired(session: AsyncSession) -> int:
    """Deletes the PostgreSQL store's nonces whose window has passed."""
    result = await session.execute(_PURGE)
    return int(result.rowcount)  # type: ignore[attr-defined]
