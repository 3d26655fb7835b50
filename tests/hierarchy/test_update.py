"""PATCH /org-units/{id}: versioned with If-Match."""

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from tests.hierarchy.conftest import BASE, World, if_match, reload
from tests.support.problems import assert_problem


class TestUpdate:
    async def test_changes_fields_and_bumps_the_version(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        response = await client.patch(
            f"{BASE}/{world.id('g1')}",
            json={"name": "红星第一网格", "grid_kind": "functional", "address": "红星路 1 号"},
            headers={**world["admin"], **if_match(1)},
        )
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == 'W/"2"'
        unit = await reload(db, world.id("g1"))
        assert (unit.name, unit.grid_kind, unit.address, unit.version) == (
            "红星第一网格",
            "functional",
            "红星路 1 号",
            2,
        )
        event = await db.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "org_unit.update", AuditEvent.target_id == str(unit.id)
            )
        )
        assert event is not None and "grid_kind" in event.summary

    async def test_null_clears_an_optional_field(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        headers = {**world["admin"], **if_match(1)}
        await client.patch(f"{BASE}/{world.id('b1')}", json={"address": "旧址"}, headers=headers)
        response = await client.patch(
            f"{BASE}/{world.id('b1')}",
            json={"address": None},
            headers={**world["admin"], **if_match(2)},
        )
        assert response.status_code == 200, response.text
        assert (await reload(db, world.id("b1"))).address is None

    async def test_code_changes_but_stays_unique(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        taken = await client.patch(
            f"{BASE}/{world.id('g1')}",
            json={"code": world.units["g1b"].code},
            headers={**world["admin"], **if_match(1)},
        )
        assert_problem(taken, 409, "org_unit.code_taken")
        free = await client.patch(
            f"{BASE}/{world.id('g1')}",
            json={"code": "SL-HX-NEW"},
            headers={**world["admin"], **if_match(1)},
        )
        assert free.status_code == 200
        assert (await reload(db, world.id("g1"))).code == "SL-HX-NEW"

    async def test_without_if_match_428(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.patch(
            f"{BASE}/{world.id('g1')}", json={"name": "x"}, headers=world["admin"]
        )
        assert_problem(response, 428, "resource.version_required")

    async def test_stale_version_412(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        response = await client.patch(
            f"{BASE}/{world.id('g1')}",
            json={"name": "x"},
            headers={**world["admin"], **if_match(7)},
        )
        body = assert_problem(response, 412, "resource.version_mismatch")
        assert body["current_etag"] == 'W/"1"'
        assert (await reload(db, world.id("g1"))).name == "红星一网格"

    async def test_grid_kind_only_on_grids(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.patch(
            f"{BASE}/{world.id('c1')}",
            json={"grid_kind": "street"},
            headers={**world["admin"], **if_match(1)},
        )
        assert_problem(response, 422, "org_unit.grid_kind_not_allowed")

    async def test_name_cannot_be_null(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.patch(
            f"{BASE}/{world.id('c1')}",
            json={"name": None},
            headers={**world["admin"], **if_match(1)},
        )
        assert_problem(response, 422, "request.validation_failed")

    async def test_level_and_parent_are_not_patchable(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.patch(
            f"{BASE}/{world.id('g1')}",
            json={"parent_id": world.id("c2")},
            headers={**world["admin"], **if_match(1)},
        )
        assert_problem(response, 422, "request.validation_failed")

    async def test_archived_unit_refused(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.patch(
            f"{BASE}/{world.id('h_archived')}",
            json={"name": "x"},
            headers={**world["admin"], **if_match(1)},
        )
        assert_problem(response, 409, "org_unit.archived")
