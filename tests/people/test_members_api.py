"""/api/v1/members: memberships of people, scoped by branch, visible through 双报到."""

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.config import Settings
from app.people.models import PartyMember
from tests.people.conftest import World, create_member, create_person, id_number
from tests.support.factory import bearer, make_unit, make_user
from tests.support.problems import assert_problem

URL = "/api/v1/members"


async def load(db: AsyncSession, member_id: int) -> PartyMember:
    row = await db.execute(
        select(PartyMember)
        .where(PartyMember.id == member_id)
        .execution_options(populate_existing=True)
    )
    return row.scalar_one()


async def member_in_g1(client: httpx.AsyncClient, world: World, **fields: Any) -> dict[str, Any]:
    person = await create_person(
        client,
        world["admin"],
        world.unit("h1"),
        mobile="13812345678",
        id_number=id_number(),
        name=fields.pop("name", "张三"),
    )
    return await create_member(client, world["admin"], person["id"], world.unit("g1"), **fields)


class TestCreateMember:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        body = {"person_id": 1, "branch_id": world.unit("g1").id, "join_date": "2008-07-01"}
        assert_problem(await client.post(URL, json=body), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("role", ["dispatcher", "grid_worker", "member", "resident"])
    async def test_without_members_write_is_403(
        self, client: httpx.AsyncClient, world: World, role: str
    ) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        body = {
            "person_id": person["id"],
            "branch_id": world.unit("g1").id,
            "join_date": "2008-07-01",
        }
        assert_problem(
            await client.post(URL, json=body, headers=world[role]), 403, "auth.forbidden"
        )

    async def test_branch_in_sibling_subtree_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        body = {
            "person_id": person["id"],
            "branch_id": world.unit("g1").id,
            "join_date": "2008-07-01",
        }
        response = await client.post(URL, json=body, headers=world["sibling"])
        assert_problem(response, 404, "member.branch_not_found")

    async def test_person_outside_people_read_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        elsewhere = await create_person(client, world["sibling"], world.unit("b2"))
        body = {
            "person_id": elsewhere["id"],
            "branch_id": world.unit("g1").id,
            "join_date": "2008-07-01",
        }
        response = await client.post(URL, json=body, headers=world["admin"])
        assert_problem(response, 404, "person.not_found")

    async def test_creates_at_the_branch(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        person = await create_person(
            client, world["admin"], world.unit("h1"), mobile="13812345678", id_number=id_number()
        )
        body = {
            "person_id": person["id"],
            "branch_id": world.unit("g1").id,
            "join_date": "2008-07-01",
            "is_in_service": True,
            "employer_unit": "区税务局",
            "residence_community_id": world.unit("c1").id,
            # 双报到: the employer may be linked to a community in another town.
            "employer_community_id": world.unit("oc").id,
        }
        response = await client.post(URL, json=body, headers=world["admin"])
        assert response.status_code == 201, response.text
        assert response.headers["etag"] == 'W/"1"'
        created = response.json()
        assert response.headers["location"] == f"/api/v1/members/{created['id']}"
        assert created["person"]["id"] == person["id"]
        assert created["person"]["mobile"] == "13812345678"  # admin holds pii
        g1 = world.unit("g1")
        row = await load(db, created["id"])
        assert (row.town_id, row.community_id, row.grid_id, row.building_id, row.household_id) == (
            g1.town_id,
            g1.community_id,
            g1.id,
            None,
            None,
        )
        assert (row.is_in_service, row.employer_unit, row.join_date) == (
            True,
            "区税务局",
            date(2008, 7, 1),
        )
        [event] = await db.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "member.create", AuditEvent.target_id == str(created["id"])
            )
        )
        assert event.grid_id == g1.id and "13812345678" not in event.summary

    @pytest.mark.parametrize("branch_key", ["c1", "b1", "h1"])
    async def test_branch_must_be_a_grid(
        self, client: httpx.AsyncClient, world: World, branch_key: str
    ) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        body = {
            "person_id": person["id"],
            "branch_id": world.unit(branch_key).id,
            "join_date": "2008-07-01",
        }
        response = await client.post(URL, json=body, headers=world["admin"])
        assert_problem(response, 422, "member.invalid_branch")

    async def test_archived_branch_is_refused(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        archived = await make_unit(db, "grid", world.unit("c1"), is_archived=True)
        person = await create_person(client, world["admin"], world.unit("h1"))
        body = {"person_id": person["id"], "branch_id": archived.id, "join_date": "2008-07-01"}
        response = await client.post(URL, json=body, headers=world["admin"])
        assert_problem(response, 422, "member.invalid_branch")

    @pytest.mark.parametrize("field", ["residence_community_id", "employer_community_id"])
    @pytest.mark.parametrize("target", ["g1", "town", "missing", "archived"])
    async def test_dual_registration_needs_live_communities(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        field: str,
        target: str,
    ) -> None:
        if target == "missing":
            unit_id = 987654321
        elif target == "archived":
            unit_id = (await make_unit(db, "community", world.unit("town"), is_archived=True)).id
        else:
            unit_id = world.unit(target).id
        person = await create_person(client, world["admin"], world.unit("h1"))
        body = {
            "person_id": person["id"],
            "branch_id": world.unit("g1").id,
            "join_date": "2008-07-01",
            field: unit_id,
        }
        response = await client.post(URL, json=body, headers=world["admin"])
        assert assert_problem(response, 422, "member.invalid_community")["field"] == field

    async def test_join_date_in_the_future_is_422(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        body = {
            "person_id": person["id"],
            "branch_id": world.unit("g1").id,
            "join_date": (date.today() + timedelta(days=2)).isoformat(),
        }
        response = await client.post(URL, json=body, headers=world["admin"])
        [error] = assert_problem(response, 422, "request.validation_failed")["errors"]
        assert (error["field"], error["type"]) == ("join_date", "member.join_date_in_future")

    async def test_second_membership_is_409(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        member = await member_in_g1(client, world)
        body = {
            "person_id": member["person"]["id"],
            "branch_id": world.unit("g1").id,
            "join_date": "2010-07-01",
        }
        response = await client.post(URL, json=body, headers=world["admin"])
        assert_problem(response, 409, "member.already_member")
        assert len((await db.scalars(select(PartyMember))).all()) == 1

    async def test_archived_person_is_409(self, client: httpx.AsyncClient, world: World) -> None:
        person = await create_person(client, world["admin"], world.unit("h1"))
        await client.post(
            f"/api/v1/people/{person['id']}/archive",
            headers={**world["admin"], "If-Match": 'W/"1"'},
        )
        body = {
            "person_id": person["id"],
            "branch_id": world.unit("g1").id,
            "join_date": "2008-07-01",
        }
        response = await client.post(URL, json=body, headers=world["admin"])
        assert_problem(response, 409, "person.archived")


class TestGetMember:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        member = await member_in_g1(client, world)
        assert_problem(await client.get(f"{URL}/{member['id']}"), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("role", ["member", "resident"])
    async def test_weak_role_is_403(
        self, client: httpx.AsyncClient, world: World, role: str
    ) -> None:
        member = await member_in_g1(client, world)
        response = await client.get(f"{URL}/{member['id']}", headers=world[role])
        assert_problem(response, 403, "auth.forbidden")

    @pytest.mark.parametrize("role", ["sibling", "other_town_admin"])
    async def test_outside_scope_is_404(
        self, client: httpx.AsyncClient, world: World, role: str
    ) -> None:
        member = await member_in_g1(client, world)
        response = await client.get(f"{URL}/{member['id']}", headers=world[role])
        assert_problem(response, 404, "member.not_found")

    @pytest.mark.parametrize(("role", "masked"), [("dispatcher", True), ("admin", False)])
    async def test_embeds_the_person_with_masking(
        self, client: httpx.AsyncClient, world: World, role: str, masked: bool
    ) -> None:
        member = await member_in_g1(client, world, is_in_service=True)
        response = await client.get(f"{URL}/{member['id']}", headers=world[role])
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == 'W/"1"'
        body = response.json()
        assert body["is_in_service"] is True
        assert body["person"]["name"] == "张三"
        assert body["person"]["pii_masked"] is masked
        assert body["person"]["mobile"] == ("138****5678" if masked else "13812345678")
        assert (body["person"]["id_number"] or "").startswith("*") is masked

    async def test_dual_registration_communities_see_the_member(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        """双报到: the residence community (c2) and the employer's community (oc, in
        another town) find a member whose branch is in c1; still read-only."""
        member = await member_in_g1(
            client,
            world,
            residence_community_id=world.unit("c2").id,
            employer_community_id=world.unit("oc").id,
        )
        for role in ("sibling", "other_town_admin"):
            response = await client.get(f"{URL}/{member['id']}", headers=world[role])
            assert response.status_code == 200, (role, response.text)
            # Their pii does not reach the person (who lives in c1).
            assert response.json()["person"]["mobile"] == "138****5678"
            patch = await client.patch(
                f"{URL}/{member['id']}",
                json={"employer_unit": "x"},
                headers={**world[role], "If-Match": 'W/"1"'},
            )
            assert_problem(patch, 403, "member.read_only")

    async def test_grid_level_grant_gets_no_dual_registration_view(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, settings: Settings
    ) -> None:
        g2_dispatcher = bearer(settings, await make_user(db, ("dispatcher", world.unit("g2"))))
        member = await member_in_g1(client, world, residence_community_id=world.unit("c2").id)
        response = await client.get(f"{URL}/{member['id']}", headers=g2_dispatcher)
        assert_problem(response, 404, "member.not_found")


class TestListMembers:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.get(URL), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("role", ["member", "resident"])
    async def test_weak_role_is_403(
        self, client: httpx.AsyncClient, world: World, role: str
    ) -> None:
        assert_problem(await client.get(URL, headers=world[role]), 403, "auth.forbidden")

    async def test_scope_and_dual_registration(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        plain = await member_in_g1(client, world)
        dual = await member_in_g1(client, world, residence_community_id=world.unit("c2").id)
        person_c2 = await create_person(client, world["sibling"], world.unit("b2"))
        in_c2 = await create_member(client, world["sibling"], person_c2["id"], world.unit("g2"))

        async def ids(role: str) -> list[int]:
            response = await client.get(URL, headers=world[role])
            assert response.status_code == 200, response.text
            return [m["id"] for m in response.json()["items"]]

        assert await ids("admin") == [dual["id"], plain["id"]]
        assert await ids("dispatcher") == [dual["id"], plain["id"]]
        assert await ids("sibling") == [in_c2["id"], dual["id"]]
        assert await ids("town_admin") == [in_c2["id"], dual["id"], plain["id"]]
        assert await ids("other_town_admin") == []

    async def test_filters(self, client: httpx.AsyncClient, world: World) -> None:
        a = await member_in_g1(
            client,
            world,
            name="赵党员",
            is_in_service=True,
            residence_community_id=world.unit("c1").id,
        )
        b = await member_in_g1(
            client, world, name="钱党员", employer_community_id=world.unit("c2").id
        )
        person_g2 = await create_person(client, world["town_admin"], world.unit("b2"), name="孙某")
        c = await create_member(client, world["town_admin"], person_g2["id"], world.unit("g2"))

        async def ids(**params: object) -> list[int]:
            response = await client.get(URL, params=params, headers=world["town_admin"])
            assert response.status_code == 200, response.text
            return [m["id"] for m in response.json()["items"]]

        assert await ids(branch_id=world.unit("g1").id) == [b["id"], a["id"]]
        assert await ids(branch_id=world.unit("g2").id) == [c["id"]]
        assert await ids(is_in_service=True) == [a["id"]]
        assert await ids(is_in_service=False) == [c["id"], b["id"]]
        assert await ids(residence_community_id=world.unit("c1").id) == [a["id"]]
        assert await ids(employer_community_id=world.unit("c2").id) == [b["id"]]
        assert await ids(q="党员") == [b["id"], a["id"]]
        assert await ids(q="孙") == [c["id"]]

    async def test_masks_embedded_people(self, client: httpx.AsyncClient, world: World) -> None:
        await member_in_g1(client, world)
        [masked] = (await client.get(URL, headers=world["dispatcher"])).json()["items"]
        [full] = (await client.get(URL, headers=world["admin"])).json()["items"]
        assert masked["person"]["mobile"] == "138****5678"
        assert full["person"]["mobile"] == "13812345678"

    async def test_keyset_pages_and_archived(self, client: httpx.AsyncClient, world: World) -> None:
        created = [(await member_in_g1(client, world, name=f"党员{i}"))["id"] for i in range(3)]
        first = (await client.get(URL, params={"limit": 2}, headers=world["admin"])).json()
        assert [m["id"] for m in first["items"]] == created[:0:-1]
        second = (
            await client.get(
                URL, params={"limit": 2, "cursor": first["next_cursor"]}, headers=world["admin"]
            )
        ).json()
        assert [m["id"] for m in second["items"]] == [created[0]]
        assert second["next_cursor"] is None
        await client.post(
            f"{URL}/{created[0]}/archive", headers={**world["admin"], "If-Match": 'W/"1"'}
        )
        live = (await client.get(URL, headers=world["admin"])).json()["items"]
        assert created[0] not in [m["id"] for m in live]
        everything = (
            await client.get(URL, params={"include_archived": True}, headers=world["admin"])
        ).json()["items"]
        assert created[0] in [m["id"] for m in everything]


class TestUpdateMember:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        member = await member_in_g1(client, world)
        response = await client.patch(
            f"{URL}/{member['id']}", json={"is_in_service": True}, headers={"If-Match": 'W/"1"'}
        )
        assert_problem(response, 401, "auth.unauthenticated")

    @pytest.mark.parametrize("role", ["dispatcher", "grid_worker", "member"])
    async def test_weak_role_is_403(
        self, client: httpx.AsyncClient, world: World, role: str
    ) -> None:
        member = await member_in_g1(client, world)
        response = await client.patch(
            f"{URL}/{member['id']}",
            json={"is_in_service": True},
            headers={**world[role], "If-Match": 'W/"1"'},
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_sibling_subtree_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        member = await member_in_g1(client, world)
        response = await client.patch(
            f"{URL}/{member['id']}",
            json={"is_in_service": True},
            headers={**world["sibling"], "If-Match": 'W/"1"'},
        )
        assert_problem(response, 404, "member.not_found")

    async def test_if_match(self, client: httpx.AsyncClient, world: World) -> None:
        member = await member_in_g1(client, world)
        url = f"{URL}/{member['id']}"
        response = await client.patch(url, json={"is_in_service": True}, headers=world["admin"])
        assert_problem(response, 428, "resource.version_required")
        response = await client.patch(
            url, json={"is_in_service": True}, headers={**world["admin"], "If-Match": 'W/"2"'}
        )
        assert_problem(response, 412, "resource.version_mismatch")

    async def test_updates_and_moves_branch(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        member = await member_in_g1(client, world, employer_unit="旧单位")
        response = await client.patch(
            f"{URL}/{member['id']}",
            json={
                "branch_id": world.unit("g2").id,
                "is_in_service": True,
                "employer_unit": None,
                "employer_community_id": world.unit("oc").id,
                "join_date": "2001-07-01",
            },
            headers={**world["town_admin"], "If-Match": 'W/"1"'},
        )
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == 'W/"2"'
        row = await load(db, member["id"])
        g2 = world.unit("g2")
        assert (row.branch_id, row.community_id, row.grid_id) == (g2.id, g2.community_id, g2.id)
        assert (row.is_in_service, row.employer_unit, row.employer_community_id) == (
            True,
            None,
            world.unit("oc").id,
        )
        assert row.join_date == date(2001, 7, 1) and row.version == 2
        # c1's admin no longer holds the membership.
        response = await client.get(f"{URL}/{member['id']}", headers=world["admin"])
        assert_problem(response, 404, "member.not_found")

    async def test_branch_out_of_scope_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        member = await member_in_g1(client, world)
        response = await client.patch(
            f"{URL}/{member['id']}",
            json={"branch_id": world.unit("g2").id},
            headers={**world["admin"], "If-Match": 'W/"1"'},
        )
        assert_problem(response, 404, "member.branch_not_found")

    async def test_invalid_community_is_422(self, client: httpx.AsyncClient, world: World) -> None:
        member = await member_in_g1(client, world)
        response = await client.patch(
            f"{URL}/{member['id']}",
            json={"residence_community_id": world.unit("g1").id},
            headers={**world["admin"], "If-Match": 'W/"1"'},
        )
        assert_problem(response, 422, "member.invalid_community")

    async def test_required_fields_cannot_be_cleared(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        member = await member_in_g1(client, world)
        response = await client.patch(
            f"{URL}/{member['id']}",
            json={"join_date": None},
            headers={**world["admin"], "If-Match": 'W/"1"'},
        )
        [error] = assert_problem(response, 422, "request.validation_failed")["errors"]
        assert error["field"] == "join_date"


class TestArchiveMember:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        member = await member_in_g1(client, world)
        response = await client.post(f"{URL}/{member['id']}/archive", headers={"If-Match": 'W/"1"'})
        assert_problem(response, 401, "auth.unauthenticated")

    @pytest.mark.parametrize("role", ["dispatcher", "resident"])
    async def test_weak_role_is_403(
        self, client: httpx.AsyncClient, world: World, role: str
    ) -> None:
        member = await member_in_g1(client, world)
        response = await client.post(
            f"{URL}/{member['id']}/archive", headers={**world[role], "If-Match": 'W/"1"'}
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_sibling_subtree_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        member = await member_in_g1(client, world)
        response = await client.post(
            f"{URL}/{member['id']}/archive", headers={**world["sibling"], "If-Match": 'W/"1"'}
        )
        assert_problem(response, 404, "member.not_found")

    async def test_if_match(self, client: httpx.AsyncClient, world: World) -> None:
        member = await member_in_g1(client, world)
        url = f"{URL}/{member['id']}/archive"
        assert_problem(
            await client.post(url, headers=world["admin"]), 428, "resource.version_required"
        )
        assert_problem(
            await client.post(url, headers={**world["admin"], "If-Match": 'W/"3"'}),
            412,
            "resource.version_mismatch",
        )

    async def test_archives_then_person_may_be_archived(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        member = await member_in_g1(client, world)
        url = f"{URL}/{member['id']}/archive"
        response = await client.post(url, headers={**world["admin"], "If-Match": 'W/"1"'})
        assert response.status_code == 200, response.text
        assert response.json()["is_archived"] is True
        row = await load(db, member["id"])
        assert (row.is_archived, row.version) == (True, 2)
        again = await client.post(url, headers={**world["admin"], "If-Match": 'W/"2"'})
        assert_problem(again, 409, "member.archived")
        person = await client.post(
            f"/api/v1/people/{member['person']['id']}/archive",
            headers={**world["admin"], "If-Match": 'W/"1"'},
        )
        assert person.status_code == 200, person.text
