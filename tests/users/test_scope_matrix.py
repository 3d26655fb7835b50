"""Every /users endpoint: no token → 401, in scope → allowed, sibling subtree → 404,
too weak a role → 403."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.models import RoleGrant
from tests.users.helpers import World

Request = tuple[str, str, dict[str, Any] | None, dict[str, str]]


async def _grant_id(db: AsyncSession, world: World) -> int:
    query = select(RoleGrant.id).where(RoleGrant.user_id == world.target.id)
    return (await db.execute(query)).scalar_one()


def read_user(w: World, grant_id: int) -> Request:
    return "GET", f"/api/v1/users/{w.target.id}", None, {}


def update_user(w: World, grant_id: int) -> Request:
    body = {"display_name": "改名"}
    return "PATCH", f"/api/v1/users/{w.target.id}", body, {"If-Match": 'W/"1"'}


def create_user(w: World, grant_id: int) -> Request:
    body = {
        "username": "new_worker",
        "display_name": "新网格员",
        "password": "Strong#Pass1",
        "grants": [{"role": "grid_worker", "org_unit_id": w.tree["g1"].id}],
    }
    return "POST", "/api/v1/users", body, {}


def grant_role(w: World, grant_id: int) -> Request:
    body = {"role": "dispatcher", "org_unit_id": w.tree["g1"].id}
    return "POST", f"/api/v1/users/{w.target.id}/grants", body, {}


def revoke_grant(w: World, grant_id: int) -> Request:
    return "DELETE", f"/api/v1/users/{w.target.id}/grants/{grant_id}", None, {}


ENDPOINTS: list[tuple[Callable[[World, int], Request], int]] = [
    (read_user, 200),
    (update_user, 200),
    (create_user, 201),
    (grant_role, 201),
    (revoke_grant, 204),
]


@pytest.mark.parametrize(("build", "allowed"), ENDPOINTS, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 401), ("admin", None), ("sibling", 404), ("weak", 403)],
    ids=["no-token", "in-scope", "sibling", "weak-role"],
)
async def test_matrix(
    client: httpx.AsyncClient,
    db: AsyncSession,
    world: World,
    build: Callable[[World, int], Request],
    allowed: int,
    who: str | None,
    expected: int | None,
) -> None:
    method, url, body, headers = build(world, await _grant_id(db, world))
    response = await client.request(method, url, json=body, headers={**headers, **world.as_(who)})
    assert response.status_code == (expected or allowed), response.text


async def test_read_only_role_cannot_write(client: httpx.AsyncClient, world: World) -> None:
    for build in (update_user, grant_role, create_user):
        method, url, body, headers = build(world, 0)
        response = await client.request(
            method, url, json=body, headers={**headers, **world.as_("auditor")}
        )
        assert response.status_code == 403, (build.__name__, response.text)


@pytest.mark.parametrize(
    ("who", "expected"), [(None, 401), ("weak", 403)], ids=["no-token", "weak-role"]
)
async def test_list_refused(
    client: httpx.AsyncClient, world: World, who: str | None, expected: int
) -> None:
    response = await client.get("/api/v1/users", headers=world.as_(who))
    assert response.status_code == expected


async def test_list_shows_only_the_callers_subtree(client: httpx.AsyncClient, world: World) -> None:
    seen = {}
    for who in ("admin", "sibling", "auditor", "root"):
        response = await client.get("/api/v1/users", params={"limit": 200}, headers=world.as_(who))
        assert response.status_code == 200
        seen[who] = {item["id"] for item in response.json()["items"]}
    c1_users = {u.id for u in (world.admin, world.weak, world.auditor, world.target)}
    assert c1_users <= seen["admin"]
    assert world.sibling.id not in seen["admin"]
    assert world.root.id not in seen["admin"]
    assert seen["auditor"] == seen["admin"]
    assert world.sibling.id in seen["sibling"]
    assert not c1_users & seen["sibling"]
    assert c1_users | {world.sibling.id, world.root.id} <= seen["root"]
