"""grant_type=refresh_token: rotation within a family, reuse revokes the family,
sign-out, and exactly one winner when the same token is sent many times at once."""

import asyncio
import hashlib
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.auth.models import RefreshToken
from app.kit.hashing import hash_password
from app.users.models import UserAccount
from tests.support.cleanup import purge_audit
from tests.support.factory import PASSWORD
from tests.support.problems import assert_problem
from tests.users.helpers import World, audit_events

TOKEN_URL = "/api/v1/auth/token"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post(
        TOKEN_URL, data={"grant_type": "password", "username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(
        TOKEN_URL, data={"grant_type": "refresh_token", "refresh_token": token}
    )


async def _rows(db: AsyncSession, user_id: int) -> list[RefreshToken]:
    query = (
        select(RefreshToken)
        .where(RefreshToken.user_id == user_id)
        .order_by(RefreshToken.id)
        .execution_options(populate_existing=True)
    )
    return list((await db.execute(query)).scalars().all())


async def test_rotation_issues_the_next_token_of_the_family(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    first = (await _login(client, world.target.username))["refresh_token"]
    response = await _refresh(client, first)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["refresh_token"] != first and body["access_token"]
    assert response.headers["cache-control"] == "no-store"
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["id"] == world.target.id
    old, new = await _rows(db, world.target.id)
    # Only hashes are stored, never the tokens.
    assert (old.token_hash, new.token_hash) == (_digest(first), _digest(body["refresh_token"]))
    assert old.family_id == new.family_id
    assert old.used_at is not None and new.used_at is None
    assert old.revoked_at is None and new.revoked_at is None
    third = await _refresh(client, body["refresh_token"])
    assert third.status_code == 200


async def test_reusing_a_spent_token_revokes_the_whole_family(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    first = (await _login(client, world.target.username))["refresh_token"]
    second = (await _refresh(client, first)).json()["refresh_token"]
    other_device = (await _login(client, world.target.username))["refresh_token"]

    replay = await _refresh(client, first)
    assert_problem(replay, 400, "auth.invalid_grant")
    # The token issued by the rotation is revoked too: whoever stole `first` may hold it.
    assert_problem(await _refresh(client, second), 400, "auth.invalid_grant")
    family = {row.family_id for row in await _rows(db, world.target.id)}
    rows = await _rows(db, world.target.id)
    revoked_families = {r.family_id for r in rows if r.revoked_at is not None}
    assert len(family) == 2 and len(revoked_families) == 1
    # Another sign-in (another family) is untouched.
    assert (await _refresh(client, other_device)).status_code == 200
    (event,) = await audit_events(db, action="auth.refresh_reuse")
    assert (event.actor_user_id, event.outcome) == (world.target.id, "failure")
    assert event.community_id == world.tree["c1"].id


async def test_unknown_and_expired_tokens_are_invalid_grants(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    assert_problem(await _refresh(client, "not-a-token"), 400, "auth.invalid_grant")
    token = (await _login(client, world.target.username))["refresh_token"]
    await db.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == _digest(token))
        .values(expires_at=func.now() - timedelta(seconds=1))
    )
    assert_problem(await _refresh(client, token), 400, "auth.invalid_grant")
    (row,) = await _rows(db, world.target.id)
    assert row.used_at is None and row.revoked_at is None  # expired, not reused
    assert_problem(
        await client.post(TOKEN_URL, data={"grant_type": "refresh_token"}),
        400,
        "auth.invalid_request",
    )


async def test_disabled_account_cannot_refresh(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    token = (await _login(client, world.target.username))["refresh_token"]
    await db.execute(
        update(UserAccount).where(UserAccount.id == world.target.id).values(is_active=False)
    )
    assert_problem(await _refresh(client, token), 400, "auth.invalid_grant")
    (row,) = await _rows(db, world.target.id)
    assert row.revoked_at is not None


async def test_logout_revokes_the_family(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    first = (await _login(client, world.target.username))["refresh_token"]
    second = (await _refresh(client, first)).json()["refresh_token"]
    response = await client.post("/api/v1/auth/logout", json={"refresh_token": second})
    assert response.status_code == 204
    assert_problem(await _refresh(client, second), 400, "auth.invalid_grant")
    assert all(row.revoked_at is not None for row in await _rows(db, world.target.id))
    (event,) = await audit_events(db, action="auth.logout")
    assert event.actor_user_id == world.target.id
    unknown = await client.post("/api/v1/auth/logout", json={"refresh_token": "whatever"})
    assert unknown.status_code == 204


async def test_same_token_in_parallel_has_exactly_one_winner(
    live_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """Real, independent connections: each request commits its own transaction."""
    username = f"parallel_{uuid.uuid4().hex[:12]}"
    async with engine.begin() as conn:
        user_id = (
            await conn.execute(
                text(
                    "INSERT INTO user_account (username, display_name, password_hash) "
                    "VALUES (:u, '并发', :h) RETURNING id"
                ),
                {"u": username, "h": hash_password(PASSWORD)},
            )
        ).scalar_one()
    try:
        token = (await _login(live_client, username))["refresh_token"]
        responses = await asyncio.gather(*(_refresh(live_client, token) for _ in range(8)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [400] * 7, [r.text for r in responses]
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(RefreshToken.used_at, RefreshToken.revoked_at).where(
                        RefreshToken.user_id == user_id
                    )
                )
            ).all()
        # One rotation happened (two tokens), and the losers' replays revoked the family.
        assert len(rows) == 2
        assert all(revoked is not None for _, revoked in rows)
    finally:
        async with engine.begin() as conn:
            await purge_audit(conn, users=[user_id])
            await conn.execute(delete(UserAccount).where(UserAccount.id == user_id))
