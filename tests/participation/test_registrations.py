"""/api/v1/dual-registrations: 双报到 as records (when, where, confirmed by whom), 三个一."""

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.orders.models import VolunteerTeamMember
from tests.participation.conftest import World, audit_events
from tests.support.problems import assert_problem

URL = "/api/v1/dual-registrations"
UNITS = "/api/v1/work-units"


async def register(
    client: httpx.AsyncClient, world: World, body: dict[str, Any], caller: str = "member"
) -> httpx.Response:
    return await client.post(URL, json=body, headers=world[caller])


async def home(client: httpx.AsyncClient, world: World, node: str = "c1") -> dict[str, Any]:
    response = await register(client, world, {"kind": "home", "org_unit_id": world.unit(node).id})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def unit_with(
    client: httpx.AsyncClient, world: World, *, roster: list[int], paired: list[str]
) -> int:
    created = await client.post(
        UNITS,
        json={
            "org_unit_id": world.unit("town").id,
            "name": "县税务局",
            "kind": "government",
            "party_org_name": "县税务局机关党支部",
        },
        headers=world["town_admin"],
    )
    unit_id: int = created.json()["id"]
    for person_id in roster:
        added = await client.post(
            f"{UNITS}/{unit_id}/members", json={"person_id": person_id}, headers=world["town_admin"]
        )
        assert added.status_code == 201, added.text
    for node in paired:
        made = await client.post(
            f"{UNITS}/{unit_id}/pairings",
            json={"org_unit_id": world.unit(node).id, "started_on": "2026-01-01"},
            headers=world["town_admin"],
        )
        assert made.status_code == 201, made.text
    return unit_id


