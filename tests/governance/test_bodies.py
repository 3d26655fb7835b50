"""/api/v1/partner-bodies: 业委会, 物业公司, 社会组织, 单位 linked to nodes, and contracts."""

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.governance.conftest import World, assert_problem, audit_events, created, ok

URL = "/api/v1/partner-bodies"


def company(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "property_company",
        "name": "粤华物业",
        "org_unit_id": world.unit("c1").id,
        "contact_name": "耿广路",
        "contact_phone": "13812345678",
        "credit_code": "91441900MA4UJ8K22X",
    } | fields


async def make_body(client: httpx.AsyncClient, world: World, **fields: Any) -> dict[str, Any]:
    return await created(
        await client.post(URL, json=company(world, **fields), headers=world["admin"])
    )


class TestCreate:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.post(URL, json=company(world)), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("caller", ["dispatcher", "resident", "member", "nobody"])
    async def test_without_manage_is_403(
        self, client: httpx.AsyncClient, world: World, caller: str
    ) -> None:
        response = await client.post(URL, json=company(world), headers=world[caller])
        assert_problem(response, 403, "auth.forbidden")

    async def test_node_outside_scope_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(URL, json=company(world), headers=world["sibling"])
        assert_problem(response, 404, "governance.unit_not_found")

    async def test_created_with_place_location_etag_and_audit(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await client.post(URL, json=company(world), headers=world["admin"])
        body = await created(response)
        assert response.headers["location"] == f"{URL}/{body['id']}"
        assert response.headers["etag"] == 'W/"1"'
        c1 = world.unit("c1")
        assert (body["town_id"], body["community_id"], body["grid_id"]) == (c1.town_id, c1.id, None)
        assert body["contact_phone"] == "13812345678"  # the admin holds pii over c1
        [event] = await audit_events(db, "partner_body.create")
        assert event.target_id == str(body["id"]) and event.community_id == c1.id

    async def test_replay_with_the_same_key_returns_the_first_response(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        headers = world["admin"] | {"Idempotency-Key": "body-1"}
        first = await created(await client.post(URL, json=company(world), headers=headers))
        again = await client.post(URL, json=company(world), headers=headers)
        assert again.status_code == 201 and again.json() == first
        assert again.headers["idempotent-replayed"] == "true"
        other = await client.post(URL, json=company(world, name="别的"), headers=headers)
        assert_problem(other, 422, "idempotency.key_reused")

    async def test_same_kind_and_name_at_a_node_is_409(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await make_body(client, world)
        response = await client.post(URL, json=company(world), headers=world["admin"])
        assert_problem(response, 409, "partner_body.name_taken")

    async def test_unknown_fields_and_bad_credit_codes_are_422(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        for body in (company(world, extra=1), company(world, credit_code="123")):
            response = await client.post(URL, json=body, headers=world["admin"])
            assert response.status_code == 422


class TestRead:
    async def test_phone_masked_without_pii(self, client: httpx.AsyncClient, world: World) -> None:
        body = await make_body(client, world)
        read = await ok(await client.get(f"{URL}/{body['id']}", headers=world["dispatcher"]))
        assert read["contact_phone"] == "138****5678"

    async def test_outside_scope_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        body = await make_body(client, world)
        response = await client.get(f"{URL}/{body['id']}", headers=world["sibling"])
        assert_problem(response, 404, "partner_body.not_found")

    async def test_residents_read_the_bodies_of_their_compound(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        committee = await make_body(
            client, world, kind="owners_committee", name="业委会", org_unit_id=world.unit("g1").id
        )
        above = await make_body(client, world)  # linked to the community, above the compound
        listed = await ok(await client.get(URL, headers=world["resident"]))
        assert [b["id"] for b in listed["items"]] == [committee["id"]]
        assert_problem(
            await client.get(f"{URL}/{above['id']}", headers=world["resident"]),
            404,
            "partner_body.not_found",
        )
        assert_problem(
            await client.get(f"{URL}/{committee['id']}", headers=world["far_resident"]),
            404,
            "partner_body.not_found",
        )

    async def test_list_filters_and_pages(self, client: httpx.AsyncClient, world: World) -> None:
        for n in range(3):
            await make_body(client, world, name=f"物业{n}")
        await make_body(client, world, kind="social_organisation", name="四点钟学校")
        page = await ok(
            await client.get(
                URL, params={"kind": "property_company", "limit": 2}, headers=world["admin"]
            )
        )
        assert len(page["items"]) == 2 and page["next_cursor"]
        rest = await ok(
            await client.get(
                URL,
                params={"kind": "property_company", "cursor": page["next_cursor"]},
                headers=world["admin"],
            )
        )
        assert [b["name"] for b in page["items"] + rest["items"]] == ["物业0", "物业1", "物业2"]


class TestUpdate:
    async def test_needs_if_match_and_refuses_stale(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await make_body(client, world)
        url = f"{URL}/{body['id']}"
        patch = {"contact_name": "张经理"}
        assert_problem(
            await client.patch(url, json=patch, headers=world["admin"]),
            428,
            "resource.version_required",
        )
        stale = world["admin"] | {"If-Match": 'W/"7"'}
        assert_problem(
            await client.patch(url, json=patch, headers=stale), 412, "resource.version_mismatch"
        )
        fresh = world["admin"] | {"If-Match": 'W/"1"'}
        response = await client.patch(url, json=patch | {"is_active": False}, headers=fresh)
        updated = await ok(response)
        assert (updated["contact_name"], updated["is_active"], updated["version"]) == (
            "张经理",
            False,
            2,
        )
        assert response.headers["etag"] == 'W/"2"'

    async def test_readers_cannot_update(self, client: httpx.AsyncClient, world: World) -> None:
        body = await make_body(client, world)
        headers = world["dispatcher"] | {"If-Match": 'W/"1"'}
        response = await client.patch(f"{URL}/{body['id']}", json={"name": "x"}, headers=headers)
        assert_problem(response, 403, "auth.forbidden")


class TestContracts:
    async def test_property_company_serves_a_compound(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await make_body(client, world)
        contract = {
            "org_unit_id": world.unit("g1").id,
            "starts_on": "2025-01-01",
            "ends_on": "2099-12-31",
        }
        added = await created(
            await client.post(
                f"{URL}/{body['id']}/contracts", json=contract, headers=world["admin"]
            )
        )
        assert added["is_current"] is True and added["grid_id"] == world.unit("g1").id
        listed = await ok(
            await client.get(f"{URL}/{body['id']}/contracts", headers=world["dispatcher"])
        )
        assert [c["id"] for c in listed["items"]] == [added["id"]]

    async def test_only_property_companies_and_compounds(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        committee = await make_body(client, world, kind="owners_committee", name="业委会")
        contract = {
            "org_unit_id": world.unit("g1").id,
            "starts_on": "2025-01-01",
            "ends_on": "2027-12-31",
        }
        response = await client.post(
            f"{URL}/{committee['id']}/contracts", json=contract, headers=world["admin"]
        )
        assert_problem(response, 422, "partner_body.not_property_company")
        body = await make_body(client, world)
        response = await client.post(
            f"{URL}/{body['id']}/contracts",
            json=contract | {"org_unit_id": world.unit("c1").id},
            headers=world["admin"],
        )
        assert_problem(response, 422, "governance.compound_required")
        backwards = contract | {"ends_on": "2024-01-01"}
        response = await client.post(
            f"{URL}/{body['id']}/contracts", json=backwards, headers=world["admin"]
        )
        assert response.status_code == 422
