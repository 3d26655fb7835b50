"""A password account links a WeChat identity, signs in with it, and unlinks it."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.onboarding.conftest import APP_ID, wechat_user
from tests.support.fake_wechat import FakeWechat
from tests.support.problems import assert_problem
from tests.support.world import World
from tests.users.helpers import audit_events

URL = "/api/v1/me/wechat"


class TestLinkWechat:
    async def test_without_token_is_401(self, http: httpx.AsyncClient, world: World) -> None:
        response = await http.post(URL, json={"app_id": APP_ID, "code": "x"})
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_link_sign_in_unlink(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, fake_wechat: FakeWechat
    ) -> None:
        fake_wechat.add_code("link-1", openid="openid-staff", unionid="union-staff")
        linked = await http.post(
            URL, json={"app_id": APP_ID, "code": "link-1"}, headers=world["grid_worker"]
        )
        assert linked.status_code == 200, linked.text
        assert linked.json() == {"wechat_identities": 2}

        fake_wechat.add_code("login-1", openid="openid-staff")
        signed = await http.post("/api/v1/auth/wechat", json={"code": "login-1", "app_id": APP_ID})
        token = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        me = (await http.get("/api/v1/me", headers=token)).json()
        assert me["id"] == world.users["grid_worker"].id

        assert (await http.delete(URL, headers=world["grid_worker"])).status_code == 204
        fake_wechat.add_code("login-2", openid="openid-staff")
        signed = await http.post("/api/v1/auth/wechat", json={"code": "login-2", "app_id": APP_ID})
        again = (
            await http.get(
                "/api/v1/me", headers={"Authorization": f"Bearer {signed.json()['access_token']}"}
            )
        ).json()
        assert again["id"] != world.users["grid_worker"].id  # a new account now
        assert len(await audit_events(db, action="auth.wechat_link")) == 1
        assert len(await audit_events(db, action="auth.wechat_unlink")) == 1

    async def test_identity_of_another_account_is_409(
        self, http: httpx.AsyncClient, world: World, fake_wechat: FakeWechat
    ) -> None:
        await wechat_user(http, fake_wechat, "openid-someone")
        fake_wechat.add_code("link-2", openid="openid-someone")
        response = await http.post(
            URL, json={"app_id": APP_ID, "code": "link-2"}, headers=world["grid_worker"]
        )
        assert_problem(response, 409, "auth.wechat_taken")

    async def test_bad_code_is_422(self, http: httpx.AsyncClient, world: World) -> None:
        response = await http.post(
            URL, json={"app_id": APP_ID, "code": "nope"}, headers=world["grid_worker"]
        )
        assert_problem(response, 422, "auth.wechat_link_code_invalid")

    async def test_wechat_only_account_may_not_unlink(
        self, http: httpx.AsyncClient, world: World, fake_wechat: FakeWechat
    ) -> None:
        who = await wechat_user(http, fake_wechat, "openid-only")
        response = await http.delete(URL, headers=who.headers)
        assert_problem(response, 422, "auth.last_sign_in_method")
