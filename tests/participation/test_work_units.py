"""/api/v1/work-units, /work-unit-pairings, /work-unit-commitments: 单位, 结对, 承诺实事."""

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.participation.units.models import WorkUnit
from tests.participation.conftest import World, audit_events, party_member
from tests.support.factory import make_person
from tests.support.problems import assert_problem

URL = "/api/v1/work-units"
PAIRINGS = "/api/v1/work-unit-pairings"


async def create_unit(
    client: httpx.AsyncClient, world: World, name: str = "县税务局", caller: str = "town_admin"
) -> dict[str, Any]:
    body = {
        "org_unit_id": world.unit("town").id,
        "name": name,
        "kind": "government",
        "party_org_name": f"{name}机关党支部",
        "contact_name": "李主任",
        "contact_phone": "13912345678",
    }
    response = await client.post(URL, json=body, headers=world[caller])
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def pair(
    client: httpx.AsyncClient, world: World, unit_id: int, node: str = "c1"
) -> dict[str, Any]:
    response = await client.post(
        f"{URL}/{unit_id}/pairings",
        json={"org_unit_id": world.unit(node).id, "started_on": "2026-01-01"},
        headers=world["town_admin"],
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
async def unit(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    return await create_unit(client, world)


class TestCreateWorkUnit:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(URL, json={})
        assert_problem(response, 401, "auth.unauthenticated")

    @pytest.mark.parametrize("caller", ["dispatcher", "grid_worker", "member", "resident"])
    async def test_without_units_manage_is_403(
        self, client: httpx.AsyncClient, world: World, caller: str
    ) -> None:
        body = {
            "org_unit_id": world.unit("town").id,
            "name": "县税务局",
            "kind": "government",
            "party_org_name": "党支部",
        }
        assert_problem(
            await client.post(URL, json=body, headers=world[caller]), 403, "auth.forbidden"
        )

    async def test_registry_outside_scope_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = {
            "org_unit_id": world.unit("town").id,
            "name": "县税务局",
            "kind": "government",
            "party_org_name": "党支部",
        }
        response = await client.post(URL, json=body, headers=world["admin"])
        assert_problem(response, 404, "work_unit.org_unit_not_found")

    async def test_registry_below_community_is_422(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = {
            "org_unit_id": world.unit("g1").id,
            "name": "物业公司",
            "kind": "enterprise",
            "party_org_name": "党支部",
        }
        response = await client.post(URL, json=body, headers=world["admin"])
        assert_problem(response, 422, "work_unit.invalid_org_unit")

    async def test_creates_with_etag_location_audit_and_masked_phone(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        body = {
            "org_unit_id": world.unit("town").id,
            "name": "县税务局",
            "kind": "government",
            "party_org_name": "县税务局机关党支部",
            "contact_phone": "13912345678",
        }
        headers = world["town_admin"] | {"Idempotency-Key": "unit-1"}
        response = await client.post(URL, json=body, headers=headers)
        assert response.status_code == 201, response.text
        created = response.json()
        assert response.headers["etag"] == 'W/"1"'
        assert response.headers["location"] == f"{URL}/{created['id']}"
        assert (created["town_id"], created["community_id"]) == (world.unit("town").id, None)
        assert created["member_count"] == 0
        # town_admin holds pii; an auditor does not.
        assert created["contact_phone"] == "13912345678"
        seen = await client.get(f"{URL}/{created['id']}", headers=world["auditor"])
        assert seen.json()["contact_phone"] == "139****5678"
        [event] = await audit_events(db, "work_unit.create")
        assert event.target_id == str(created["id"])
        again = await client.post(URL, json=body, headers=headers)
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert (again.json(), again.headers["location"]) == (created, response.headers["location"])
        assert len(await audit_events(db, "work_unit.create")) == 1

    async def test_same_name_at_the_same_registry_is_409(
        self, client: httpx.AsyncClient, world: World, unit: dict[str, Any]
    ) -> None:
        body = {
            "org_unit_id": world.unit("town").id,
            "name": "县税务局",
            "kind": "government",
            "party_org_name": "另一个",
        }
        response = await client.post(URL, json=body, headers=world["town_admin"])
        assert_problem(response, 409, "work_unit.name_taken")

    @pytest.mark.parametrize(
        "patch",
        [{"kind": "ministry"}, {"name": ""}, {"contact_phone": "abc"}, {"extra": 1}],
    )
    async def test_bad_body_is_422(
        self, client: httpx.AsyncClient, world: World, patch: dict[str, Any]
    ) -> None:
        body = {
            "org_unit_id": world.unit("town").id,
            "name": "县税务局",
            "kind": "government",
            "party_org_name": "党支部",
        } | patch
        response = await client.post(URL, json=body, headers=world["town_admin"])
        assert_problem(response, 422, "request.validation_failed")


class TestReadWorkUnits:
    async def test_a_community_sees_the_units_paired_with_it_only(
        self, client: httpx.AsyncClient, world: World, unit: dict[str, Any]
    ) -> None:
        other = await create_unit(client, world, "县教育局")
        for caller in ("admin", "sibling", "dispatcher"):
            listed = await client.get(URL, headers=world[caller])
            assert listed.json()["items"] == [], caller
        assert_problem(
            await client.get(f"{URL}/{unit['id']}", headers=world["admin"]),
            404,
            "work_unit.not_found",
        )
        await pair(client, world, unit["id"], "c1")
        listed = await client.get(URL, headers=world["admin"])
        assert [u["id"] for u in listed.json()["items"]] == [unit["id"]]
        assert (await client.get(f"{URL}/{unit['id']}", headers=world["admin"])).status_code == 200
        assert (await client.get(URL, headers=world["sibling"])).json()["items"] == []
        town = await client.get(URL, headers=world["town_admin"])
        assert [u["id"] for u in town.json()["items"]] == [unit["id"], other["id"]]
        assert (await client.get(URL, headers=world["other_town_admin"])).json()["items"] == []

    async def test_filters_and_pages(
        self, client: httpx.AsyncClient, world: World, unit: dict[str, Any]
    ) -> None:
        second = await create_unit(client, world, "县教育局")
        found = await client.get(URL, params={"q": "教育"}, headers=world["town_admin"])
        assert [u["id"] for u in found.json()["items"]] == [second["id"]]
        first = (await client.get(URL, params={"limit": 1}, headers=world["town_admin"])).json()
        assert [u["id"] for u in first["items"]] == [unit["id"]]
        rest = await client.get(
            URL, params={"limit": 1, "cursor": first["next_cursor"]}, headers=world["town_admin"]
        )
        assert [u["id"] for u in rest.json()["items"]] == [second["id"]]

    async def test_member_is_403(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.get(URL, headers=world["member"]), 403, "auth.forbidden")


class TestUpdateWorkUnit:
    async def test_needs_if_match(
        self, client: httpx.AsyncClient, world: World, unit: dict[str, Any]
    ) -> None:
        url = f"{URL}/{unit['id']}"
        body = {"contact_name": "王主任"}
        assert_problem(
            await client.patch(url, json=body, headers=world["town_admin"]),
            428,
            "resource.version_required",
        )
        stale = world["town_admin"] | {"If-Match": 'W/"7"'}
        assert_problem(
            await client.patch(url, json=body, headers=stale), 412, "resource.version_mismatch"
        )
        fresh = world["town_admin"] | {"If-Match": 'W/"1"'}
        response = await client.patch(url, json=body, headers=fresh)
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == 'W/"2"'
        assert response.json()["contact_name"] == "王主任"

    async def test_a_community_that_only_sees_a_pairing_cannot_change_the_unit(
        self, client: httpx.AsyncClient, world: World, unit: dict[str, Any]
    ) -> None:
        await pair(client, world, unit["id"], "c1")
        response = await client.patch(
            f"{URL}/{unit['id']}",
            json={"name": "改名"},
            headers=world["admin"] | {"If-Match": 'W/"1"'},
        )
        assert_problem(response, 404, "work_unit.not_found")


class TestRoster:
    async def test_adds_lists_and_removes_party_members(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, unit: dict[str, Any]
    ) -> None:
        member = await party_member(db, world)
        url = f"{URL}/{unit['id']}/members"
        response = await client.post(
            url, json={"person_id": member.id}, headers=world["town_admin"]
        )
        assert response.status_code == 201, response.text
        listed = await client.get(url, headers=world["town_admin"])
        assert [m["person_id"] for m in listed.json()["items"]] == [member.id]
        read = await client.get(f"{URL}/{unit['id']}", headers=world["town_admin"])
        assert read.json()["member_count"] == 1
        removed = await client.delete(f"{url}/{member.id}", headers=world["town_admin"])
        assert removed.status_code == 204
        assert (await client.get(url, headers=world["town_admin"])).json()["items"] == []

    async def test_a_resident_is_422(
        self, client: httpx.AsyncClient, world: World, unit: dict[str, Any]
    ) -> None:
        response = await client.post(
            f"{URL}/{unit['id']}/members",
            json={"person_id": world.people["resident"].id},
            headers=world["town_admin"],
        )
        assert_problem(response, 422, "work_unit.not_a_party_member")

    async def test_one_unit_per_person(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, unit: dict[str, Any]
    ) -> None:
        other = await create_unit(client, world, "县教育局")
        member = await party_member(db, world)
        for target, status in ((unit, 201), (other, 409)):
            response = await client.post(
                f"{URL}/{target['id']}/members",
                json={"person_id": member.id},
                headers=world["town_admin"],
            )
            assert response.status_code == status, response.text

    async def test_person_outside_scope_is_404(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        town_unit = await client.post(
            URL,
            json={
                "org_unit_id": world.unit("c1").id,
                "name": "社区卫生站",
                "kind": "institution",
                "party_org_name": "卫生站党支部",
            },
            headers=world["admin"],
        )
        outsider = await make_person(db, world.unit("b2"))
        response = await client.post(
            f"{URL}/{town_unit.json()['id']}/members",
            json={"person_id": outsider.id},
            headers=world["admin"],
        )
        assert_problem(response, 404, "work_unit.person_not_found")


class TestPairings:
    async def test_pairs_with_a_community_and_the_community_reads_it(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, unit: dict[str, Any]
    ) -> None:
        created = await pair(client, world, unit["id"], "c1")
        assert (created["work_unit_name"], created["org_unit_name"]) == ("县税务局", "红星社区")
        assert created["community_id"] == world.unit("c1").id
        [event] = await audit_events(db, "work_unit.pair")
        assert event.community_id == world.unit("c1").id
        listed = await client.get(PAIRINGS, headers=world["admin"])
        assert [p["id"] for p in listed.json()["items"]] == [created["id"]]
        assert (await client.get(PAIRINGS, headers=world["sibling"])).json()["items"] == []
        assert_problem(
            await client.get(f"{PAIRINGS}/{created['id']}", headers=world["sibling"]),
            404,
            "pairing.not_found",
        )

    async def test_twice_is_409_and_a_grid_street_is_422(
        self, client: httpx.AsyncClient, world: World, unit: dict[str, Any]
    ) -> None:
        await pair(client, world, unit["id"], "c1")
        again = await client.post(
            f"{URL}/{unit['id']}/pairings",
            json={"org_unit_id": world.unit("c1").id, "started_on": "2026-02-01"},
            headers=world["town_admin"],
        )
        assert_problem(again, 409, "pairing.already_paired")
        street = await client.post(
            f"{URL}/{unit['id']}/pairings",
            json={"org_unit_id": world.unit("g2").id, "started_on": "2026-02-01"},
            headers=world["town_admin"],
        )
        assert_problem(street, 422, "pairing.invalid_org_unit")

    async def test_community_admin_pairs_a_unit_it_sees_with_its_compound(
        self, client: httpx.AsyncClient, world: World, unit: dict[str, Any]
    ) -> None:
        await pair(client, world, unit["id"], "c1")
        response = await client.post(
            f"{URL}/{unit['id']}/pairings",
            json={"org_unit_id": world.unit("g1").id, "started_on": "2026-03-01"},
            headers=world["admin"],
        )
        assert response.status_code == 201, response.text
        assert response.json()["grid_id"] == world.unit("g1").id
        elsewhere = await client.post(
            f"{URL}/{unit['id']}/pairings",
            json={"org_unit_id": world.unit("c2").id, "started_on": "2026-03-01"},
            headers=world["admin"],
        )
        assert_problem(elsewhere, 404, "pairing.org_unit_not_found")

    async def test_end_then_pair_again(
        self, client: httpx.AsyncClient, world: World, unit: dict[str, Any]
    ) -> None:
        created = await pair(client, world, unit["id"], "c1")
        url = f"{PAIRINGS}/{created['id']}/end"
        early = await client.post(url, json={"ended_on": "2025-12-31"}, headers=world["admin"])
        assert_problem(early, 422, "pairing.invalid_end")
        ended = await client.post(url, json={"ended_on": "2026-12-31"}, headers=world["admin"])
        assert ended.status_code == 200, ended.text
        assert ended.json()["ended_on"] == "2026-12-31"
        twice = await client.post(url, json={"ended_on": "2026-12-31"}, headers=world["admin"])
        assert_problem(twice, 409, "pairing.ended")
        assert (await client.get(PAIRINGS, headers=world["admin"])).json()["items"] == []
        await pair(client, world, unit["id"], "c1")


class TestCommitments:
    async def test_at_most_two_live_a_year_tracked_to_done(
        self, client: httpx.AsyncClient, world: World, unit: dict[str, Any]
    ) -> None:
        pairing = await pair(client, world, unit["id"], "c1")
        url = f"{PAIRINGS}/{pairing['id']}/commitments"
        made = []
        for title in ("加装楼道照明", "小区党建阵地"):
            kind = "livelihood" if title.startswith("加装") else "party_project"
            response = await client.post(
                url, json={"year": 2026, "kind": kind, "title": title}, headers=world["admin"]
            )
            assert response.status_code == 201, response.text
            made.append(response.json())
        third = await client.post(
            url,
            json={"year": 2026, "kind": "livelihood", "title": "第三件"},
            headers=world["admin"],
        )
        assert_problem(third, 409, "commitment.too_many")
        next_year = await client.post(
            url, json={"year": 2027, "kind": "livelihood", "title": "明年"}, headers=world["admin"]
        )
        assert next_year.status_code == 201
        target = f"/api/v1/work-unit-commitments/{made[0]['id']}"
        no_date = await client.patch(
            target, json={"status": "done"}, headers=world["admin"] | {"If-Match": 'W/"1"'}
        )
        assert_problem(no_date, 422, "request.validation_failed")
        done = await client.patch(
            target,
            json={"status": "done", "done_on": "2026-10-12", "result": "完成32盏"},
            headers=world["admin"] | {"If-Match": 'W/"1"'},
        )
        assert done.status_code == 200, done.text
        assert (done.json()["status"], done.json()["done_on"]) == ("done", "2026-10-12")
        reopened = await client.patch(
            target, json={"status": "in_progress"}, headers=world["admin"] | {"If-Match": 'W/"2"'}
        )
        assert reopened.json()["done_on"] is None
        listed = await client.get(url, params={"year": 2026}, headers=world["dispatcher"])
        assert [c["id"] for c in listed.json()["items"]] == [m["id"] for m in made]
        assert_problem(await client.get(url, headers=world["sibling"]), 404, "pairing.not_found")

    async def test_dropped_frees_a_place(
        self, client: httpx.AsyncClient, world: World, unit: dict[str, Any]
    ) -> None:
        pairing = await pair(client, world, unit["id"], "c1")
        url = f"{PAIRINGS}/{pairing['id']}/commitments"
        ids = []
        for n in range(2):
            response = await client.post(
                url,
                json={"year": 2026, "kind": "livelihood", "title": f"实事{n}"},
                headers=world["admin"],
            )
            ids.append(response.json()["id"])
        await client.patch(
            f"/api/v1/work-unit-commitments/{ids[0]}",
            json={"status": "dropped"},
            headers=world["admin"] | {"If-Match": 'W/"1"'},
        )
        again = await client.post(
            url, json={"year": 2026, "kind": "livelihood", "title": "替换"}, headers=world["admin"]
        )
        assert again.status_code == 201


async def test_registry_at_a_community(
    client: httpx.AsyncClient, world: World, db: AsyncSession
) -> None:
    """驻区单位: a community registers a unit of its own; the sibling never sees it."""
    response = await client.post(
        URL,
        json={
            "org_unit_id": world.unit("c1").id,
            "name": "社区卫生站",
            "kind": "institution",
            "party_org_name": "卫生站党支部",
        },
        headers=world["admin"],
    )
    assert response.status_code == 201, response.text
    row = await db.get(WorkUnit, response.json()["id"])
    assert row is not None and row.community_id == world.unit("c1").id
    assert (await client.get(URL, headers=world["sibling"])).json()["items"] == []
