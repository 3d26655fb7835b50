"""The nonce store of signed requests (app/kit/nonces.py) in PostgreSQL: a nonce is
taken once per client while it lives; an expired one (past twice the window, so its
request would be refused as expired anyway) may be taken again, and is purged."""

from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.nonces import RequestNonce
from app.kit.nonces import PostgresNonces, purge_expired


async def test_once_per_client_until_it_expires(app: FastAPI, db: AsyncSession) -> None:
    store = PostgresNonces(lambda: app.state.session_factory)
    assert await store.claim("cli_a", "nonce-0000000001", 600)
    assert not await store.claim("cli_a", "nonce-0000000001", 600)
    assert await store.claim("cli_b", "nonce-0000000001", 600)

    await db.execute(
        text(
            "UPDATE request_nonce SET expires_at = now() - interval '1 second' "
            "WHERE client_id = 'cli_a'"
        )
    )
    assert await store.claim("cli_a", "nonce-0000000001", 600)  # taken again once expired
    assert not await store.claim("cli_a", "nonce-0000000001", 600)

    await db.execute(
        text(
            "UPDATE request_nonce SET expires_at = now() - interval '1 second' "
            "WHERE client_id = 'cli_b'"
        )
    )
    assert await purge_expired(db) == 1
    left = await db.execute(
        select(RequestNonce.client_id, func.count()).group_by(RequestNonce.client_id)
    )
    assert left.all() == [("cli_a", 1)]
