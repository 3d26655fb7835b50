"""grant_type=password: argon2id, identical refusals, lockout (等保 2.0), audit."""

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import select, update
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
    # What was typed for an unknown account is not kept (it may be a password typed in
    # the wrong field): a keyed digest stands for it.
    (stranger,) = await audit_events(db, action="auth.login", actor_user_id=None)
    assert (stranger.outcome, stranger.town_id) == ("failure", None)
    assert stranger.actor_name.startswith("unknown:") and "nobody" not in stranger.actor_name


async def _fail(client: httpx.AsyncClient, username: str, times: int) -> None:
    for _ in range(times):
        response = await client.post(TOKEN_URL, data=password_form(username, "Wrong#123"))
        assert_problem(response, 400, "auth.invalid_grant")


async def test_failures_are_throttled_not_locked_and_unknown_users_alike(
    client: httpx.AsyncClient, db: AsyncSession, world: World, settings: Settings
) -> None:
    answers = {}
    for username in (world.target.username, "nobody_here"):
        await _fail(client, username, settings.login_max_failures)
        # Throttled before the password is even checked: the right one waits too.
        throttled = await client.post(TOKEN_URL, data=password_form(username))
        problem = assert_problem(throttled, 429, "auth.too_many_attempts")
        retry_after = int(throttled.headers["retry-after"])
        assert 0 < retry_after <= settings.login_failure_window_minutes * 60
        assert throttled.headers["ratelimit-remaining"] == "0"
        answers[username] = {
            k: v for k, v in problem.items() if k not in ("request_id", "instance", "detail")
        }
    assert answers[world.target.username] == answers["nobody_here"]
    events = await audit_events(db, action="auth.login", actor_user_id=world.target.id)
    assert [e.outcome for e in events] == ["failure"] * (settings.login_max_failures + 1)
    assert "频繁" in events[-1].summary
    # Nothing in the account marks a lock that someone else could hold.
    assert not {"failed_logins", "locked_until"} & set(UserAccount.__table__.columns.keys())


async def test_another_source_is_not_held_back(
    app: FastAPI, client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    await _fail(client, world.target.username, settings.login_max_failures)
    assert_problem(
        await client.post(TOKEN_URL, data=password_form(world.target.username)),
        429,
        "auth.too_many_attempts",
    )
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        response = await other.post(TOKEN_URL, data=password_form(world.target.username))
    assert response.status_code == 200, response.text


async def test_one_source_is_throttled_across_usernames(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    per_name = settings.login_max_failures - 1
    names = [f"guess{i}" for i in range(settings.login_source_max_failures // per_name + 1)]
    answers = []
    for name in names:
        for _ in range(per_name):
            response = await client.post(TOKEN_URL, data=password_form(name, "Wrong#123"))
            answers.append(response.status_code)
    assert answers.count(400) == settings.login_source_max_failures
    assert set(answers[settings.login_source_max_failures :]) == {429}


async def test_a_success_clears_the_count_of_its_source(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    username = world.target.username
    await _fail(client, username, settings.login_max_failures - 1)
    assert (await client.post(TOKEN_URL, data=password_form(username))).status_code == 200
    await _fail(client, username, settings.login_max_failures - 1)
    assert (await client.post(TOKEN_URL, data=password_form(username))).status_code == 200


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
