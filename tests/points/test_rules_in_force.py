"""GET /points/rules?town_id=: the earning rules in force in a town, its own versions
over the defaults."""

import httpx

from tests.points.ledger_support import API, World, world
from tests.support.problems import assert_problem

__all__ = ["world"]


async def _rules(client: httpx.AsyncClient, world: World, who: str, town: str) -> httpx.Response:
    return await client.get(
        f"{API}/rules", params={"town_id": world.units[town].id}, headers=world[who]
    )


async def test_the_towns_own_version_replaces_the_default(
    client: httpx.AsyncClient, world: World
) -> None:
    before = (await _rules(client, world, "town_admin", "town")).json()
    repair = [r for r in before if (r["kind"], r["key"]) == ("order_category", "repair")]
    assert repair and repair[0]["town_id"] is None  # the default
    changed = await client.post(
        f"{API}/rules",
        json={
            "kind": "order_category",
            "key": "repair",
            "points": 12,
            "town_id": world.units["town"].id,
        },
        headers=world["town_admin"],
    )
    assert changed.status_code == 201, changed.text
    after = (await _rules(client, world, "town_admin", "town")).json()
    (rule,) = [r for r in after if (r["kind"], r["key"]) == ("order_category", "repair")]
    assert rule["points"] == 12 and rule["town_id"] == world.units["town"].id
    assert rule["valid_to"] is None
    assert len(after) == len(before)
    # Another town still reads the default.
    other = (await _rules(client, world, "other_town_admin", "other_town")).json()
    (default,) = [r for r in other if (r["kind"], r["key"]) == ("order_category", "repair")]
    assert default["town_id"] is None


async def test_scope(client: httpx.AsyncClient, world: World) -> None:
    assert_problem(await _rules(client, world, "admin", "other_town"), 404, "points.town_not_found")
    assert_problem(
        await client.get(f"{API}/rules", params={"town_id": 1}), 401, "auth.unauthenticated"
    )
