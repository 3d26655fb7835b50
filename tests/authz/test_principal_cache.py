"""The caller's per-process cache (app.authz.cache): what it serves, and how fast a
revocation shows — at once in the process that made it, within the TTL elsewhere.

"Elsewhere" is simulated by changing the rows with raw SQL, which the cache's watch
does not see (as it does not see another process's changes); the TTL passes on an
injected clock, so no test waits or times anything."""

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz import cache
from app.authz.cache import PrincipalCache
from app.authz.principal import Principal
from app.config import Settings
from app.users.models import UserAccount
from tests.support.factory import bearer
from tests.support.problems import assert_problem
from tests.users.helpers import World, make_world


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def principal_cache(app: FastAPI, clock: Clock) -> Iterator[PrincipalCache]:
    """The app's cache replaced by one on ``clock`` with a 30 s TTL, for this test."""
    original = app.state.principal_cache
    app.state.principal_cache = PrincipalCache(30, clock=clock)
    try:
        yield app.state.principal_cache
    finally:
        app.state.principal_cache = original


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    return await make_world(db, settings)


def _principal(subject: str) -> Principal:
    return Principal(kind="user", subject=subject, display_name=subject)


# ---------------------------------------------------------------- the cache itself


def test_an_entry_lives_for_the_ttl_only(clock: Clock) -> None:
    principals = PrincipalCache(30, clock=clock)
    principals.put("user:1", _principal("user:1"), 1, cache.generation())
    clock.now += 29.9
    entry = principals.get("user:1")
    assert entry is not None and entry.principal.subject == "user:1"
    clock.now += 0.1
    assert principals.get("user:1") is None


def test_a_new_generation_drops_every_entry(clock: Clock) -> None:
    principals = PrincipalCache(30, clock=clock)
    principals.put("user:1", _principal("user:1"), 1, cache.generation())
    cache.invalidate()
    assert principals.get("user:1") is None


def test_what_was_loaded_before_an_invalidation_is_not_stored(clock: Clock) -> None:
    principals = PrincipalCache(30, clock=clock)
    loaded_in = cache.generation()
    cache.invalidate()  # a grant changed while the caller was being read
    principals.put("user:1", _principal("user:1"), 1, loaded_in)
    assert principals.get("user:1") is None
    assert len(principals) == 0


def test_ttl_zero_caches_nothing(clock: Clock) -> None:
    principals = PrincipalCache(0, clock=clock)
    principals.put("user:1", _principal("user:1"), 1, cache.generation())
    assert principals.get("user:1") is None


def test_the_oldest_entry_goes_first_when_full(clock: Clock) -> None:
    principals = PrincipalCache(30, clock=clock, max_entries=2)
    for n in (1, 2, 3):
        principals.put(f"user:{n}", _principal(f"user:{n}"), 1, cache.generation())
    assert principals.get("user:1") is None
    assert principals.get("user:2") is not None and principals.get("user:3") is not None


# ---------------------------------------------------------------- through HTTP


async def test_the_cache_never_serves_another_account(
    client: httpx.AsyncClient, world: World, principal_cache: PrincipalCache
) -> None:
    for _ in range(2):  # the second round is served from the cache
        for caller in ("admin", "weak", "auditor", "target"):
            me = await client.get("/api/v1/me", headers=world.as_(caller))
            assert me.status_code == 200
            assert me.json()["id"] == world.users[caller].id
    assert len(principal_cache) == 4


async def test_a_second_request_reads_no_account(
    client: httpx.AsyncClient, world: World, principal_cache: PrincipalCache, db: AsyncSession
) -> None:
    first = await client.get("/api/v1/me", headers=world.as_("weak"))
    assert first.status_code == 200
    # Renamed behind the cache's back (as another process would): still the cached name.
    await db.execute(
        text("UPDATE user_account SET display_name = 'renamed' WHERE id = :id"),
        {"id": world.weak.id},
    )
    entry = principal_cache.get(f"user:{world.weak.id}")
    assert entry is not None and entry.principal.display_name == world.weak.display_name


async def test_deactivation_elsewhere_takes_effect_within_the_ttl(
    client: httpx.AsyncClient,
    world: World,
    principal_cache: PrincipalCache,
    clock: Clock,
    db: AsyncSession,
) -> None:
    assert (await client.get("/api/v1/me", headers=world.as_("weak"))).status_code == 200
    await db.execute(
        text("UPDATE user_account SET is_active = false WHERE id = :id"), {"id": world.weak.id}
    )
    clock.now += 29  # within the bound, this process has not heard yet
    assert (await client.get("/api/v1/me", headers=world.as_("weak"))).status_code == 200
    clock.now += 1  # the bound has passed
    gone = await client.get("/api/v1/me", headers=world.as_("weak"))
    assert_problem(gone, 401, "auth.unauthenticated")


