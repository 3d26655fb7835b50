"""The access matrix of every org-unit endpoint: no token 401, a role too weak 403,
a caller of the sibling community 404, the community's own admin allowed."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.hierarchy.conftest import BASE, World, csv_bytes, if_match
from tests.support.problems import PROBLEM


@dataclass(frozen=True)
class Call:
    method: str
    path: Callable[[World], str]
    ok: int
    weak: str
    """The caller with too weak a role: ``member`` has org.read only, ``resident`` nothing."""
    body: Callable[[World], dict[str, Any]] | None = None
    versioned: bool = False
    upload: bool = False


CALLS = {
    "create": Call(
        "POST",
        lambda w: BASE,
        201,
        "member",
        body=lambda w: {
            "name": "新网格",
            "code": "NEW-G",
            "level": "grid",
            "parent_id": w.id("c1"),
        },
    ),
    "get": Call("GET", lambda w: f"{BASE}/{w.id('g1')}", 200, "resident"),
    "update": Call(
        "PATCH",
        lambda w: f"{BASE}/{w.id('g1')}",
        200,
        "member",
        body=lambda w: {"name": "改名网格"},
        versioned=True,
    ),
    "move": Call(
        "POST",
        lambda w: f"{BASE}/{w.id('b1')}/move",
        200,
        "member",
        body=lambda w: {"new_parent_id": w.id("g1b")},
        versioned=True,
    ),
    "archive": Call(
        "POST", lambda w: f"{BASE}/{w.id('h1')}/archive", 200, "member", versioned=True
    ),
    "restore": Call(
        "POST", lambda w: f"{BASE}/{w.id('h_archived')}/restore", 200, "member", versioned=True
    ),
    "children": Call("GET", lambda w: f"{BASE}/{w.id('c1')}/children", 200, "resident"),
    "subtree": Call("GET", lambda w: f"{BASE}/{w.id('c1')}/subtree?depth=2", 200, "resident"),
    "ancestors": Call("GET", lambda w: f"{BASE}/{w.id('h1')}/ancestors", 200, "resident"),
    "export": Call("GET", lambda w: f"{BASE}/export?root_id={w.id('c1')}", 200, "resident"),
}


async def _call(client: httpx.AsyncClient, world: World, call: Call, caller: str) -> httpx.Response:
    headers = dict(world[caller])
    if call.versioned:
        headers.update(if_match(1))
    body = call.body(world) if call.body else None
    return await client.request(call.method, call.path(world), json=body, headers=headers)


@pytest.mark.parametrize("name", sorted(CALLS))
class TestMatrix:
    async def test_without_token_401(
        self, client: httpx.AsyncClient, world: World, name: str
    ) -> None:
        response = await _call(client, world, CALLS[name], "anonymous")
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_too_weak_a_role_403(
        self, client: httpx.AsyncClient, world: World, name: str
    ) -> None:
        call = CALLS[name]
        response = await _call(client, world, call, call.weak)
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "auth.forbidden"

    async def test_sibling_subtree_404(
        self, client: httpx.AsyncClient, world: World, name: str
    ) -> None:
        response = await _call(client, world, CALLS[name], "sibling")
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "resource.not_found"

    async def test_in_scope_allowed(
        self, client: httpx.AsyncClient, world: World, name: str
    ) -> None:
        call = CALLS[name]
        response = await _call(client, world, call, "admin")
        assert response.status_code == call.ok, response.text


class TestListMatrix:
    """A list cannot 404: out-of-scope rows are simply absent."""

    async def test_without_token_401(self, client: httpx.AsyncClient) -> None:
        assert (await client.get(BASE)).status_code == 401

    async def test_resident_403(self, client: httpx.AsyncClient, world: World) -> None:
        assert (await client.get(BASE, headers=world["resident"])).status_code == 403

    async def test_sibling_sees_nothing_of_c1(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(
            BASE, params={"parent_id": world.id("c1")}, headers=world["sibling"]
        )
        assert response.status_code == 200
        assert response.json()["items"] == []

    async def test_admin_sees_c1_children(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(
            BASE, params={"parent_id": world.id("c1")}, headers=world["admin"]
        )
        assert [u["id"] for u in response.json()["items"]] == [world.id("g1"), world.id("g1b")]


class TestImportMatrix:
    """An import names parents by code: one outside the caller's scope is not found."""

    @staticmethod
    def _file(world: World) -> dict[str, tuple[str, bytes, str]]:
        row = {"code": "IMP-G", "name": "导入网格", "level": "grid"}
        row["parent_code"] = world.units["c1"].code
        return {"file": ("units.csv", csv_bytes([row]), "text/csv")}

    async def test_without_token_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(f"{BASE}/import", files=self._file(world))
        assert response.status_code == 401

    async def test_member_403(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(
            f"{BASE}/import", files=self._file(world), headers=world["member"]
        )
        assert response.status_code == 403

    async def test_sibling_parent_not_found(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(
            f"{BASE}/import", files=self._file(world), headers=world["sibling"]
        )
        assert response.status_code == 422
        (error,) = response.json()["errors"]
        assert (error["row"], error["column"], error["problem_code"]) == (
            2,
            "parent_code",
            "parent_not_found",
        )

    async def test_admin_allowed(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(
            f"{BASE}/import", files=self._file(world), headers=world["admin"]
        )
        assert response.status_code == 201, response.text
