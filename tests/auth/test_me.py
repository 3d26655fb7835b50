"""GET /me: the account, its person (masked), its grants, its effective permissions."""

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.models import RolePermission
from app.authz.permissions import ALL
from app.config import Settings
from tests.support.factory import bearer, make_person, make_user
from tests.support.problems import assert_problem
from tests.users.helpers import World


async def test_requires_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/me")
    assert_problem(response, 401, "auth.unauthenticated")
    assert response.headers["www-authenticate"] == "Bearer"
    bad = await client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert_problem(bad, 401, "auth.unauthenticated")


async def test_account_grants_and_permissions(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    response = await client.get("/api/v1/me", headers=world.as_("admin"))
    assert response.status_code == 200
    me = response.json()
    c1 = world.tree["c1"]
    assert {k: me[k] for k in ("kind", "id", "username", "display_name", "is_superuser")} == {
        "kind": "user",
        "id": world.admin.id,
        "username": world.admin.username,
        "display_name": world.admin.display_name,
        "is_superuser": False,
    }
    assert me["person"] is None
    assert me["grants"] == [
        {
            "role": "community_admin",
            "org_unit_id": c1.id,
            "org_unit_name": c1.name,
            "org_unit_level": "community",
        }
    ]
    held = (
        await db.execute(
            select(RolePermission.permission).where(RolePermission.role == "community_admin")
        )
    ).scalars()
    assert me["permissions"] == sorted(held)


async def test_person_with_masked_mobile_and_several_grants(
    client: httpx.AsyncClient, db: AsyncSession, world: World, settings: Settings
) -> None:
    person = await make_person(db, world.tree["h1"], name="李建国", mobile="13912345678")
    user = await make_user(
        db, ("member", world.tree["g1"]), ("resident", world.tree["h1"]), person_id=person.id
    )
    me = (await client.get("/api/v1/me", headers=bearer(settings, user))).json()
    assert me["person"] == {"id": person.id, "name": "李建国", "mobile": "139****5678"}
    assert [g["role"] for g in me["grants"]] == ["member", "resident"]
    assert me["permissions"] == sorted(set(me["permissions"]))
    assert {"org.read", "orders.submit", "orders.work"} <= set(me["permissions"])


async def test_superuser_holds_everything(client: httpx.AsyncClient, world: World) -> None:
    me = (await client.get("/api/v1/me", headers=world.as_("root"))).json()
    assert me["is_superuser"] is True
    assert me["permissions"] == sorted(ALL)