class TestReport:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.post(URL, json={}), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("caller", ["department_staff", "nobody", "dispatcher"])
    async def test_without_join_or_units_manage_is_403(
        self, client: httpx.AsyncClient, world: World, caller: str
    ) -> None:
        body = {"kind": "home", "org_unit_id": world.unit("c1").id}
        assert_problem(await register(client, world, body, caller), 403, "auth.forbidden")

    async def test_a_member_reports_home_pending_until_confirmed(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        created = await home(client, world)
        assert created["status"] == "pending"
        assert created["person_id"] == world.people["member"].id
        assert created["registered_by_user_id"] == world.users["member"].id
        assert (created["confirmed_at"], created["confirmed_by_user_id"]) == (None, None)
        assert created["community_id"] == world.unit("c1").id
        [event] = await audit_events(db, "registration.create")
        assert event.community_id == world.unit("c1").id
        url = f"{URL}/{created['id']}"
        assert (await client.get(url, headers=world["member"])).status_code == 200
        assert_problem(
            await client.get(url, headers=world["sibling"]), 404, "registration.not_found"
        )
        assert_problem(
            await client.post(f"{url}/confirm", headers=world["sibling"]),
            404,
            "registration.not_found",
        )
        confirmed = await client.post(f"{url}/confirm", headers=world["admin"])
        assert confirmed.status_code == 200, confirmed.text
        body = confirmed.json()
        assert (body["status"], body["confirmed_by_user_id"]) == (
            "confirmed",
            world.users["admin"].id,
        )
        assert body["confirmed_at"] is not None
        assert_problem(
            await client.post(f"{url}/confirm", headers=world["admin"]),
            409,
            "registration.not_pending",
        )

    async def test_a_resident_is_not_a_party_member(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = {"kind": "home", "org_unit_id": world.unit("c1").id}
        response = await register(client, world, body, "resident")
        assert_problem(response, 422, "registration.not_a_party_member")

    async def test_one_live_home(self, client: httpx.AsyncClient, world: World) -> None:
        first = await home(client, world)
        again = await register(client, world, {"kind": "home", "org_unit_id": world.unit("g1").id})
        assert_problem(again, 409, "registration.home_exists")
        same = await register(client, world, {"kind": "home", "org_unit_id": world.unit("c1").id})
        assert_problem(same, 409, "registration.home_exists")
        withdrawn = await client.post(f"{URL}/{first['id']}/withdraw", headers=world["member"])
        assert withdrawn.json()["status"] == "withdrawn"
        await home(client, world, "g1")

    @pytest.mark.parametrize("node", ["g2", "b1", "town"])
    async def test_only_a_community_or_compound(
        self, client: httpx.AsyncClient, world: World, node: str
    ) -> None:
        response = await register(
            client, world, {"kind": "home", "org_unit_id": world.unit(node).id}
        )
        assert_problem(response, 422, "registration.invalid_org_unit")

    async def test_staff_register_a_member_directly_confirmed(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = {
            "kind": "home",
            "org_unit_id": world.unit("c1").id,
            "person_id": world.people["member"].id,
        }
        response = await register(client, world, body, "admin")
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "confirmed"
        assert response.json()["confirmed_by_user_id"] == world.users["admin"].id
        elsewhere = await register(
            client, world, body | {"org_unit_id": world.unit("c2").id}, "admin"
        )
        assert_problem(elsewhere, 404, "registration.org_unit_not_found")


class TestLinked:
    async def test_to_the_community_the_unit_is_paired_with(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        member = world.people["member"].id
        unit_id = await unit_with(client, world, roster=[member], paired=["c2"])
        response = await register(
            client, world, {"kind": "linked", "org_unit_id": world.unit("c2").id}
        )
        assert response.status_code == 201, response.text
        assert response.json()["work_unit_id"] == unit_id
        # The sibling community (c2) confirms it; c1 never sees it.
        url = f"{URL}/{response.json()['id']}"
        assert (await client.post(f"{url}/confirm", headers=world["sibling"])).status_code == 200
        assert_problem(await client.get(url, headers=world["admin"]), 404, "registration.not_found")
        not_paired = await register(
            client, world, {"kind": "linked", "org_unit_id": world.unit("c1").id}
        )
        assert_problem(not_paired, 422, "registration.not_paired")

    async def test_needs_the_roster(self, client: httpx.AsyncClient, world: World) -> None:
        unit_id = await unit_with(client, world, roster=[], paired=["c2"])
        body = {"kind": "linked", "org_unit_id": world.unit("c2").id}
        assert_problem(await register(client, world, body), 422, "registration.unit_required")
        response = await register(client, world, body | {"work_unit_id": unit_id})
        assert_problem(response, 422, "registration.not_on_roster")

    async def test_home_carries_the_members_unit(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        unit_id = await unit_with(client, world, roster=[world.people["member"].id], paired=[])
        assert (await home(client, world))["work_unit_id"] == unit_id


class TestThreeOnes:
    async def test_takes_up_all_three_and_joins_the_team(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        team = await client.post(
            "/api/v1/volunteer-teams",
            json={"org_unit_id": world.unit("g1").id, "name": "红星一网格志愿服务队"},
            headers=world["admin"],
        )
        created = await home(client, world)
        url = f"{URL}/{created['id']}"
        body = {
            "volunteer_team_id": team.json()["id"],
            "linked_building_id": world.unit("b1").id,
            "linked_entrance": "2单元",
            "responsibility_area": "1号楼南侧绿化带",
        }
        assert_problem(
            await client.patch(url, json=body, headers=world["member"]),
            428,
            "resource.version_required",
        )
        response = await client.patch(
            url, json=body, headers=world["member"] | {"If-Match": 'W/"1"'}
        )
        assert response.status_code == 200, response.text
        read = response.json()
        assert read["three_ones_complete"] is True
        assert response.headers["etag"] == 'W/"2"'
        members = await db.scalars(
            select(VolunteerTeamMember.person_id).where(
                VolunteerTeamMember.team_id == team.json()["id"]
            )
        )
        assert list(members) == [world.people["member"].id]
        cleared = await client.patch(
            url, json={"linked_building_id": None}, headers=world["member"] | {"If-Match": 'W/"2"'}
        )
        assert cleared.json()["linked_entrance"] is None
        assert cleared.json()["three_ones_complete"] is False

    async def test_outside_the_community_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        team = await client.post(
            "/api/v1/volunteer-teams",
            json={"org_unit_id": world.unit("c2").id, "name": "东方志愿服务队"},
            headers=world["sibling"],
        )
        created = await home(client, world)
        url = f"{URL}/{created['id']}"
        headers = world["member"] | {"If-Match": 'W/"1"'}
        assert_problem(
            await client.patch(url, json={"volunteer_team_id": team.json()["id"]}, headers=headers),
            404,
            "registration.team_not_found",
        )
        assert_problem(
            await client.patch(
                url, json={"linked_building_id": world.unit("b2").id}, headers=headers
            ),
            404,
            "registration.building_not_found",
        )

    async def test_not_on_a_linked_registration(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await unit_with(client, world, roster=[world.people["member"].id], paired=["c2"])
        linked = await register(
            client, world, {"kind": "linked", "org_unit_id": world.unit("c2").id}
        )
        response = await client.patch(
            f"{URL}/{linked.json()['id']}",
            json={"responsibility_area": "x"},
            headers=world["member"] | {"If-Match": 'W/"1"'},
        )
        assert_problem(response, 422, "registration.three_ones_at_home")


class TestList:
    async def test_staff_by_subtree_members_their_own(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        created = await home(client, world)
        for caller, expected in (
            ("admin", [created["id"]]),
            ("town_admin", [created["id"]]),
            ("auditor", [created["id"]]),
            ("member", [created["id"]]),
            ("sibling", []),
            ("resident", []),
        ):
            response = await client.get(URL, headers=world[caller])
            assert response.status_code == 200, response.text
            assert [r["id"] for r in response.json()["items"]] == expected, caller
        pending = await client.get(URL, params={"status": "confirmed"}, headers=world["admin"])
        assert pending.json()["items"] == []
