"""/api/v1/micro-wishes: 微心愿 posted for residents, a masked board, claims by members,
teams and units, fulfilment with points, thanks."""

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.points.models import PointsTransaction
from tests.participation.conftest import World, audit_events, party_member
from tests.support.factory import bearer, make_user
from tests.support.problems import assert_problem

URL = "/api/v1/micro-wishes"
PLEDGE = (date.today() + timedelta(days=7)).isoformat()


async def post_wish(
    client: httpx.AsyncClient,
    world: World,
    caller: str = "grid_worker",
    title: str = "想要一台收音机",
) -> dict[str, Any]:
    response = await client.post(
        URL,
        json={
            "wisher_person_id": world.people["resident"].id,
            "title": title,
            "description": "独居老人，想听广播",
        },
        headers=world[caller],
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def residents_team(
    client: httpx.AsyncClient, world: World, members: list[int], leader: int
) -> int:
    team = await client.post(
        "/api/v1/volunteer-teams",
        json={"org_unit_id": world.unit("c1").id, "name": "邻里志愿服务队", "members_only": False},
        headers=world["admin"],
    )
    team_id: int = team.json()["id"]
    for person_id in members:
        added = await client.post(
            f"/api/v1/volunteer-teams/{team_id}/members",
            json={"person_id": person_id},
            headers=world["admin"],
        )
        assert added.status_code == 201, added.text
    led = await client.patch(
        f"/api/v1/volunteer-teams/{team_id}",
        json={"leader_person_id": leader},
        headers=world["admin"],
    )
    assert led.status_code == 200, led.text
    return team_id


class TestPost:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.post(URL, json={}), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("caller", ["member", "resident", "dispatcher", "auditor"])
    async def test_without_wishes_manage_is_403(
        self, client: httpx.AsyncClient, world: World, caller: str
    ) -> None:
        body = {"wisher_person_id": world.people["resident"].id, "title": "x", "description": "y"}
        assert_problem(
            await client.post(URL, json=body, headers=world[caller]), 403, "auth.forbidden"
        )

    async def test_resident_outside_scope_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = {"wisher_person_id": world.people["resident"].id, "title": "x", "description": "y"}
        response = await client.post(URL, json=body, headers=world["sibling"])
        assert_problem(response, 404, "micro_wish.wisher_not_found")

    async def test_placed_at_the_residents_home(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        wish = await post_wish(client, world)
        assert (wish["status"], wish["community_id"], wish["grid_id"]) == (
            "open",
            world.unit("c1").id,
            world.unit("g1").id,
        )
        assert "household_id" not in wish
        [event] = await audit_events(db, "micro_wish.create")
        assert event.household_id == world.unit("h1").id


class TestBoard:
    async def test_masked_for_participants_open_newest_first(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        first = await post_wish(client, world, title="收音机")
        second = await post_wish(client, world, title="老花镜")
        board = await client.get(f"{URL}/board", headers=world["member"])
        assert board.status_code == 200, board.text
        items = board.json()["items"]
        assert [w["id"] for w in items] == [second["id"], first["id"]]
        assert {(w["wisher_name"], w["wisher_mobile"], w["wisher_masked"]) for w in items} == {
            ("李*民", None, True)
        }
        own = (await client.get(f"{URL}/{first['id']}", headers=world["resident"])).json()
        assert (own["wisher_name"], own["wisher_masked"]) == ("李居民", False)
        admin = (await client.get(f"{URL}/{first['id']}", headers=world["admin"])).json()
        assert (admin["wisher_name"], admin["wisher_mobile"]) == ("李居民", "13800000002")
        dispatcher = (await client.get(f"{URL}/{first['id']}", headers=world["dispatcher"])).json()
        assert (dispatcher["wisher_name"], dispatcher["wisher_mobile"]) == ("李居民", "138****0002")
        assert (await client.get(f"{URL}/board", headers=world["stranger"])).json()["items"] == []
        assert (await client.get(f"{URL}/board", headers=world["sibling"])).json()["items"] == []
        assert_problem(
            await client.get(f"{URL}/{first['id']}", headers=world["sibling"]),
            404,
            "micro_wish.not_found",
        )
        await client.post(
            f"{URL}/{first['id']}/claim",
            json={"claimant_kind": "member", "pledge_date": PLEDGE},
            headers=world["member"],
        )
        board = await client.get(f"{URL}/board", headers=world["member"])
        assert [w["id"] for w in board.json()["items"]] == [second["id"]]
        by_grid = await client.get(
            f"{URL}/board", params={"org_unit_id": world.unit("g2").id}, headers=world["member"]
        )
        assert by_grid.json()["items"] == []


class TestClaim:
    async def test_a_member_claims_once(self, client: httpx.AsyncClient, world: World) -> None:
        wish = await post_wish(client, world)
        url = f"{URL}/{wish['id']}/claim"
        body = {"claimant_kind": "member", "pledge_date": PLEDGE}
        assert_problem(
            await client.post(url, json=body, headers=world["resident"]),
            422,
            "micro_wish.not_a_party_member",
        )
        claimed = await client.post(url, json=body, headers=world["member"])
        assert claimed.status_code == 200, claimed.text
        read = claimed.json()
        assert (read["status"], read["claimant_kind"], read["claimant_person_id"]) == (
            "claimed",
            "member",
            world.people["member"].id,
        )
        assert [p["person_id"] for p in read["participants"]] == [world.people["member"].id]
        assert_problem(
            await client.post(url, json=body, headers=world["member"]), 409, "micro_wish.not_open"
        )
        past = {"claimant_kind": "member", "pledge_date": "2020-01-01"}
        other = await post_wish(client, world, title="另一个")
        assert_problem(
            await client.post(f"{URL}/{other['id']}/claim", json=past, headers=world["member"]),
            422,
            "micro_wish.pledge_in_past",
        )

    async def test_a_team_claims_by_its_leader_with_its_people(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, settings: Settings
    ) -> None:
        neighbour = await party_member(db, world)
        neighbour_user = await make_user(db, ("member", world.unit("g1")), person_id=neighbour.id)
        member, resident = world.people["member"].id, world.people["resident"].id
        team_id = await residents_team(client, world, [member, resident], leader=member)
        wish = await post_wish(client, world)
        url = f"{URL}/{wish['id']}/claim"
        body = {
            "claimant_kind": "team",
            "team_id": team_id,
            "participant_ids": [member, resident],
            "pledge_date": PLEDGE,
        }
        assert_problem(
            await client.post(url, json=body, headers=bearer(settings, neighbour_user)),
            403,
            "micro_wish.not_leader",
        )
        outsider = body | {"participant_ids": [member, neighbour.id]}
        assert_problem(
            await client.post(url, json=outsider, headers=world["member"]),
            422,
            "micro_wish.invalid_participants",
        )
        claimed = await client.post(url, json=body, headers=world["member"])
        assert claimed.status_code == 200, claimed.text
        assert {p["person_id"] for p in claimed.json()["participants"]} == {member, resident}
        # Volunteers' names are masked on the board but for themselves and staff.
        seen = await client.get(f"{URL}/{wish['id']}", headers=world["resident"])
        names = {p["person_id"]: p["name"] for p in seen.json()["participants"]}
        assert names == {member: "张*员", resident: "李居民"}
        staff = await client.get(f"{URL}/{wish['id']}", headers=world["admin"])
        assert {p["name"] for p in staff.json()["participants"]} == {"张党员", "李居民"}

    async def test_a_unit_claims_by_staff(self, client: httpx.AsyncClient, world: World) -> None:
        unit = await client.post(
            "/api/v1/work-units",
            json={
                "org_unit_id": world.unit("c1").id,
                "name": "社区卫生站",
                "kind": "institution",
                "party_org_name": "卫生站党支部",
            },
            headers=world["admin"],
        )
        unit_id = unit.json()["id"]
        await client.post(
            f"/api/v1/work-units/{unit_id}/members",
            json={"person_id": world.people["member"].id},
            headers=world["admin"],
        )
        wish = await post_wish(client, world)
        body = {
            "claimant_kind": "work_unit",
            "work_unit_id": unit_id,
            "participant_ids": [world.people["member"].id],
            "pledge_date": PLEDGE,
        }
        url = f"{URL}/{wish['id']}/claim"
        assert_problem(
            await client.post(url, json=body, headers=world["member"]), 403, "micro_wish.staff_only"
        )
        claimed = await client.post(url, json=body, headers=world["admin"])
        assert claimed.status_code == 200, claimed.text
        assert claimed.json()["claimant_work_unit_id"] == unit_id

    @pytest.mark.parametrize(
        "body",
        [
            {"claimant_kind": "team", "pledge_date": PLEDGE},
            {"claimant_kind": "team", "team_id": 1, "pledge_date": PLEDGE},
            {"claimant_kind": "member", "participant_ids": [1], "pledge_date": PLEDGE},
            {
                "claimant_kind": "work_unit",
                "work_unit_id": 1,
                "participant_ids": [1, 1],
                "pledge_date": PLEDGE,
            },
        ],
    )
    async def test_inconsistent_claims_are_422(
        self, client: httpx.AsyncClient, world: World, body: dict[str, Any]
    ) -> None:
        wish = await post_wish(client, world)
        response = await client.post(f"{URL}/{wish['id']}/claim", json=body, headers=world["admin"])
        assert_problem(response, 422, "request.validation_failed")


class TestFulfilAndThanks:
    async def test_each_participant_earns_once_and_the_wisher_thanks(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        member, resident = world.people["member"].id, world.people["resident"].id
        team_id = await residents_team(client, world, [member, resident], leader=member)
        wish = await post_wish(client, world)
        url = f"{URL}/{wish['id']}"
        await client.post(
            f"{url}/claim",
            json={
                "claimant_kind": "team",
                "team_id": team_id,
                "participant_ids": [member],
                "pledge_date": PLEDGE,
            },
            headers=world["member"],
        )
        body = {"photos": ["https://files.example.cn/w/1.jpg"], "story": "送到了"}
        assert_problem(
            await client.post(f"{url}/fulfil", json=body, headers=world["stranger"]),
            404,
            "micro_wish.not_found",
        )
        assert_problem(
            await client.post(
                f"{url}/fulfil",
                json=body | {"photos": ["http://x.cn/1.jpg"]},
                headers=world["member"],
            ),
            422,
            "request.validation_failed",
        )
        done = await client.post(f"{url}/fulfil", json=body, headers=world["member"])
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "fulfilled"
        assert done.json()["participants"] == [
            {"person_id": member, "name": "张党员", "awarded_points": 8}
        ]
        awards = (
            await db.scalars(
                select(PointsTransaction).where(
                    PointsTransaction.txn_key == f"wish:{wish['id']}:{member}"
                )
            )
        ).all()
        assert [a.kind for a in awards] == ["wish_award"]
        assert_problem(
            await client.post(f"{url}/fulfil", json=body, headers=world["member"]),
            409,
            "micro_wish.not_claimed",
        )
        assert_problem(
            await client.post(f"{url}/thanks", json={"message": "谢谢"}, headers=world["member"]),
            403,
            "micro_wish.not_the_wisher",
        )
        thanked = await client.post(
            f"{url}/thanks", json={"message": "谢谢党员同志！"}, headers=world["resident"]
        )
        assert thanked.status_code == 200, thanked.text
        assert thanked.json()["thanks"] == "谢谢党员同志！"
        assert_problem(
            await client.post(f"{url}/thanks", json={"message": "再谢"}, headers=world["resident"]),
            409,
            "micro_wish.already_thanked",
        )

    async def test_withdraw_then_cancel(self, client: httpx.AsyncClient, world: World) -> None:
        wish = await post_wish(client, world)
        url = f"{URL}/{wish['id']}"
        await client.post(
            f"{url}/claim",
            json={"claimant_kind": "member", "pledge_date": PLEDGE},
            headers=world["member"],
        )
        assert_problem(
            await client.post(f"{url}/withdraw-claim", headers=world["resident"]),
            403,
            "micro_wish.not_allowed",
        )
        back = await client.post(f"{url}/withdraw-claim", headers=world["member"])
        assert (back.json()["status"], back.json()["participants"]) == ("open", [])
        assert_problem(
            await client.post(f"{url}/cancel", json={"reason": "搬离"}, headers=world["sibling"]),
            404,
            "micro_wish.not_found",
        )
        cancelled = await client.post(
            f"{url}/cancel", json={"reason": "搬离"}, headers=world["admin"]
        )
        assert cancelled.json()["status"] == "cancelled"
        assert_problem(
            await client.post(f"{url}/cancel", json={"reason": "again"}, headers=world["admin"]),
            409,
            "micro_wish.closed",
        )
