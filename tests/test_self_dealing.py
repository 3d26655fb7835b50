"""Self-dealing (issue 15): nobody links their own account to a person, grants their
own account a role (not even an "own-capacity" one such as member), or awards points
to the person they act as."""

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.users.models import UserAccount
from tests.points.ledger_support import API, World, balance_of, world
from tests.support.problems import assert_problem

__all__ = ["world"]


async def _link(db: AsyncSession, world: World, caller: str, person: str) -> None:
    await db.execute(
        update(UserAccount)
        .where(UserAccount.id == world.users[caller].id)
        .values(person_id=world.people[person].id)
    )


async def test_an_admin_cannot_link_their_own_account(
    client: httpx.AsyncClient, world: World
) -> None:
    me = world.users["admin"]
    response = await client.patch(
        f"/api/v1/users/{me.id}",
        json={"person_id": world.people["p1"].id},
        headers={**world["admin"], "If-Match": 'W/"1"'},
    )
    assert_problem(response, 403, "user.self_dealing")


async def test_an_admin_cannot_grant_their_own_account_a_role(
    client: httpx.AsyncClient, world: World
) -> None:
    me = world.users["admin"]
    for role in ("member", "dispatcher"):
        response = await client.post(
            f"/api/v1/users/{me.id}/grants",
            json={"role": role, "org_unit_id": world.id("c1")},
            headers=world["admin"],
        )
        assert_problem(response, 403, "user.self_dealing")


async def test_nobody_awards_points_to_themselves(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    await _link(db, world, "admin", "p4")
    for amount in (5000, -10):
        response = await client.post(
            f"{API}/adjustments",
            json={"person_id": world.people["p4"].id, "amount": amount, "reason": "自己发"},
            headers=world.with_key("admin"),
        )
        assert_problem(response, 403, "points.self_adjustment")
    assert await balance_of(db, world.people["p4"].id) == 0
    # Another holder of points.award may.
    response = await client.post(
        f"{API}/adjustments",
        json={"person_id": world.people["p4"].id, "amount": 20, "reason": "抗洪抢险"},
        headers=world.with_key("town_admin"),
    )
    assert response.status_code == 201, response.text
