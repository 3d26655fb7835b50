"""/api/v1/offices and /compounds/{id}/seats: offices held for a term, the role an office
carries, and the cross-appointment (双向进入、交叉任职)."""

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.models import RoleGrant
from app.config import Settings
from tests.governance.conftest import World, assert_problem, audit_events, created, ok
from tests.governance.test_bodies import make_body
from tests.support.factory import bearer, make_member, make_person, make_user

URL = "/api/v1/offices"


async def make_station(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    body = {"kind": "red_flag", "name": "红旗驿站", "org_unit_id": world.unit("g1").id}
    return await created(await client.post("/api/v1/stations", json=body, headers=world["admin"]))


async def appoint(
    client: httpx.AsyncClient, world: World, who: str = "admin", **fields: Any
) -> httpx.Response:
    body = {"starts_on": "2026-01-01"} | fields
    return await client.post(URL, json=body, headers=world[who])


async def grants_of(db: AsyncSession, user_id: int) -> list[tuple[str, int]]:
    rows = await db.execute(
        select(RoleGrant.role, RoleGrant.org_unit_id)
        .where(RoleGrant.user_id == user_id)
        .execution_options(populate_existing=True)
    )
    return sorted((r, u) for r, u in rows.all())


class TestAppoint:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(URL, json={"person_id": 1})
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_readers_cannot_appoint(self, client: httpx.AsyncClient, world: World) -> None:
        response = await appoint(
            client,
            world,
            "dispatcher",
            person_id=world.person("member").id,
            office="secretary",
            org_unit_id=world.unit("g1").id,
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_seat_outside_scope_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        response = await appoint(
            client,
            world,
            "sibling",
            person_id=world.person("member").id,
            office="secretary",
            org_unit_id=world.unit("g1").id,
        )
        assert_problem(response, 404, "office.seat_not_found")

    async def test_secretary_of_a_branch(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await appoint(
            client,
            world,
            person_id=world.person("member").id,
            office="secretary",
            org_unit_id=world.unit("g1").id,
        )
        term = await created(response)
        assert response.headers["location"] == f"{URL}/{term['id']}"
        assert term["seat"] == {
            "kind": "org_unit",
            "id": world.unit("g1").id,
            "name": "红星一网格",
            "body_kind": None,
        }
        assert term["is_current"] and term["grid_id"] == world.unit("g1").id
        assert term["person"]["mobile"] == "13812345678"
        [event] = await audit_events(db, "office.appoint")
        assert event.target_id == str(term["id"])

    async def test_party_offices_need_a_member(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await appoint(
            client,
            world,
            person_id=world.person("resident").id,
            office="secretary",
            org_unit_id=world.unit("g1").id,
        )
        assert_problem(response, 422, "governance.not_a_party_member")

    async def test_office_must_fit_its_seat(self, client: httpx.AsyncClient, world: World) -> None:
        company = await make_body(client, world)
        response = await appoint(
            client,
            world,
            person_id=world.person("resident").id,
            office="committee_chair",
            body_id=company["id"],
        )
        assert_problem(response, 422, "office.does_not_fit")
        response = await appoint(
            client,
            world,
            person_id=world.person("resident").id,
            office="building_leader",
            org_unit_id=world.unit("c1").id,
        )
        assert_problem(response, 422, "office.does_not_fit")

    async def test_one_seat_exactly(self, client: httpx.AsyncClient, world: World) -> None:
        response = await appoint(
            client,
            world,
            person_id=world.person("member").id,
            office="secretary",
            org_unit_id=world.unit("g1").id,
            station_id=1,
        )
        assert response.status_code == 422

    async def test_the_same_office_twice_is_409(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        fields = {
            "person_id": world.person("member").id,
            "office": "secretary",
            "org_unit_id": world.unit("g1").id,
        }
        await created(await appoint(client, world, **fields))
        assert_problem(await appoint(client, world, **fields), 409, "office.already_held")


class TestRoleWithTheOffice:
    async def test_station_master_gets_the_role_for_the_term(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        station = await make_station(client, world)
        member = world.users["member"]
        term = await created(
            await appoint(
                client,
                world,
                person_id=world.person("member").id,
                office="station_master",
                station_id=station["id"],
                grant_role="community_admin",
            )
        )
        g1 = world.unit("g1").id
        assert term["role_grant_id"] is not None
        assert ("community_admin", g1) in await grants_of(db, member.id)
        detail = await ok(
            await client.get(f"/api/v1/stations/{station['id']}", headers=world["admin"])
        )
        assert [o["id"] for o in detail["officers"]] == [term["id"]]

        end = await client.post(
            f"{URL}/{term['id']}/end",
            json={"reason": "换届", "ended_on": "2026-06-30"},
            headers=world["admin"] | {"If-Match": 'W/"1"'},
        )
        ended = await ok(end)
        assert (ended["ended_on"], ended["is_current"], ended["role_grant_id"]) == (
            "2026-06-30",
            False,
            None,
        )
        assert ("community_admin", g1) not in await grants_of(db, member.id)
        history = await ok(
            await client.get(URL, params={"current": "false"}, headers=world["admin"])
        )
        assert [t["id"] for t in history["items"]] == [term["id"]]
        again = await client.post(
            f"{URL}/{term['id']}/end",
            json={"reason": "again"},
            headers=world["admin"] | {"If-Match": 'W/"2"'},
        )
        assert_problem(again, 409, "office.term_ended")

    async def test_nobody_appoints_themselves_with_a_role(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, settings: Settings
    ) -> None:
        station = await make_station(client, world)
        person = await make_person(db, world.unit("h1"), name="自荐书记")
        await make_member(db, person, world.unit("g1"))
        admin = await make_user(db, ("community_admin", world.unit("c1")), person_id=person.id)
        world.headers["self"] = bearer(settings, admin)
        response = await appoint(
            client,
            world,
            "self",
            person_id=person.id,
            office="station_master",
            station_id=station["id"],
            grant_role="community_admin",
        )
        assert_problem(response, 403, "office.self_appointment")

    async def test_no_role_beyond_the_callers_own(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        station = await make_station(client, world)
        response = await appoint(
            client,
            world,
            person_id=world.person("member").id,
            office="station_master",
            station_id=station["id"],
            grant_role="town_admin",
        )
        assert_problem(response, 403, "user.grant_escalation")

    async def test_holder_needs_an_account(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        station = await make_station(client, world)
        person = await make_person(db, world.unit("h1"))
        await make_member(db, person, world.unit("g1"))
        response = await appoint(
            client,
            world,
            person_id=person.id,
            office="station_master",
            station_id=station["id"],
            grant_role="community_admin",
        )
        assert_problem(response, 422, "user.holder_without_account")


class TestRead:
    async def test_outside_scope_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        term = await created(
            await appoint(
                client,
                world,
                person_id=world.person("member").id,
                office="secretary",
                org_unit_id=world.unit("g1").id,
            )
        )
        assert_problem(
            await client.get(f"{URL}/{term['id']}", headers=world["sibling"]),
            404,
            "office.not_found",
        )
        read = await client.get(f"{URL}/{term['id']}", headers=world["dispatcher"])
        assert (await ok(read))["person"]["mobile"] == "138****5678"
        assert read.headers["etag"] == 'W/"1"'


class TestCompoundSeats:
    async def test_cross_appointments_show_per_person(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        g1 = world.unit("g1")
        committee = await make_body(
            client, world, kind="owners_committee", name="业委会", org_unit_id=g1.id
        )
        company = await make_body(client, world)  # linked to c1, serving g1 by contract
        await created(
            await client.post(
                f"/api/v1/partner-bodies/{company['id']}/contracts",
                json={"org_unit_id": g1.id, "starts_on": "2025-01-01", "ends_on": "2099-12-31"},
                headers=world["admin"],
            )
        )
        member, neighbour = world.person("member").id, world.person("neighbour").id
        for fields in (
            {"person_id": member, "office": "secretary", "org_unit_id": g1.id},
            {"person_id": member, "office": "committee_member", "body_id": committee["id"]},
            {"person_id": neighbour, "office": "property_manager", "body_id": company["id"]},
        ):
            await created(await appoint(client, world, **fields))
        seats = await ok(
            await client.get(f"/api/v1/compounds/{g1.id}/seats", headers=world["dispatcher"])
        )
        assert seats["cross_appointed"] == 1
        first, second = seats["holders"]
        assert (first["person"]["id"], first["is_cross_appointed"]) == (member, True)
        assert {s["office"] for s in first["seats"]} == {"secretary", "committee_member"}
        assert (second["person"]["id"], second["seats"][0]["seat"]["body_kind"]) == (
            neighbour,
            "property_company",
        )

    async def test_not_a_compound_or_out_of_scope(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        c1, g1 = world.unit("c1").id, world.unit("g1").id
        assert_problem(
            await client.get(f"/api/v1/compounds/{c1}/seats", headers=world["admin"]),
            422,
            "governance.compound_required",
        )
        assert_problem(
            await client.get(f"/api/v1/compounds/{g1}/seats", headers=world["sibling"]),
            404,
            "governance.unit_not_found",
        )
        assert_problem(
            await client.get(f"/api/v1/compounds/{g1}/seats"), 401, "auth.unauthenticated"
        )

    @pytest.mark.parametrize("caller", ["resident", "member"])
    async def test_residents_see_their_compound(
        self, client: httpx.AsyncClient, world: World, caller: str
    ) -> None:
        g1 = world.unit("g1").id
        await ok(await client.get(f"/api/v1/compounds/{g1}/seats", headers=world[caller]))
