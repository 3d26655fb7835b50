"""POST /org-units/{id}/move: the whole subtree and the people in it follow."""

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.people.models import PartyMember, Person
from tests.hierarchy.conftest import BASE, World, if_match, reload
from tests.support.factory import make_member, make_person, make_unit
from tests.support.problems import assert_problem


async def _move(
    client: httpx.AsyncClient, world: World, caller: str, key: str, parent: int, version: int = 1
) -> httpx.Response:
    return await client.post(
        f"{BASE}/{world.id(key)}/move",
        json={"new_parent_id": parent},
        headers={**world[caller], **if_match(version)},
    )


class TestMove:
    async def test_rewrites_the_ancestors_of_the_whole_subtree(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        response = await _move(client, world, "town_admin", "g1", world.id("c2"))
        assert response.status_code == 200, response.text
        assert response.json()["parent_id"] == world.id("c2")
        assert response.json()["community_id"] == world.id("c2")
        assert response.headers["etag"] == 'W/"2"'
        grandchild = await reload(db, world.id("h1"))
        assert (
            grandchild.town_id,
            grandchild.community_id,
            grandchild.grid_id,
            grandchild.building_id,
            grandchild.household_id,
        ) == (world.id("town"), world.id("c2"), world.id("g1"), world.id("b1"), world.id("h1"))
        assert grandchild.parent_id == world.id("b1")
        assert grandchild.version == 2
        untouched = await reload(db, world.id("g1b"))
        assert (untouched.community_id, untouched.version) == (world.id("c1"), 1)

    async def test_people_and_members_in_the_subtree_follow(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        person = await make_person(db, world.units["h1"])
        member = await make_member(db, person, world.units["g1"])
        response = await _move(client, world, "town_admin", "g1", world.id("c2"))
        assert response.status_code == 200, response.text
        moved = await db.scalar(
            select(Person.community_id)
            .where(Person.id == person.id)
            .execution_options(populate_existing=True)
        )
        membership = await db.scalar(
            select(PartyMember.community_id).where(PartyMember.id == member.id)
        )
        assert moved == world.id("c2")
        assert membership == world.id("c2")

    async def test_across_towns(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        response = await _move(client, world, "superuser", "c1", world.id("other_town"))
        assert response.status_code == 200, response.text
        for key in ("c1", "g1", "b1", "h1", "h_archived"):
            assert (await reload(db, world.id(key))).town_id == world.id("other_town")
        assert (await reload(db, world.id("c2"))).town_id == world.id("town")

    async def test_records_an_audit_event(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        await _move(client, world, "admin", "b1", world.id("g1b"))
        event = await db.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "org_unit.move", AuditEvent.target_id == str(world.id("b1"))
            )
        )
        assert event is not None and event.grid_id == world.id("g1b")

    async def test_refused_under_its_own_subtree(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        response = await _move(client, world, "admin", "c1", world.id("g1"))
        assert_problem(response, 422, "org_unit.move_into_own_subtree")
        itself = await _move(client, world, "admin", "g1", world.id("g1"))
        assert_problem(itself, 422, "org_unit.move_into_own_subtree")
        assert (await reload(db, world.id("c1"))).version == 1

    async def test_refused_when_the_levels_no_longer_fit(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        response = await _move(client, world, "town_admin", "b1", world.id("c2"))
        assert_problem(response, 422, "org_unit.level_mismatch")
        unit = await reload(db, world.id("b1"))
        assert (unit.parent_id, unit.version) == (world.id("g1"), 1)

    async def test_a_town_stays_a_root(self, client: httpx.AsyncClient, world: World) -> None:
        response = await _move(client, world, "superuser", "town", world.id("other_town"))
        assert_problem(response, 422, "org_unit.level_mismatch")

    async def test_new_parent_outside_scope_is_not_found(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await _move(client, world, "admin", "g1", world.id("c2"))
        assert_problem(response, 404, "resource.not_found")

    async def test_archived_new_parent_refused(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        archived = await make_unit(db, "grid", world.units["c1"], is_archived=True)
        response = await _move(client, world, "admin", "b1", archived.id)
        assert_problem(response, 422, "org_unit.parent_archived")

    async def test_needs_if_match(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(
            f"{BASE}/{world.id('b1')}/move",
            json={"new_parent_id": world.id("g1b")},
            headers=world["admin"],
        )
        assert_problem(response, 428, "resource.version_required")
        stale = await _move(client, world, "admin", "b1", world.id("g1b"), version=3)
        assert_problem(stale, 412, "resource.version_mismatch")
