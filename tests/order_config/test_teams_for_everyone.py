"""Volunteer teams for everyone: residents' teams (邻里志愿服务队, 家庭事务调解队), a kind and
a leader, self-join and leave for open teams, ETag and If-Match."""

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.order_config.conftest import World, audit_events
from tests.support.factory import bearer, make_member, make_person, make_user
from tests.support.problems import assert_problem

URL = "/api/v1/volunteer-teams"


async def create(
    client: httpx.AsyncClient, world: World, **fields: Any
) -> tuple[dict[str, Any], httpx.Response]:
    body = {"org_unit_id": world.unit("c1").id, "name": "邻里志愿服务队"} | fields
    response = await client.post(URL, json=body, headers=world["admin"])
    assert response.status_code == 201, response.text
    return response.json(), response


@pytest.fixture
async def participants(db: AsyncSession, world: World, settings: Settings) -> dict[str, Any]:
    """A resident of h1 and a party member of g1, each signed in with their own person."""
    resident = await make_person(db, world.unit("h1"), name="李居民")
    member = await make_person(db, world.unit("h1"), name="张党员")
    await make_member(db, member, world.unit("g1"))
    stranger = await make_person(db, world.unit("b2"), name="王邻居")
    users = {
        "resident": await make_user(db, ("resident", world.unit("h1")), person_id=resident.id),
        "member": await make_user(db, ("member", world.unit("g1")), person_id=member.id),
        "stranger": await make_user(db, ("resident", world.unit("b2")), person_id=stranger.id),
        "unlinked": await make_user(db, ("resident", world.unit("h1"))),
    }
    return {
        "people": {"resident": resident, "member": member, "stranger": stranger},
        "headers": {name: bearer(settings, user) for name, user in users.items()},
    }


class TestResidentsTeams:
    async def test_kind_defaults_and_etag(self, client: httpx.AsyncClient, world: World) -> None:
        team, response = await create(client, world, kind="mediation", members_only=False)
        assert response.headers["etag"] == 'W/"1"'
        assert (team["kind"], team["members_only"], team["is_open"], team["leader_person_id"]) == (
            "mediation",
            False,
            False,
            None,
        )
        default, _ = await create(client, world, name="党员志愿服务队")
        assert (default["kind"], default["members_only"]) == ("service", True)

    async def test_admits_residents_unless_members_only(
        self, client: httpx.AsyncClient, world: World, participants: dict[str, Any]
    ) -> None:
        resident = participants["people"]["resident"].id
        open_team, _ = await create(client, world, members_only=False)
        added = await client.post(
            f"{URL}/{open_team['id']}/members", json={"person_id": resident}, headers=world["admin"]
        )
        assert added.status_code == 201, added.text
        assert added.json()["branch_id"] is None
        party, _ = await create(client, world, name="党员队")
        refused = await client.post(
            f"{URL}/{party['id']}/members", json={"person_id": resident}, headers=world["admin"]
        )
        assert_problem(refused, 422, "volunteer_team.not_a_party_member")
        back = await client.patch(
            f"{URL}/{open_team['id']}", json={"members_only": True}, headers=world["admin"]
        )
        assert_problem(back, 422, "volunteer_team.has_residents")

    async def test_a_leader_joins_the_team(
        self,
        client: httpx.AsyncClient,
        world: World,
        participants: dict[str, Any],
        db: AsyncSession,
    ) -> None:
        resident = participants["people"]["resident"].id
        team, _ = await create(client, world, members_only=False)
        url = f"{URL}/{team['id']}"
        stale = await client.patch(
            url, json={"leader_person_id": resident}, headers=world["admin"] | {"If-Match": 'W/"9"'}
        )
        assert_problem(stale, 412, "resource.version_mismatch")
        led = await client.patch(
            url, json={"leader_person_id": resident}, headers=world["admin"] | {"If-Match": 'W/"1"'}
        )
        assert led.status_code == 200, led.text
        assert (led.json()["leader_person_id"], led.json()["member_count"]) == (resident, 1)
        assert led.headers["etag"] == 'W/"2"'
        [event] = await audit_events(db, "volunteer_team.update")
        assert "leader_person_id" in event.summary


class TestSelfJoin:
    async def test_joins_and_leaves_an_open_team_of_their_community(
        self, client: httpx.AsyncClient, world: World, participants: dict[str, Any]
    ) -> None:
        team, _ = await create(client, world, members_only=False, is_open=True)
        headers = participants["headers"]
        joined = await client.post(f"{URL}/{team['id']}/join", headers=headers["resident"])
        assert joined.status_code == 201, joined.text
        assert joined.json()["person_id"] == participants["people"]["resident"].id
        assert_problem(
            await client.post(f"{URL}/{team['id']}/join", headers=headers["resident"]),
            409,
            "volunteer_team.already_member",
        )
        # The leader leaving leaves the team leaderless.
        await client.patch(
            f"{URL}/{team['id']}",
            json={"leader_person_id": participants["people"]["resident"].id},
            headers=world["admin"],
        )
        left = await client.post(f"{URL}/{team['id']}/leave", headers=headers["resident"])
        assert left.status_code == 204
        read = await client.get(f"{URL}/{team['id']}", headers=world["admin"])
        assert (read.json()["member_count"], read.json()["leader_person_id"]) == (0, None)
        assert_problem(
            await client.post(f"{URL}/{team['id']}/leave", headers=headers["resident"]),
            404,
            "volunteer_team.member_not_found",
        )

    async def test_closed_members_only_other_community_and_no_person(
        self, client: httpx.AsyncClient, world: World, participants: dict[str, Any]
    ) -> None:
        headers = participants["headers"]
        closed, _ = await create(client, world, members_only=False)
        assert_problem(
            await client.post(f"{URL}/{closed['id']}/join", headers=headers["resident"]),
            409,
            "volunteer_team.closed",
        )
        party, _ = await create(client, world, name="党员先锋队", is_open=True)
        assert_problem(
            await client.post(f"{URL}/{party['id']}/join", headers=headers["resident"]),
            422,
            "volunteer_team.not_a_party_member",
        )
        assert (
            await client.post(f"{URL}/{party['id']}/join", headers=headers["member"])
        ).status_code == 201
        assert_problem(
            await client.post(f"{URL}/{party['id']}/join", headers=headers["stranger"]),
            404,
            "volunteer_team.not_found",
        )
        assert_problem(
            await client.post(f"{URL}/{party['id']}/join", headers=headers["unlinked"]),
            422,
            "volunteer_team.no_person",
        )
        assert_problem(
            await client.post(f"{URL}/{party['id']}/join", headers=world["admin"]),
            403,
            "auth.forbidden",
        )
