"""What the hierarchy asks of people, answered over the scoped-table registry: live
people and memberships keep a node from being archived, and follow it when it moves."""

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import scoped
from app.people.models import PartyMember, Person
from tests.people.conftest import World, create_member, create_person


async def placement(db: AsyncSession, model: Any, row_id: int) -> tuple[Any, ...]:
    row = (
        await db.execute(
            select(model.town_id, model.community_id, model.grid_id, model.building_id).where(
                model.id == row_id
            )
        )
    ).one()
    return tuple(row)


async def move(
    client: httpx.AsyncClient, world: World, caller: str, key: str, new_parent: str
) -> None:
    response = await client.post(
        f"/api/v1/org-units/{world.unit(key).id}/move",
        json={"new_parent_id": world.unit(new_parent).id},
        headers={**world[caller], "If-Match": 'W/"1"'},
    )
    assert response.status_code == 200, response.text


class TestLivePeopleBlockArchive:
    def test_people_and_memberships_declare_it(self) -> None:
        blocking = {cls for cls in scoped.scoped_classes() if cls.blocks_archive}
        assert blocking == {Person, PartyMember}

    async def test_counts_live_people_and_members_per_subtree(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        a = await create_person(client, world["town_admin"], world.unit("h1"))
        await create_person(client, world["town_admin"], world.unit("b1"))
        await create_person(client, world["town_admin"], world.unit("b2"))
        gone = await create_person(client, world["town_admin"], world.unit("h1"))
        await client.post(
            f"/api/v1/people/{gone['id']}/archive",
            headers={**world["town_admin"], "If-Match": 'W/"1"'},
        )
        await create_member(client, world["town_admin"], a["id"], world.unit("g1"))

        async def count(level: str, key: str) -> int:
            return await scoped.count_live_under(db, f"{level}_id", world.unit(key).id)

        assert await count("household", "h1") == 1
        assert await count("building", "b1") == 2
        assert await count("grid", "g1") == 3  # two people and one membership
        assert await count("community", "c2") == 1
        assert await count("town", "town") == 4
        assert await count("town", "other_town") == 0
        assert await count("community", "oc") == 0

    async def test_unknown_column_is_refused(self, db: AsyncSession) -> None:
        with pytest.raises(ValueError):
            await scoped.count_live_under(db, "province_id", 1)


class TestAMoveTakesPeopleAlong:
    async def test_people_and_members_under_the_moved_grid(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        inside = await create_person(client, world["town_admin"], world.unit("h1"))
        outside = await create_person(client, world["town_admin"], world.unit("b2"))
        member = await create_member(client, world["town_admin"], inside["id"], world.unit("g1"))
        town, c2 = world.unit("town"), world.unit("c2")
        g1, b1, b2 = world.unit("g1"), world.unit("b1"), world.unit("b2")

        await move(client, world, "town_admin", "g1", "c2")

        assert await placement(db, Person, inside["id"]) == (town.id, c2.id, g1.id, b1.id)
        assert await placement(db, PartyMember, member["id"]) == (town.id, c2.id, g1.id, None)
        assert await placement(db, Person, outside["id"]) == (town.id, c2.id, b2.grid_id, b2.id)
        # c1's admin lost them, c2's admin found them.
        response = await client.get(f"/api/v1/people/{inside['id']}", headers=world["admin"])
        assert response.status_code == 404
        response = await client.get(f"/api/v1/people/{inside['id']}", headers=world["sibling"])
        assert response.status_code == 200
        assert response.json()["version"] == 2  # its representation changed

    async def test_moving_a_community_to_another_town(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        person = await create_person(client, world["town_admin"], world.unit("h1"))
        await move(client, world, "superuser", "c1", "other_town")
        other, c1 = world.unit("other_town"), world.unit("c1")
        assert (await placement(db, Person, person["id"]))[:2] == (other.id, c1.id)
        response = await client.get(f"/api/v1/people/{person['id']}", headers=world["town_admin"])
        assert response.status_code == 404
        response = await client.get(
            f"/api/v1/people/{person['id']}", headers=world["other_town_admin"]
        )
        assert response.status_code == 200
