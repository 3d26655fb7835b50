"""Secure defaults (issue 15): development secrets stay on loopback and in development,
tokens name their audience and die with a password change or a sign-out everywhere,
common passwords are refused, and users change their own password."""

import time
import warnings

import httpx
import jwt
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.tokens import ALGORITHM, ISSUER, issue_access_token
from app.config import DEV_SECRET_KEY, Settings, refuse_public_bind
from app.demo.town import DEMO_PASSWORD
from app.kit.passwords import check_password_policy
from tests.support.cli import STRONG_SECRETS, redgrid
from tests.support.factory import PASSWORD
from tests.support.problems import assert_problem
from tests.users.helpers import World, audit_events

TOKEN_URL = "/api/v1/auth/token"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    response = await client.post(
        TOKEN_URL, data={"grant_type": "password", "username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


class TestDevelopmentSecrets:
    def test_unset_environment_is_development_with_a_key_pyjwt_accepts(self) -> None:
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        assert settings.env == "development"
        assert len(DEV_SECRET_KEY.encode()) >= 32
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            token, _ = issue_access_token(settings, "user:1", version=1)
            jwt.decode(token, settings.secret_key, algorithms=[ALGORITHM], audience="redgrid-api")

    def test_development_secrets_listen_only_on_loopback(self) -> None:
        dev = Settings()
        for host in ("127.0.0.1", "::1", "localhost"):
            assert refuse_public_bind(dev, host) is None
        for host in ("0.0.0.0", "::", "192.168.1.10", "example.org"):
            assert refuse_public_bind(dev, host) is not None
        strong = Settings(secret_key="s" * 40, pii_key="p" * 40)
        assert refuse_public_bind(strong, "0.0.0.0") is None

    def test_serve_on_a_public_address_with_dev_secrets_refuses_to_start(self) -> None:
        result = redgrid("serve", "--host", "0.0.0.0", "--port", "8751")
        assert result.returncode == 1
        assert "refusing to listen on 0.0.0.0" in result.stderr

    @pytest.mark.parametrize("command", [["seed-demo"], ["serve", "--seed-demo", "--port", "8752"]])
    def test_demo_seed_is_refused_outside_development(self, command: list[str]) -> None:
        result = redgrid(
            *command,
            REDGRID_ENV="production",
            DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
            **STRONG_SECRETS,
        )
        assert result.returncode == 1
        assert "development only" in result.stderr


class TestAudience:
    async def test_a_token_without_or_with_another_audience_is_refused(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": f"user:{world.target.id}", "exp": now + 60, "ver": 1}
        for extra in ({}, {"aud": "another-service"}):
            token = jwt.encode({**claims, **extra}, settings.secret_key, algorithm=ALGORITHM)
            response = await client.get("/api/v1/me", headers=_bearer(token))
            assert_problem(response, 401, "auth.unauthenticated")
        good = jwt.encode(
            {**claims, "aud": "redgrid-api"}, settings.secret_key, algorithm=ALGORITHM
        )
        assert (await client.get("/api/v1/me", headers=_bearer(good))).status_code == 200


class TestTokenVersion:
    async def test_password_reset_ends_access_tokens(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        token = await _sign_in(client, world.target.username)
        assert (await client.get("/api/v1/me", headers=_bearer(token))).status_code == 200
        reset = await client.patch(
            f"/api/v1/users/{world.target.id}",
            json={"password": "Brand#New2026"},
            headers={**world.as_("admin"), "If-Match": 'W/"1"'},
        )
        assert reset.status_code == 200, reset.text
        after = await client.get("/api/v1/me", headers=_bearer(token))
        assert_problem(after, 401, "auth.unauthenticated")

    async def test_logout_all_ends_access_tokens(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        token = await _sign_in(client, world.target.username)
        other = await _sign_in(client, world.target.username)
        out = await client.post("/api/v1/auth/logout-all", headers=_bearer(token))
        assert out.status_code == 204
        for stale in (token, other):
            assert_problem(
                await client.get("/api/v1/me", headers=_bearer(stale)), 401, "auth.unauthenticated"
            )
        (event,) = await audit_events(db, action="auth.logout_all")
        assert event.target_id == str(world.target.id)
        assert (
            await client.get(
                "/api/v1/me", headers=_bearer(await _sign_in(client, world.target.username))
            )
        ).status_code == 200

    async def test_logout_all_needs_a_token(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.post("/api/v1/auth/logout-all"), 401, "auth.unauthenticated")


class TestPasswordPolicy:
    @pytest.mark.parametrize(
        "password", ["Password1", "Admin2026", "P@ssw0rd!", "Qwerty!23", "Woaini@520", "Zxcvbnm1!"]
    )
    def test_common_passwords_are_refused(self, password: str) -> None:
        assert "common" in check_password_policy(password)

    def test_the_username_may_not_be_in_the_password(self) -> None:
        assert "contains_username" in check_password_policy("Zhangwei#88", "zhangwei")
        assert check_password_policy("Hongxing#2026", "zhangwei") == []

    def test_the_demo_password_passes(self) -> None:
        assert DEMO_PASSWORD == "Hongqi@2026"
        assert check_password_policy(DEMO_PASSWORD, "admin") == []

    async def test_an_admin_cannot_set_a_common_password(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.patch(
            f"/api/v1/users/{world.target.id}",
            json={"password": "Admin2026"},
            headers={**world.as_("admin"), "If-Match": 'W/"1"'},
        )
        problem = assert_problem(response, 422, "user.weak_password")
        assert "common" in problem["violations"]


class TestChangeOwnPassword:
    URL = "/api/v1/me/password"

    async def test_needs_a_token(self, client: httpx.AsyncClient) -> None:
        body = {"current_password": PASSWORD, "new_password": "Lvshui#Qingshan8"}
        assert_problem(await client.post(self.URL, json=body), 401, "auth.unauthenticated")

    async def test_wrong_current_password(self, client: httpx.AsyncClient, world: World) -> None:
        body = {"current_password": "Wrong#pass1", "new_password": "Lvshui#Qingshan8"}
        response = await client.post(self.URL, json=body, headers=world.as_("target"))
        assert_problem(response, 422, "user.wrong_current_password")

    async def test_weak_new_password(self, client: httpx.AsyncClient, world: World) -> None:
        body = {"current_password": PASSWORD, "new_password": "Password1"}
        response = await client.post(self.URL, json=body, headers=world.as_("target"))
        assert_problem(response, 422, "user.weak_password")

    async def test_changes_it_and_ends_every_session(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        token = await _sign_in(client, world.target.username)
        body = {"current_password": PASSWORD, "new_password": "Lvshui#Qingshan8"}
        response = await client.post(self.URL, json=body, headers=_bearer(token))
        assert response.status_code == 204, response.text
        assert_problem(
            await client.get("/api/v1/me", headers=_bearer(token)), 401, "auth.unauthenticated"
        )
        await _sign_in(client, world.target.username, "Lvshui#Qingshan8")
        (event,) = await audit_events(db, action="user.change_password")
        assert "Lvshui" not in event.summary and event.outcome == "success"


async def test_wrong_current_passwords_are_throttled(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    body = {"current_password": "Wrong#pass1", "new_password": "Lvshui#Qingshan8"}
    for _ in range(settings.login_max_failures):
        response = await client.post("/api/v1/me/password", json=body, headers=world.as_("target"))
        assert_problem(response, 422, "user.wrong_current_password")
    right = {**body, "current_password": PASSWORD}
    throttled = await client.post("/api/v1/me/password", json=right, headers=world.as_("target"))
    assert_problem(throttled, 429, "request.rate_limited")
    assert int(throttled.headers["retry-after"]) > 0
