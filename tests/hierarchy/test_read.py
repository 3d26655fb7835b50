"""Reads: one unit, search and lists, children, subtree with counts, ancestors."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.hierarchy import service
from tests.hierarchy.conftest import BASE, World
from tests.support.factory import make_unit
from tests.support.problems import assert_problem


class TestGet:
    async def test_returns_the_unit_with_its_etag(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(f"{BASE}/{world.id('g1')}", headers=world["admin"])
        assert response.status_code == 200
        assert response.headers["etag"] == 'W/"1"'
        body = response.json()
        assert (body["name"], body["level"], body["grid_kind"]) == (
            "红星一网格",
            "grid",
            "compound",
        )
        assert (body["community_id"], body["grid_id"]) == (world.id("c1"), world.id("g1"))

    async def test_phone_masked_without_pii(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        unit = await make_unit(db, "building", world.units["g1"], contact_phone="13812345678")
        admin = await client.get(f"{BASE}/{unit.id}", headers=world["admin"])
        member = await client.get(f"{BASE}/{unit.id}", headers=world["member"])
        assert admin.json()["contact_phone"] == "13812345678"
        assert member.json()["contact_phone"] == "138****5678"

    async def test_unknown_id_404(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(f"{BASE}/999999999", headers=world["superuser"])
        assert_problem(response, 404, "resource.not_found")


class TestList:
    async def test_search_matches_name_or_code_in_any_case(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        await make_unit(db, "building", world.units["g1"], code="ABC-Zeta-1", name="甲楼")
        await make_unit(db, "building", world.units["g1"], code="q-2", name="含zeta的楼")
        await make_unit(db, "building", world.units["g1"], code="q-3", name="无关")
        response = await client.get(BASE, params={"q": "ZETA"}, headers=world["admin"])
        assert sorted(u["code"] for u in response.json()["items"]) == ["ABC-Zeta-1", "q-2"]

    async def test_search_treats_wildcards_literally(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(BASE, params={"q": "%"}, headers=world["superuser"])
        assert response.json()["items"] == []

    async def test_filter_by_level_within_scope(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(BASE, params={"level": "grid"}, headers=world["admin"])
        assert [u["id"] for u in response.json()["items"]] == [world.id("g1"), world.id("g1b")]

    async def test_archived_hidden_unless_asked(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        params = {"level": "household"}
        live = await client.get(BASE, params=params, headers=world["admin"])
        every = await client.get(
            BASE, params={**params, "include_archived": "true"}, headers=world["admin"]
        )
        assert [u["id"] for u in live.json()["items"]] == [world.id("h1")]
        assert [u["id"] for u in every.json()["items"]] == [world.id("h1"), world.id("h_archived")]

    async def test_keyset_pages_cover_everything_once(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        seen: list[int] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, str | int] = {"limit": 2, "include_archived": "true"}
            if cursor:
                params["cursor"] = cursor
            body = (await client.get(BASE, params=params, headers=world["town_admin"])).json()
            seen += [u["id"] for u in body["items"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        expected = sorted(world.id(k) for k in world.units if k not in ("other_town", "oc"))
        assert seen == expected
        assert pages == (len(expected) + 1) // 2

    async def test_bad_cursor_400(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(BASE, params={"cursor": "nonsense"}, headers=world["admin"])
        assert_problem(response, 400, "request.invalid_cursor")

    async def test_limit_bounded(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(BASE, params={"limit": 201}, headers=world["admin"])
        assert_problem(response, 422, "request.validation_failed")


class TestChildren:
    async def test_lists_live_children_by_id(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(f"{BASE}/{world.id('c1')}/children", headers=world["admin"])
        assert [u["id"] for u in response.json()["items"]] == [world.id("g1"), world.id("g1b")]

    async def test_paged(self, client: httpx.AsyncClient, world: World) -> None:
        first = await client.get(
            f"{BASE}/{world.id('c1')}/children", params={"limit": 1}, headers=world["admin"]
        )
        second = await client.get(
            f"{BASE}/{world.id('c1')}/children",
            params={"limit": 1, "cursor": first.json()["next_cursor"]},
            headers=world["admin"],
        )
        assert [u["id"] for u in first.json()["items"]] == [world.id("g1")]
        assert [u["id"] for u in second.json()["items"]] == [world.id("g1b")]
        assert second.json()["next_cursor"] is None


class TestSubtree:
    async def test_nested_to_depth_with_counts_per_level(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(
            f"{BASE}/{world.id('town')}/subtree", params={"depth": 2}, headers=world["superuser"]
        )
        assert response.status_code == 200, response.text
        town = response.json()
        assert town["descendants"] == {
            "town": 0,
            "community": 2,
            "grid": 3,
            "building": 2,
            "household": 1,
        }
        assert [c["id"] for c in town["children"]] == [world.id("c1"), world.id("c2")]
        c1 = town["children"][0]
        assert c1["descendants"] == {
            "town": 0,
            "community": 0,
            "grid": 2,
            "building": 1,
            "household": 1,
        }
        assert [g["id"] for g in c1["children"]] == [world.id("g1"), world.id("g1b")]
        g1 = c1["children"][0]
        assert g1["descendants"]["building"] == 1 and g1["descendants"]["household"] == 1
        assert g1["children"] == []

    async def test_full_depth_reaches_households(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(
            f"{BASE}/{world.id('g1')}/subtree", params={"depth": 4}, headers=world["admin"]
        )
        g1 = response.json()
        (b1,) = g1["children"]
        (h1,) = b1["children"]
        assert h1["id"] == world.id("h1")
        assert h1["descendants"] == {
            "town": 0,
            "community": 0,
            "grid": 0,
            "building": 0,
            "household": 0,
        }

    async def test_depth_bounded(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(
            f"{BASE}/{world.id('town')}/subtree", params={"depth": 5}, headers=world["superuser"]
        )
        assert_problem(response, 422, "request.validation_failed")

    async def test_too_large_a_tree_refused(
        self, client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(service, "MAX_SUBTREE_NODES", 3)
        response = await client.get(
            f"{BASE}/{world.id('town')}/subtree", params={"depth": 4}, headers=world["superuser"]
        )
        body = assert_problem(response, 422, "org_unit.subtree_too_large")
        assert body["size"] == 8


class TestAncestors:
    async def test_breadcrumb_from_the_town_down(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(
            f"{BASE}/{world.id('h1')}/ancestors", headers=world["superuser"]
        )
        assert [u["id"] for u in response.json()] == [
            world.id(k) for k in ("town", "c1", "g1", "b1", "h1")
        ]
        assert response.json()[0] == {
            "id": world.id("town"),
            "code": world.units["town"].code,
            "name": "石龙镇",
            "level": "town",
        }

    async def test_starts_at_the_callers_scope(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(f"{BASE}/{world.id('h1')}/ancestors", headers=world["admin"])
        assert [u["id"] for u in response.json()] == [world.id(k) for k in ("c1", "g1", "b1", "h1")]
