"""Binding a phone number through WeChat's getPhoneNumber exchange: a number on record
makes the new WeChat user a resident at once."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.onboarding.conftest import APP_ID, wechat_user
from tests.support.factory import make_person, make_user
from tests.support.fake_wechat import FakeWechat
from tests.support.problems import assert_problem
from tests.support.world import World
from tests.users.helpers import audit_events

URL = "/api/v1/me/phone"
ORDER = {
    "category": "repair",
    "title": "楼道灯不亮",
    "description": "坏了一周",
    "channel": "miniprogram",
}


class TestBindPhone:
    async def test_without_token_is_401(self, http: httpx.AsyncClient, world: World) -> None:
        response = await http.post(URL, json={"app_id": APP_ID, "code": "x"})
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_number_on_record_links_the_person_and_grants_resident(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, fake_wechat: FakeWechat
    ) -> None:
        person = await make_person(db, world.unit("h1"), name="王大妈", mobile="13900001111")
        resident = await wechat_user(http, fake_wechat, "openid-match")
        fake_wechat.add_phone_code("phone-1", "13900001111")

        response = await http.post(
            URL, json={"app_id": APP_ID, "code": "phone-1"}, headers=resident.headers
        )
        assert response.status_code == 200, response.text
        assert response.json() == {
            "status": "verified",
            "person_id": person.id,
            "household_id": world.id("h1"),
            "mobile": "139****1111",
        }
        # The exchange used the app's access token, fetched from the fake.
        (call,) = fake_wechat.phone_calls
        assert call["code"] == "phone-1" and call["token"] in fake_wechat.tokens

        me = (await http.get("/api/v1/me", headers=resident.headers)).json()
        assert me["person"] == {"id": person.id, "name": "王大妈", "mobile": "139****1111"}
        assert [(g["role"], g["org_unit_id"]) for g in me["grants"]] == [
            ("resident", world.id("h1"))
        ]
        order = await http.post("/api/v1/orders", json=ORDER, headers=resident.headers)
        assert order.status_code == 201, order.text
        assert order.json()["resident_person_id"] == person.id

        (event,) = await audit_events(db, action="onboarding.link")
        assert event.actor_user_id == resident.user_id and "13900001111" not in event.summary
        assert event.household_id == world.id("h1")

    async def test_unknown_number_keeps_nothing_and_says_unmatched(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, fake_wechat: FakeWechat
    ) -> None:
        resident = await wechat_user(http, fake_wechat, "openid-nomatch")
        fake_wechat.add_phone_code("phone-2", "13700002222")
        response = await http.post(
            URL, json={"app_id": APP_ID, "code": "phone-2"}, headers=resident.headers
        )
        assert response.json() == {"status": "unmatched", "mobile": "137****2222"}
        me = (await http.get("/api/v1/me", headers=resident.headers)).json()
        assert me["person"] is None and me["grants"] == [] and me["permissions"] == []
        status = await http.get("/api/v1/me/onboarding", headers=resident.headers)
        assert status.json() == {"status": "none"}
        assert len(await audit_events(db, action="onboarding.phone_unmatched")) == 1

    async def test_shared_number_matches_nobody(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, fake_wechat: FakeWechat
    ) -> None:
        await make_person(db, world.unit("h1"), mobile="13900003333")
        await make_person(db, world.unit("b1"), mobile="13900003333")
        resident = await wechat_user(http, fake_wechat, "openid-shared")
        fake_wechat.add_phone_code("phone-3", "13900003333")
        response = await http.post(
            URL, json={"app_id": APP_ID, "code": "phone-3"}, headers=resident.headers
        )
        assert response.json()["status"] == "unmatched"

    async def test_bad_or_used_code_is_422(
        self, http: httpx.AsyncClient, world: World, fake_wechat: FakeWechat
    ) -> None:
        resident = await wechat_user(http, fake_wechat, "openid-badcode")
        body = {"app_id": APP_ID, "code": "never-issued"}
        response = await http.post(URL, json=body, headers=resident.headers)
        assert_problem(response, 422, "onboarding.phone_code_invalid")

    async def test_foreign_number_is_refused(
        self, http: httpx.AsyncClient, world: World, fake_wechat: FakeWechat
    ) -> None:
        resident = await wechat_user(http, fake_wechat, "openid-foreign")
        fake_wechat.add_phone_code("phone-hk", "91234567", country="852")
        body = {"app_id": APP_ID, "code": "phone-hk"}
        response = await http.post(URL, json=body, headers=resident.headers)
        assert_problem(response, 422, "onboarding.phone_code_invalid")

    async def test_expired_token_is_refreshed_once(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, fake_wechat: FakeWechat
    ) -> None:
        await make_person(db, world.unit("h1"), mobile="13900004444")
        first = await wechat_user(http, fake_wechat, "openid-t1")
        fake_wechat.add_phone_code("phone-4", "13700004444")
        await http.post(URL, json={"app_id": APP_ID, "code": "phone-4"}, headers=first.headers)
        fake_wechat.expire_tokens()
        second = await wechat_user(http, fake_wechat, "openid-t2")
        fake_wechat.add_phone_code("phone-5", "13900004444")
        response = await http.post(
            URL, json={"app_id": APP_ID, "code": "phone-5"}, headers=second.headers
        )
        assert response.json()["status"] == "verified"
        assert len(fake_wechat.token_calls) == 2

    async def test_person_bound_to_another_account_is_409(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, fake_wechat: FakeWechat
    ) -> None:
        person = await make_person(db, world.unit("h1"), mobile="13900005555")
        await make_user(db, person_id=person.id)
        resident = await wechat_user(http, fake_wechat, "openid-taken")
        fake_wechat.add_phone_code("phone-6", "13900005555")
        response = await http.post(
            URL, json={"app_id": APP_ID, "code": "phone-6"}, headers=resident.headers
        )
        assert_problem(response, 409, "onboarding.person_taken")

    async def test_a_linked_account_cannot_bind_again(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, fake_wechat: FakeWechat
    ) -> None:
        await make_person(db, world.unit("h1"), mobile="13900006666")
        resident = await wechat_user(http, fake_wechat, "openid-twice")
        fake_wechat.add_phone_code("phone-7", "13900006666")
        fake_wechat.add_phone_code("phone-8", "13900006666")
        await http.post(URL, json={"app_id": APP_ID, "code": "phone-7"}, headers=resident.headers)
        response = await http.post(
            URL, json={"app_id": APP_ID, "code": "phone-8"}, headers=resident.headers
        )
        assert_problem(response, 409, "onboarding.already_onboarded")

    async def test_unknown_app_is_422(
        self, http: httpx.AsyncClient, world: World, fake_wechat: FakeWechat
    ) -> None:
        resident = await wechat_user(http, fake_wechat, "openid-app")
        response = await http.post(
            URL, json={"app_id": "wx_nope", "code": "c"}, headers=resident.headers
        )
        assert_problem(response, 422, "wechat.unknown_app")
