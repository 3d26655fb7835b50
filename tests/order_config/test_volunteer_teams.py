"""/api/v1/volunteer-teams: 志愿服务队 at a node, scoped by the node's ancestor ids."""

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.hierarchy.models import OrgUnit
from app.orders.models import VolunteerTeam, VolunteerTeamMember
from tests.order_config.conftest import World, audit_events
from tests.support.factory import make_member, make_person, make_unit
from tests.support.problems import assert_problem

URL = "/api/v1/volunteer-teams"


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], unit: OrgUnit, name: str = "党员志愿服务队"
) -> dict[str, Any]:
    response = await client.post(URL, json={"org_unit_id": unit.id, "name": name}, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def load(db: AsyncSession, team_id: int) -> VolunteerTeam | None:
    query = select(VolunteerTeam).where(VolunteerTeam.id == team_id)
    row = await db.execute(query.execution_options(populate_existing=True))
    return row.scalar_one_or_none()


async def member_ids(db: AsyncSession, team_id: int) -> list[int]:
    rows = await db.scalars(
        select(VolunteerTeamMember.person_id)
        .where(VolunteerTeamMember.team_id == team_id)
        .order_by(VolunteerTeamMember.person_id)
    )
    return list(rows)


@pytest.fixture
async def team(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    """A team at grid g1 of community c1."""
    return await create(client, world["admin"], world.unit("g1"), "红星一网格志愿服务队")


@pytest.fixture
async def party_member(db: AsyncSession, world: World) -> int:
    """A party member living at h1, held by branch g1."""
    person = await make_person(db, world.unit("h1"), name="张党员")
    await make_member(db, person, world.unit("g1"))
    return person.id


class TestCreateVolunteerTeam:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        body = {"org_unit_id": world.unit("g1").id, "name": "志愿队"}
        assert_problem(await client.post(URL, json=body), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("caller", ["dispatcher", "member", "resident"])
    async def test_without_orders_config_is_403(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, caller: str
    ) -> None:
        body = {"org_unit_id": world.unit("g1").id, "name": "志愿队"}
        assert_problem(
            await client.post(URL, json=body, headers=world[caller]), 403, "auth.forbidden"
        )
        assert (await db.scalars(select(VolunteerTeam))).all() == []

    async def test_node_in_sibling_subtree_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = {"org_unit_id": world.unit("g1").id, "name": "志愿队"}
        response = await client.post(URL, json=body, headers=world["sibling"])
        assert_problem(response, 404, "volunteer_team.unit_not_found")

    async def test_node_above_the_grant_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = {"org_unit_id": world.unit("town").id, "name": "志愿队"}
        response = await client.post(URL, json=body, headers=world["admin"])
        assert_problem(response, 404, "volunteer_team.unit_not_found")

    async def test_copies_the_ancestor_ids_of_the_node(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        building = world.unit("b1")
        body = {"org_unit_id": building.id, "name": "1号楼志愿服务队"}
        response = await client.post(URL, json=body, headers=world["admin"])
        assert response.status_code == 201, response.text
        created = response.json()
        assert response.headers["location"] == f"/api/v1/volunteer-teams/{created['id']}"
        expected = (building.town_id, building.community_id, building.grid_id, building.id, None)
        row = await load(db, created["id"])
        assert row is not None
        assert (row.town_id, row.community_id, row.grid_id, row.building_id, row.household_id) == (
            expected
        )
        assert (row.org_unit_id, row.name) == (building.id, "1号楼志愿服务队")
        assert (
            created["town_id"],
            created["community_id"],
            created["grid_id"],
            created["building_id"],
            created["household_id"],
        ) == expected
        assert created["member_count"] == 0
        [event] = await audit_events(db, "volunteer_team.create")
        assert (event.target_id, event.community_id, event.building_id) == (
            str(created["id"]),
            building.community_id,
            building.id,
        )

    async def test_same_name_at_the_same_node_is_409(
        self, client: httpx.AsyncClient, world: World, team: dict[str, Any]
    ) -> None:
        body = {"org_unit_id": world.unit("g1").id, "name": "红星一网格志愿服务队"}
        response = await client.post(URL, json=body, headers=world["town_admin"])
        assert_problem(response, 409, "volunteer_team.name_taken")

    async def test_archived_node_is_422(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        archived = await make_unit(db, "grid", world.unit("c1"), is_archived=True)
        body = {"org_unit_id": archived.id, "name": "志愿队"}
        response = await client.post(URL, json=body, headers=world["admin"])
        assert_problem(response, 422, "order_config.unit_archived")

    @pytest.mark.parametrize(
        ("field", "value"), [("name", ""), ("name", "n" * 101), ("org_unit_id", None), ("x", 1)]
    )
    async def test_invalid_body_is_422(
        self, client: httpx.AsyncClient, world: World, field: str, value: object
    ) -> None:
        body = {"org_unit_id": world.unit("g1").id, "name": "志愿队", field: value}
        response = await client.post(URL, json=body, headers=world["admin"])
        problem = assert_problem(response, 422, "request.validation_failed")
        assert any(field in e["field"] for e in problem["errors"])


class TestListVolunteerTeams:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.get(URL), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("caller", ["department_staff", "nobody"])
    async def test_without_orders_read_or_config_or_participation_is_403(
        self, client: httpx.AsyncClient, world: World, caller: str
    ) -> None:
        assert_problem(await client.get(URL, headers=world[caller]), 403, "auth.forbidden")

    async def test_scoped_by_the_node(
        self, client: httpx.AsyncClient, world: World, team: dict[str, Any]
    ) -> None:
        c2_team = await create(client, world["sibling"], world.unit("g2"))
        town_team = await create(client, world["town_admin"], world.unit("town"))
        expectations = {
            "admin": [team["id"]],
            "dispatcher": [team["id"]],
            "sibling": [c2_team["id"]],
            "town_admin": [team["id"], c2_team["id"], town_team["id"]],
            "town_dispatcher": [team["id"], c2_team["id"], town_team["id"]],
            "other_town_admin": [],
            # Participants see the teams of their community and their town.
            "member": [team["id"], town_team["id"]],
            "resident": [team["id"], town_team["id"]],
        }
        for caller, expected in expectations.items():
            response = await client.get(URL, headers=world[caller])
            assert response.status_code == 200, response.text
            assert [t["id"] for t in response.json()["items"]] == expected, caller

    async def test_filters_and_pages(
        self, client: httpx.AsyncClient, world: World, team: dict[str, Any]
    ) -> None:
        second = await create(client, world["admin"], world.unit("c1"), "红星社区助老队")
        by_node = await client.get(
            URL, params={"org_unit_id": world.unit("c1").id}, headers=world["admin"]
        )
        assert [t["id"] for t in by_node.json()["items"]] == [second["id"]]
        by_name = await client.get(URL, params={"q": "助老"}, headers=world["admin"])
        assert [t["id"] for t in by_name.json()["items"]] == [second["id"]]
        first = (await client.get(URL, params={"limit": 1}, headers=world["admin"])).json()
        assert [t["id"] for t in first["items"]] == [team["id"]]
        rest = await client.get(
            URL, params={"limit": 1, "cursor": first["next_cursor"]}, headers=world["admin"]
        )
        assert [t["id"] for t in rest.json()["items"]] == [second["id"]]
        assert rest.json()["next_cursor"] is None

    @pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"q": ""}])
    async def test_bad_query_is_422(
        self, client: httpx.AsyncClient, world: World, params: dict[str, Any]
    ) -> None:
        response = await client.get(URL, params=params, headers=world["admin"])
        assert_problem(response, 422, "request.validation_failed")


class TestGetVolunteerTeam:
    async def test_without_token_is_401(
        self, client: httpx.AsyncClient, team: dict[str, Any]
    ) -> None:
        assert_problem(await client.get(f"{URL}/{team['id']}"), 401, "auth.unauthenticated")

    async def test_without_orders_read_or_participation_is_403(
        self, client: httpx.AsyncClient, world: World, team: dict[str, Any]
    ) -> None:
        response = await client.get(f"{URL}/{team['id']}", headers=world["department_staff"])
        assert_problem(response, 403, "auth.forbidden")

    async def test_sibling_subtree_is_404(
        self, client: httpx.AsyncClient, world: World, team: dict[str, Any]
    ) -> None:
        response = await client.get(f"{URL}/{team['id']}", headers=world["sibling"])
        assert_problem(response, 404, "volunteer_team.not_found")

    async def test_reads_with_orders_read(
        self, client: httpx.AsyncClient, world: World, team: dict[str, Any]
    ) -> None:
        response = await client.get(f"{URL}/{team['id']}", headers=world["dispatcher"])
        assert response.status_code == 200
        assert response.json() == team


class TestUpdateVolunteerTeam:
    async def test_without_token_is_401(
        self, client: httpx.AsyncClient, team: dict[str, Any]
    ) -> None:
        response = await client.patch(f"{URL}/{team['id']}", json={"name": "先锋队"})
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_without_orders_config_is_403(
        self, client: httpx.AsyncClient, world: World, team: dict[str, Any]
    ) -> None:
        response = await client.patch(
            f"{URL}/{team['id']}", json={"name": "先锋队"}, headers=world["dispatcher"]
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_sibling_subtree_is_404(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, team: dict[str, Any]
    ) -> None:
        response = await client.patch(
            f"{URL}/{team['id']}", json={"name": "先锋队"}, headers=world["sibling"]
        )
        assert_problem(response, 404, "volunteer_team.not_found")
        row = await load(db, team["id"])
        assert row is not None and row.name == "红星一网格志愿服务队"

    async def test_renames(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, team: dict[str, Any]
    ) -> None:
        response = await client.patch(
            f"{URL}/{team['id']}", json={"name": "红星先锋队"}, headers=world["town_admin"]
        )
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "红星先锋队"
        row = await load(db, team["id"])
        assert row is not None and row.name == "红星先锋队"
        [event] = await audit_events(db, "volunteer_team.update")
        assert "红星先锋队" in event.summary

    async def test_name_taken_at_the_node_is_409(
        self, client: httpx.AsyncClient, world: World, team: dict[str, Any]
    ) -> None:
        await create(client, world["admin"], world.unit("g1"), "助老队")
        response = await client.patch(
            f"{URL}/{team['id']}", json={"name": "助老队"}, headers=world["admin"]
        )
        assert_problem(response, 409, "volunteer_team.name_taken")

    @pytest.mark.parametrize("body", [{"name": None}, {"org_unit_id": 1}, {"name": ""}])
    async def test_invalid_body_is_422(
        self, client: httpx.AsyncClient, world: World, team: dict[str, Any], body: dict[str, Any]
    ) -> None:
        response = await client.patch(f"{URL}/{team['id']}", json=body, headers=world["admin"])
        assert_problem(response, 422, "request.validation_failed")


class TestAddVolunteerTeamMember:
    async def test_without_token_is_401(
        self, client: httpx.AsyncClient, team: dict[str, Any], party_member: int
    ) -> None:
        response = await client.post(
            f"{URL}/{team['id']}/members", json={"person_id": party_member}
        )
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_without_orders_config_is_403(
        self, client: httpx.AsyncClient, world: World, team: dict[str, Any], party_member: int
    ) -> None:
        response = await client.post(
            f"{URL}/{team['id']}/members",
            json={"person_id": party_member},
            headers=world["dispatcher"],
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_team_in_sibling_subtree_is_404(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        team: dict[str, Any],
        party_member: int,
    ) -> None:
        response = await client.post(
            f"{URL}/{team['id']}/members",
            json={"person_id": party_member},
            headers=world["sibling"],
        )
        assert_problem(response, 404, "volunteer_team.not_found")
        assert await member_ids(db, team["id"]) == []

    async def test_adds_a_party_member(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        team: dict[str, Any],
        party_member: int,
    ) -> None:
        response = await client.post(
            f"{URL}/{team['id']}/members",
            json={"person_id": party_member},
            headers=world["admin"],
        )
        assert response.status_code == 201, response.text
        added = response.json()
        assert added.pop("joined_at")
        assert added == {
            "person_id": party_member,
            "name": "张党员",
            "branch_id": world.unit("g1").id,
        }
        assert await member_ids(db, team["id"]) == [party_member]
        [event] = await audit_events(db, "volunteer_team.member_add")
        assert event.target_id == str(team["id"])
        read = await client.get(f"{URL}/{team['id']}", headers=world["admin"])
        assert read.json()["member_count"] == 1

    async def test_member_living_elsewhere_seen_by_branch(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, team: dict[str, Any]
    ) -> None:
        # Lives in c2 (outside the caller's people.read) but the branch g1 holds the membership.
        person = await make_person(db, world.unit("b2"))
        await make_member(db, person, world.unit("g1"))
        response = await client.post(
            f"{URL}/{team['id']}/members", json={"person_id": person.id}, headers=world["admin"]
        )
        assert response.status_code == 201, response.text

    async def test_not_a_party_member_is_422(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, team: dict[str, Any]
    ) -> None:
        resident = await make_person(db, world.unit("h1"))
        response = await client.post(
            f"{URL}/{team['id']}/members", json={"person_id": resident.id}, headers=world["admin"]
        )
        assert_problem(response, 422, "volunteer_team.not_a_party_member")
        assert await member_ids(db, team["id"]) == []

    async def test_archived_membership_is_422(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, team: dict[str, Any]
    ) -> None:
        person = await make_person(db, world.unit("h1"))
        membership = await make_member(db, person, world.unit("g1"))
        membership.is_archived = True
        await db.flush()
        response = await client.post(
            f"{URL}/{team['id']}/members", json={"person_id": person.id}, headers=world["admin"]
        )
        assert_problem(response, 422, "volunteer_team.not_a_party_member")

    async def test_person_outside_scope_is_404(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, team: dict[str, Any]
    ) -> None:
        person = await make_person(db, world.unit("b2"))
        await make_member(db, person, world.unit("g2"))
        response = await client.post(
            f"{URL}/{team['id']}/members", json={"person_id": person.id}, headers=world["admin"]
        )
        assert_problem(response, 404, "volunteer_team.person_not_found")

    async def test_twice_is_409(
        self, client: httpx.AsyncClient, world: World, team: dict[str, Any], party_member: int
    ) -> None:
        url = f"{URL}/{team['id']}/members"
        first = await client.post(url, json={"person_id": party_member}, headers=world["admin"])
        assert first.status_code == 201
        again = await client.post(url, json={"person_id": party_member}, headers=world["admin"])
        assert_problem(again, 409, "volunteer_team.already_member")

    @pytest.mark.parametrize("body", [{}, {"person_id": "x"}, {"person_id": 1, "role": "lead"}])
    async def test_invalid_body_is_422(
        self, client: httpx.AsyncClient, world: World, team: dict[str, Any], body: dict[str, Any]
    ) -> None:
        response = await client.post(
            f"{URL}/{team['id']}/members", json=body, headers=world["admin"]
        )
        assert_problem(response, 422, "request.validation_failed")


class TestVolunteerTeamMembers:
    @pytest.fixture
    async def joined(
        self, client: httpx.AsyncClient, world: World, team: dict[str, Any], party_member: int
    ) -> int:
        response = await client.post(
            f"{URL}/{team['id']}/members",
            json={"person_id": party_member},
            headers=world["admin"],
        )
        assert response.status_code == 201
        return party_member

    async def test_list_without_token_is_401(
        self, client: httpx.AsyncClient, team: dict[str, Any]
    ) -> None:
        response = await client.get(f"{URL}/{team['id']}/members")
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_list_without_orders_read_is_403(
        self, client: httpx.AsyncClient, world: World, team: dict[str, Any]
    ) -> None:
        response = await client.get(f"{URL}/{team['id']}/members", headers=world["member"])
        assert_problem(response, 403, "auth.forbidden")

    async def test_list_sibling_subtree_is_404(
        self, client: httpx.AsyncClient, world: World, team: dict[str, Any]
    ) -> None:
        response = await client.get(f"{URL}/{team['id']}/members", headers=world["sibling"])
        assert_problem(response, 404, "volunteer_team.not_found")

    async def test_lists_members(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        team: dict[str, Any],
        joined: int,
    ) -> None:
        person = await make_person(db, world.unit("h1"), name="李党员")
        await make_member(db, person, world.unit("g1"))
        url = f"{URL}/{team['id']}/members"
        await client.post(url, json={"person_id": person.id}, headers=world["admin"])
        first = (await client.get(url, params={"limit": 1}, headers=world["dispatcher"])).json()
        assert [m["person_id"] for m in first["items"]] == [joined]
        rest = await client.get(
            url, params={"limit": 1, "cursor": first["next_cursor"]}, headers=world["dispatcher"]
        )
        [item] = rest.json()["items"]
        assert item.pop("joined_at")
        assert item == {"person_id": person.id, "name": "李党员", "branch_id": world.unit("g1").id}
        assert rest.json()["next_cursor"] is None

    async def test_remove_without_token_is_401(
        self, client: httpx.AsyncClient, team: dict[str, Any], joined: int
    ) -> None:
        response = await client.delete(f"{URL}/{team['id']}/members/{joined}")
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_remove_without_orders_config_is_403(
        self, client: httpx.AsyncClient, world: World, team: dict[str, Any], joined: int
    ) -> None:
        response = await client.delete(
            f"{URL}/{team['id']}/members/{joined}", headers=world["dispatcher"]
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_remove_sibling_subtree_is_404(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        team: dict[str, Any],
        joined: int,
    ) -> None:
        response = await client.delete(
            f"{URL}/{team['id']}/members/{joined}", headers=world["sibling"]
        )
        assert_problem(response, 404, "volunteer_team.not_found")
        assert await member_ids(db, team["id"]) == [joined]

    async def test_removes(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        team: dict[str, Any],
        joined: int,
    ) -> None:
        response = await client.delete(
            f"{URL}/{team['id']}/members/{joined}", headers=world["admin"]
        )
        assert response.status_code == 204
        assert await member_ids(db, team["id"]) == []
        [event] = await audit_events(db, "volunteer_team.member_remove")
        assert event.target_id == str(team["id"])
        again = await client.delete(f"{URL}/{team['id']}/members/{joined}", headers=world["admin"])
        assert_problem(again, 404, "volunteer_team.member_not_found")