async def test_a_grant_revoked_elsewhere_stops_within_the_ttl(
    client: httpx.AsyncClient,
    world: World,
    principal_cache: PrincipalCache,
    clock: Clock,
    db: AsyncSession,
) -> None:
    users = "/api/v1/users?limit=5"
    assert (await client.get(users, headers=world.as_("auditor"))).status_code == 200
    await db.execute(text("DELETE FROM role_grant WHERE user_id = :id"), {"id": world.auditor.id})
    clock.now += 30
    assert_problem(await client.get(users, headers=world.as_("auditor")), 403, "auth.forbidden")


async def test_a_sign_out_elsewhere_ends_old_tokens_within_the_ttl(
    client: httpx.AsyncClient,
    world: World,
    principal_cache: PrincipalCache,
    clock: Clock,
    db: AsyncSession,
    settings: Settings,
) -> None:
    old = world.as_("weak")
    assert (await client.get("/api/v1/me", headers=old)).status_code == 200
    await db.execute(
        text("UPDATE user_account SET token_version = 2 WHERE id = :id"), {"id": world.weak.id}
    )
    clock.now += 30
    assert_problem(await client.get("/api/v1/me", headers=old), 401, "auth.unauthenticated")
    # A token of the new version is admitted; the old one stays refused, cached or not.
    from app.authz.tokens import issue_access_token

    token, _ = issue_access_token(settings, f"user:{world.weak.id}", version=2)
    new = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/me", headers=new)).status_code == 200
    assert_problem(await client.get("/api/v1/me", headers=old), 401, "auth.unauthenticated")


async def test_a_newer_token_than_the_cached_version_reloads(
    client: httpx.AsyncClient,
    world: World,
    principal_cache: PrincipalCache,
    db: AsyncSession,
    settings: Settings,
) -> None:
    """Signed out everywhere through another process, then signed in again there: the
    new token must not wait for this process's entry to expire."""
    from app.authz.tokens import issue_access_token

    assert (await client.get("/api/v1/me", headers=world.as_("weak"))).status_code == 200
    await db.execute(
        text("UPDATE user_account SET token_version = 2 WHERE id = :id"), {"id": world.weak.id}
    )
    token, _ = issue_access_token(settings, f"user:{world.weak.id}", version=2)
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


async def test_changes_made_in_this_process_take_effect_at_once(
    client: httpx.AsyncClient, world: World, principal_cache: PrincipalCache, db: AsyncSession
) -> None:
    """Through the API — no clock moves: revoking a grant, deactivating an account."""
    target = world.target
    assert (await client.get("/api/v1/me", headers=world.as_("target"))).status_code == 200
    grants = (await client.get(f"/api/v1/users/{target.id}", headers=world.as_("admin"))).json()[
        "grants"
    ]
    revoked = await client.delete(
        f"/api/v1/users/{target.id}/grants/{grants[0]['id']}", headers=world.as_("admin")
    )
    assert revoked.status_code == 204
    me = await client.get("/api/v1/me", headers=world.as_("target"))
    assert me.status_code == 200 and me.json()["grants"] == []

    # Without grants the account is out of the admin's scope: the superuser disables it.
    current = await client.get(f"/api/v1/users/{target.id}", headers=world.as_("root"))
    disabled = await client.patch(
        f"/api/v1/users/{target.id}",
        json={"is_active": False},
        headers={**world.as_("root"), "If-Match": current.headers["ETag"]},
    )
    assert disabled.status_code == 200
    gone = await client.get("/api/v1/me", headers=world.as_("target"))
    assert_problem(gone, 401, "auth.unauthenticated")


async def test_sign_out_everywhere_ends_the_token_at_once(
    client: httpx.AsyncClient, world: World, principal_cache: PrincipalCache
) -> None:
    headers = world.as_("weak")
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    assert (await client.post("/api/v1/auth/logout-all", headers=headers)).status_code == 204
    assert_problem(await client.get("/api/v1/me", headers=headers), 401, "auth.unauthenticated")


async def test_an_orm_flush_of_a_watched_table_invalidates(
    client: httpx.AsyncClient,
    world: World,
    principal_cache: PrincipalCache,
    db: AsyncSession,
    settings: Settings,
) -> None:
    """A change flushed by any session of this process (here the test's own) counts."""
    weak: UserAccount = world.weak
    assert (await client.get("/api/v1/me", headers=bearer(settings, weak))).status_code == 200
    weak.display_name = "改名"
    await db.flush()
    me = await client.get("/api/v1/me", headers=bearer(settings, weak))
    assert me.json()["display_name"] == "改名"


async def test_a_cached_caller_costs_no_statement(
    app: FastAPI, client: httpx.AsyncClient, world: World, principal_cache: PrincipalCache
) -> None:
    """The account and its grants are read on the first request only."""
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    def caller_reads() -> list[str]:
        return [s for s in seen if "FROM user_account" in s or "FROM role_grant" in s]

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        first = await client.get("/api/v1/org-units", headers=world.as_("weak"))
        assert first.status_code == 200
        assert len(caller_reads()) == 2  # the account, then its grants
        seen.clear()
        second = await client.get("/api/v1/org-units", headers=world.as_("weak"))
        assert second.status_code == 200
        assert seen  # the request itself still read its org units
        assert caller_reads() == []
    finally:
        event.remove(engine, "before_cursor_execute", record)
