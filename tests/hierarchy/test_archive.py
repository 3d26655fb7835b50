"""POST /org-units/{id}/archive and /restore."""

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from tests.hierarchy.conftest import BASE, World, if_match, reload
from tests.support.factory import make_person
from tests.support.problems import assert_problem


async def _post(
    client: httpx.AsyncClient, world: World, key: str, step: str, version: int = 1
) -> httpx.Response:
    return await client.post(
        f"{BASE}/{world.id(key)}/{step}", headers={**world["admin"], **if_match(version)}
    )


class TestArchive:
    async def test_archives_a_leaf(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        response = await _post(client, world, "h1", "archive")
        assert response.status_code == 200, response.text
        assert response.json()["is_archived"] is True
        assert response.headers["etag"] == 'W/"2"'
        unit = await reload(db, world.id("h1"))
        assert (unit.is_archived, unit.version) == (True, 2)
        event = await db.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "org_unit.archive", AuditEvent.target_id == str(unit.id)
            )
        )
        assert event is not None and event.household_id == unit.id

    async def test_archived_children_do_not_block(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await _post(client, world, "h1", "archive")
        response = await _post(client, world, "b1", "archive")
        assert response.status_code == 200, response.text

    async def test_refused_with_live_children(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        response = await _post(client, world, "b1", "archive")
        body = assert_problem(response, 409, "org_unit.has_live_children")
        assert body["count"] == 1
        unit = await reload(db, world.id("b1"))
        assert (unit.is_archived, unit.version) == (False, 1)

    async def test_refused_while_people_live_there(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        await make_person(db, world.units["h1"])
        response = await _post(client, world, "h1", "archive")
        body = assert_problem(response, 409, "org_unit.has_people")
        assert body["count"] == 1
        assert (await reload(db, world.id("h1"))).is_archived is False

    async def test_twice_409(self, client: httpx.AsyncClient, world: World) -> None:
        response = await _post(client, world, "h_archived", "archive")
        assert_problem(response, 409, "org_unit.archived")

    async def test_needs_a_fresh_version(self, client: httpx.AsyncClient, world: World) -> None:
        missing = await client.post(f"{BASE}/{world.id('h1')}/archive", headers=world["admin"])
        assert_problem(missing, 428, "resource.version_required")
        stale = await _post(client, world, "h1", "archive", version=2)
        assert_problem(stale, 412, "resource.version_mismatch")


class TestRestore:
    async def test_restores(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        response = await _post(client, world, "h_archived", "restore")
        assert response.status_code == 200, response.text
        unit = await reload(db, world.id("h_archived"))
        assert (unit.is_archived, unit.version) == (False, 2)

    async def test_a_live_unit_409(self, client: httpx.AsyncClient, world: World) -> None:
        response = await _post(client, world, "h1", "restore")
        assert_problem(response, 409, "org_unit.not_archived")

    async def test_parent_must_be_live(self, client: httpx.AsyncClient, world: World) -> None:
        await _post(client, world, "h1", "archive")
        await _post(client, world, "b1", "archive")
        response = await _post(client, world, "h1", "restore", version=2)
        assert_problem(response, 422, "org_unit.parent_archived")
