"""Self-registration through the public address picker, verified or rejected by the
grid worker of that grid; household invitation codes."""

from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.onboarding.models import HouseholdInvitation
from app.people.models import Person
from tests.onboarding.conftest import APP_ID, INVITATION_URL, Resident, wechat_user
from tests.onboarding.test_phone import ORDER
from tests.support.factory import make_person
from tests.support.fake_wechat import FakeWechat
from tests.support.problems import assert_problem
from tests.support.world import World
from tests.users.helpers import audit_events

PICKER = "/api/v1/address-picker"
REGISTER = "/api/v1/me/registration"
PENDING = "/api/v1/resident-registrations"
INVITE = "/api/v1/household-invitations"
REDEEM = "/api/v1/me/household-invitation"


async def _grants(http: httpx.AsyncClient, who: Resident) -> list[tuple[str, int]]:
    me = (await http.get("/api/v1/me", headers=who.headers)).json()
    return [(g["role"], g["org_unit_id"]) for g in me["grants"]]


async def _register(
    http: httpx.AsyncClient, who: Resident, household_id: int, **more: object
) -> dict[str, object]:
    body = {"household_id": household_id, "name": "李四", "room": "101"} | more
    response = await http.post(REGISTER, json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


class TestAddressPicker:
    async def test_without_token_is_401(self, http: httpx.AsyncClient, world: World) -> None:
        response = await http.get(f"{PICKER}/communities", params={"q": "红星"})
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_new_account_walks_down_from_its_community(
        self, http: httpx.AsyncClient, world: World, fake_wechat: FakeWechat
    ) -> None:
        who = await wechat_user(http, fake_wechat, "openid-picker")
        found = await http.get(f"{PICKER}/communities", params={"q": "红星"}, headers=who.headers)
        assert found.json() == {
            "items": [{"id": world.id("c1"), "name": "红星社区", "level": "community"}]
        }
        grids = await http.get(f"{PICKER}/{world.id('c1')}/children", headers=who.headers)
        assert grids.json()["items"] == [
            {"id": world.id("g1"), "name": "红星一网格", "level": "grid"}
        ]
        households = await http.get(f"{PICKER}/{world.id('b1')}/children", headers=who.headers)
        assert [u["id"] for u in households.json()["items"]] == [world.id("h1")]

    async def test_nothing_above_a_community_is_listed(
        self, http: httpx.AsyncClient, world: World, fake_wechat: FakeWechat
    ) -> None:
        who = await wechat_user(http, fake_wechat, "openid-picker2")
        response = await http.get(f"{PICKER}/{world.id('town')}/children", headers=who.headers)
        assert_problem(response, 404, "onboarding.unit_not_found")


class TestSelfRegistration:
    async def test_pending_resident_files_and_follows_own_orders_only(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, fake_wechat: FakeWechat
    ) -> None:
        who = await wechat_user(http, fake_wechat, "openid-reg")
        answer = await _register(http, who, world.id("h1"))
        assert answer["status"] == "pending" and answer["household_id"] == world.id("h1")
        assert await _grants(http, who) == [("resident_pending", world.id("h1"))]
        me = (await http.get("/api/v1/me", headers=who.headers)).json()
        assert me["permissions"] == ["orders.submit"]

        order = await http.post("/api/v1/orders", json=ORDER, headers=who.headers)
        assert order.status_code == 201, order.text
        mine = await http.get("/api/v1/orders", headers=who.headers)
        assert [o["id"] for o in mine.json()["items"]] == [order.json()["id"]]
        people = await http.get("/api/v1/people", headers=who.headers)
        assert_problem(people, 403, "auth.forbidden")
        again = await http.post(
            REGISTER, json={"household_id": world.id("h1"), "name": "李四"}, headers=who.headers
        )
        assert_problem(again, 409, "onboarding.already_onboarded")
        (event,) = await audit_events(db, action="onboarding.register")
        assert event.household_id == world.id("h1")

    async def test_register_with_a_number_on_record_links_at_once(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, fake_wechat: FakeWechat
    ) -> None:
        person = await make_person(db, world.unit("b1"), mobile="13900007777")
        who = await wechat_user(http, fake_wechat, "openid-reg-match")
        fake_wechat.add_phone_code("p-reg", "13900007777")
        answer = await _register(http, who, world.id("h1"), app_id=APP_ID, phone_code="p-reg")
        assert answer == {
            "status": "verified",
            "person_id": person.id,
            "household_id": world.id("b1"),
        }

    async def test_a_town_is_not_a_home(
        self, http: httpx.AsyncClient, world: World, fake_wechat: FakeWechat
    ) -> None:
        who = await wechat_user(http, fake_wechat, "openid-reg-town")
        body = {"household_id": world.id("town"), "name": "李四"}
        response = await http.post(REGISTER, json=body, headers=who.headers)
        assert_problem(response, 422, "onboarding.not_a_household")


class TestGridWorkerDecides:
    async def test_list_verify(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, fake_wechat: FakeWechat
    ) -> None:
        who = await wechat_user(http, fake_wechat, "openid-verify")
        fake_wechat.add_phone_code("p-v", "13600008888")
        answer = await _register(http, who, world.id("h1"), app_id=APP_ID, phone_code="p-v")

        listed = await http.get(PENDING, headers=world["grid_worker"])
        (item,) = listed.json()["items"]
        assert item["id"] == answer["registration_id"] and item["person_name"] == "李四"
        assert item["mobile"] == "136****8888"  # grid workers hold no pii
        assert item["household_name"] == "1-101 中心户" and item["status"] == "pending"
        other = await http.get(PENDING, headers=world["grid_worker2"])
        assert other.json()["items"] == []
        url = f"{PENDING}/{answer['registration_id']}/verify"
        assert_problem(
            await http.post(url, headers=world["grid_worker2"]),
            404,
            "onboarding.registration_not_found",
        )
        assert_problem(await http.post(url, headers=who.headers), 403, "auth.forbidden")

        verified = await http.post(url, headers=world["grid_worker"])
        assert verified.status_code == 200, verified.text
        assert verified.json()["status"] == "verified"
        assert await _grants(http, who) == [("resident", world.id("h1"))]
        status = await http.get("/api/v1/me/onboarding", headers=who.headers)
        assert status.json()["status"] == "verified"
        assert_problem(
            await http.post(url, headers=world["grid_worker"]),
            409,
            "onboarding.registration_decided",
        )
        assert len(await audit_events(db, action="onboarding.verify")) == 1

    async def test_reject(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, fake_wechat: FakeWechat
    ) -> None:
        who = await wechat_user(http, fake_wechat, "openid-reject")
        answer = await _register(http, who, world.id("h1"))
        url = f"{PENDING}/{answer['registration_id']}/reject"
        rejected = await http.post(url, json={"reason": "查无此人"}, headers=world["grid_worker"])
        assert rejected.json()["status"] == "rejected"
        assert await _grants(http, who) == []
        status = (await http.get("/api/v1/me/onboarding", headers=who.headers)).json()
        assert status["status"] == "rejected" and status["reason"] == "查无此人"
        person = await db.scalar(select(Person).where(Person.id == answer["person_id"]))
        assert person is not None and person.is_archived
        me = (await http.get("/api/v1/me", headers=who.headers)).json()
        assert me["person"] is None
        # Rejected, they may register again.
        assert (await _register(http, who, world.id("h1")))["status"] == "pending"


class TestInvitationCodes:
    async def _invite(self, http: httpx.AsyncClient, world: World) -> dict[str, object]:
        response = await http.post(
            INVITE, json={"household_id": world.id("h1")}, headers=world["grid_worker"]
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def test_code_binds_in_one_step_once(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, fake_wechat: FakeWechat
    ) -> None:
        invitation = await self._invite(http, world)
        code = str(invitation["code"])
        assert len(code) == 8 and code.isalnum() and not set(code) & set("01OIL")
        assert invitation["qr_payload"] == f"{INVITATION_URL}?code={code}"

        who = await wechat_user(http, fake_wechat, "openid-invited")
        body = {"code": code.lower(), "name": "赵六"}
        joined = await http.post(REDEEM, json=body, headers=who.headers)
        assert joined.status_code == 200, joined.text
        assert joined.json()["status"] == "verified"
        assert await _grants(http, who) == [("resident", world.id("h1"))]

        late = await wechat_user(http, fake_wechat, "openid-late")
        again = await http.post(REDEEM, json=body, headers=late.headers)
        assert_problem(again, 422, "onboarding.invitation_invalid")
        assert len(await audit_events(db, action="onboarding.invite")) == 1
        assert len(await audit_events(db, action="onboarding.link")) == 1

    async def test_expired_code_is_refused(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, fake_wechat: FakeWechat
    ) -> None:
        invitation = await self._invite(http, world)
        await db.execute(
            update(HouseholdInvitation)
            .where(HouseholdInvitation.id == invitation["id"])
            .values(expires_at=HouseholdInvitation.created_at - timedelta(seconds=1))
        )
        who = await wechat_user(http, fake_wechat, "openid-expired")
        body = {"code": invitation["code"], "name": "赵六"}
        response = await http.post(REDEEM, json=body, headers=who.headers)
        assert_problem(response, 422, "onboarding.invitation_invalid")

    async def test_only_in_scope_households(
        self, http: httpx.AsyncClient, world: World, fake_wechat: FakeWechat
    ) -> None:
        response = await http.post(
            INVITE, json={"household_id": world.id("h1")}, headers=world["grid_worker2"]
        )
        assert_problem(response, 404, "onboarding.household_not_found")
        who = await wechat_user(http, fake_wechat, "openid-noinvite")
        response = await http.post(
            INVITE, json={"household_id": world.id("h1")}, headers=who.headers
        )
        assert_problem(response, 403, "auth.forbidden")
