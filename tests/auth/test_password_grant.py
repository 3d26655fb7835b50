"""grant_type=password: argon2id, identical refusals, lockout (等保 2.0), audit."""

from datetime import timedelta

import httpx
from argon2 import PasswordHasher
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.users.models import UserAccount
from tests.support.factory import PASSWORD
from tests.support.problems import assert_problem
from tests.users.helpers import World, audit_events

TOKEN_URL = "/api/v1/auth/token"


def password_form(username: str, password: str = PASSWORD) -> dict[str, str]:
    return {"grant_type": "password", "username": username, "password": password}


async def _columns(db: AsyncSession, user_id: int) -> dict[str, object]:
    row = (
        await db.execute(
            select(
                UserAccount.failed_logins,
                UserAccount.locked_until,
                UserAccount.last_login_at,
                UserAccount.password_hash,
            ).where(UserAccount.id == user_id)
        )
    ).one()
    return dict(row._mapping)


async def test_success_returns_rfc6749_tokens_and_is_audited(
    client: httpx.AsyncClient, db: AsyncSession, world: World, settings: Settings
) -> None:
    response = await client.post(TOKEN_URL, data=password_form(world.target.username))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_ttl_seconds
    assert response.headers["cache-control"] == "no-store"
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["id"] == world.target.id
    assert (await _columns(db, world.target.id))["last_login_at"] is not None
    (event,) = await audit_events(db, action="auth.login", actor_user_id=world.target.id)
    assert (event.outcome, event.actor_name) == ("success", world.target.username)
    # Filed at the account's first grant (a grid of c1), so c1's admins see it.
    assert (event.community_id, event.grid_id) == (world.tree["c1"].id, world.tree["g1"].id)
    assert PASSWORD not in event.summary


async def test_wrong_password_and_unknown_user_look_the_same(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    wrong = await client.post(TOKEN_URL, data=password_form(world.target.username, "Wrong#123"))
    unknown = await client.post(TOKEN_URL, data=password_form("nobody_here", "Wrong#123"))
    for response in (wrong, unknown):
        assert_problem(response, 400, "auth.invalid_grant")
        assert response.json()["error"] == "invalid_grant"
    strip = ("request_id", "instance")
    assert {k: v for k, v in wrong.json().items() if k not in strip} == {
        k: v for k, v in unknown.json().items() if k not in strip
    }
    (failed,) = await audit_events(db, action="auth.login", actor_user_id=world.target.id)
    assert failed.outcome == "failure" and "Wrong#123" not in failed.summary
    (stranger,) = await audit_events(db, action="auth.login", actor_name="nobody_here")
    assert (stranger.outcome, stranger.actor_user_id, stranger.town_id) == ("failure", None, None)


async def test_failure_counter_is_committed_despite_the_error(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    # Each request's session joins the test transaction through a savepoint, which is
    # rolled back if the request fails by raising: the count survives only if committed.
    for expected in (1, 2):
        response = await client.post(TOKEN_URL, data=password_form(world.target.username, "x"))
        assert response.status_code == 400
        assert (await _columns(db, world.target.id))["failed_logins"] == expected
    failures = await audit_events(db, action="auth.login", outcome="failure")
    assert [e.actor_user_id for e in failures] == [world.target.id] * 2


async def test_five_failures_lock_the_account(
    client: httpx.AsyncClient, db: AsyncSession, world: World, settings: Settings
) -> None:
    username = world.target.username
    for _ in range(settings.login_max_failures - 1):
        response = await client.post(TOKEN_URL, data=password_form(username, "Wrong#123"))
        assert_problem(response, 400, "auth.invalid_grant")
    fifth = await client.post(TOKEN_URL, data=password_form(username, "Wrong#123"))
    assert_problem(fifth, 423, "auth.account_locked")
    assert int(fifth.headers["retry-after"]) == settings.login_lockout_minutes * 60
    locked = await client.post(TOKEN_URL, data=password_form(username))
    assert_problem(locked, 423, "auth.account_locked")
    assert 0 < int(locked.headers["retry-after"]) <= settings.login_lockout_minutes * 60
    columns = await _columns(db, world.target.id)
    assert columns["failed_logins"] == settings.login_max_failures
    assert columns["locked_until"] is not None
    events = await audit_events(db, action="auth.login", actor_user_id=world.target.id)
    assert [e.outcome for e in events] == ["failure"] * (settings.login_max_failures + 1)
    assert "锁定" in events[-1].summary

    # The lock is over (set in the past rather than waiting): the right password works.
    await db.execute(
        update(UserAccount)
        .where(UserAccount.id == world.target.id)
        .values(locked_until=func.now() - timedelta(seconds=1))
    )
    unlocked = await client.post(TOKEN_URL, data=password_form(username))
    assert unlocked.status_code == 200, unlocked.text
    columns = await _columns(db, world.target.id)
    assert (columns["failed_logins"], columns["locked_until"]) == (0, None)


async def test_failures_outside_the_window_start_a_new_count(
    client: httpx.AsyncClient, db: AsyncSession, world: World, settings: Settings
) -> None:
    window = timedelta(minutes=settings.login_failure_window_minutes, seconds=1)
    await db.execute(
        update(UserAccount)
        .where(UserAccount.id == world.target.id)
        .values(
            failed_logins=settings.login_max_failures - 1,
            failure_window_started_at=func.now() - window,
        )
    )
    response = await client.post(TOKEN_URL, data=password_form(world.target.username, "x"))
    assert_problem(response, 400, "auth.invalid_grant")
    columns = await _columns(db, world.target.id)
    assert (columns["failed_logins"], columns["locked_until"]) == (1, None)


async def test_disabled_account_is_refused_like_a_wrong_password(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    await db.execute(
        update(UserAccount).where(UserAccount.id == world.target.id).values(is_active=False)
    )
    response = await client.post(TOKEN_URL, data=password_form(world.target.username))
    assert_problem(response, 400, "auth.invalid_grant")


async def test_outdated_hash_is_upgraded_on_sign_in(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    await db.execute(
        update(UserAccount).where(UserAccount.id == world.target.id).values(password_hash=weak)
    )
    response = await client.post(TOKEN_URL, data=password_form(world.target.username))
    assert response.status_code == 200
    upgraded = (await _columns(db, world.target.id))["password_hash"]
    assert isinstance(upgraded, str) and upgraded != weak
    assert upgraded.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


async def test_malformed_requests(client: httpx.AsyncClient, world: World) -> None:
    unsupported = await client.post(TOKEN_URL, data={"grant_type": "implicit"})
    assert_problem(unsupported, 400, "auth.unsupported_grant_type")
    assert unsupported.json()["error"] == "unsupported_grant_type"
    missing = await client.post(TOKEN_URL, data={"grant_type": "password", "username": "a"})
    assert_problem(missing, 400, "auth.invalid_request")
    no_grant = await client.post(TOKEN_URL, data={"username": "a"})
    assert_problem(no_grant, 422, "request.validation_failed")
    english = await client.post(
        TOKEN_URL, data={"grant_type": "implicit"}, headers={"Accept-Language": "en"}
    )
    assert english.json()["title"].startswith("Unsupported grant_type")
