"""Role grants: granted and revoked only within scope, never beyond the caller's own
power at that node (no privilege escalation), each audited."""

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.models import RoleGrant
from app.config import Settings
from tests.support.factory import bearer
from tests.support.problems import assert_problem
from tests.users.helpers import World, audit_events, make_user_manager


async def _grants(db: AsyncSession, user_id: int) -> list[tuple[str, int]]:
    query = select(RoleGrant.role, RoleGrant.org_unit_id).where(RoleGrant.user_id == user_id)
    return sorted((role, unit) for role, unit in (await db.execute(query)).all())


async def test_grant_gives_the_permissions_and_is_audited(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    before = (await client.get("/api/v1/me", headers=world.as_("target"))).json()
    assert "orders.dispatch" not in before["permissions"]
    g1 = world.tree["g1"]
    response = await client.post(
        f"/api/v1/users/{world.target.id}/grants",
        json={"role": "dispatcher", "org_unit_id": g1.id},
        headers=world.as_("admin"),
    )
    assert response.status_code == 201, response.text
    grant = response.json()
    assert (grant["role"], grant["org_unit_id"], grant["org_unit_level"]) == (
        "dispatcher",
        g1.id,
        "grid",
    )
    after = (await client.get("/api/v1/me", headers=world.as_("target"))).json()
    assert "orders.dispatch" in after["permissions"]
    (event,) = await audit_events(db, action="user.grant_role")
    assert (event.actor_user_id, event.target_id, event.grid_id) == (
        world.admin.id,
        str(world.target.id),
        g1.id,
    )
    again = await client.post(
        f"/api/v1/users/{world.target.id}/grants",
        json={"role": "dispatcher", "org_unit_id": g1.id},
        headers=world.as_("admin"),
    )
    assert_problem(again, 409, "user.grant_exists")


async def test_admin_may_make_residents_and_members_but_not_a_town_admin(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    url = f"/api/v1/users/{world.target.id}/grants"
    h1 = world.tree["h1"].id
    for role in ("resident", "member", "department_staff", "community_admin"):
        response = await client.post(
            url, json={"role": role, "org_unit_id": h1}, headers=world.as_("admin")
        )
        assert response.status_code == 201, (role, response.text)
    # A town administrator sets the points rules; a community administrator does not.
    response = await client.post(
        url, json={"role": "town_admin", "org_unit_id": h1}, headers=world.as_("admin")
    )
    assert_problem(response, 403, "user.grant_escalation")


async def test_no_privilege_escalation(
    client: httpx.AsyncClient, db: AsyncSession, world: World, settings: Settings
) -> None:
    manager = await make_user_manager(db, world.tree["c1"])
    headers = bearer(settings, manager)
    url = f"/api/v1/users/{world.target.id}/grants"
    g1 = world.tree["g1"].id
    # The manager lacks the admin's and the dispatcher's permissions: refused.
    for role in ("community_admin", "dispatcher"):
        response = await client.post(url, json={"role": role, "org_unit_id": g1}, headers=headers)
        assert_problem(response, 403, "user.grant_escalation")
    # A resident's only permission acts on their own orders: grantable.
    ok = await client.post(url, json={"role": "resident", "org_unit_id": g1}, headers=headers)
    assert ok.status_code == 201, ok.text
    # Revoking a role the manager could not grant is refused as well.
    (grid_worker,) = (
        await db.execute(
            select(RoleGrant.id).where(
                RoleGrant.user_id == world.target.id, RoleGrant.role == "grid_worker"
            )
        )
    ).scalars()
    response = await client.delete(f"{url}/{grid_worker}", headers=headers)
    assert_problem(response, 403, "user.grant_escalation")
    assert await _grants(db, world.target.id) == sorted([("grid_worker", g1), ("resident", g1)])


async def test_grant_outside_scope_is_not_found(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    response = await client.post(
        f"/api/v1/users/{world.target.id}/grants",
        json={"role": "resident", "org_unit_id": world.tree["b2"].id},
        headers=world.as_("admin"),
    )
    assert_problem(response, 404, "resource.not_found")
    elsewhere = RoleGrant(user_id=world.target.id, role="resident", org_unit_id=world.tree["oc"].id)
    db.add(elsewhere)
    await db.flush()
    response = await client.delete(
        f"/api/v1/users/{world.target.id}/grants/{elsewhere.id}", headers=world.as_("admin")
    )
    assert_problem(response, 404, "user.grant_not_found")


async def test_revoke_removes_the_grant_and_is_audited(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    (grant_id,) = (
        await db.execute(select(RoleGrant.id).where(RoleGrant.user_id == world.target.id))
    ).scalars()
    response = await client.delete(
        f"/api/v1/users/{world.target.id}/grants/{grant_id}", headers=world.as_("admin")
    )
    assert response.status_code == 204
    assert await _grants(db, world.target.id) == []
    (event,) = await audit_events(db, action="user.revoke_grant")
    assert event.grid_id == world.tree["g1"].id
    me = (await client.get("/api/v1/me", headers=world.as_("target"))).json()
    assert me["grants"] == [] and me["permissions"] == []
