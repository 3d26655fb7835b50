"""POST /org-units: levels, codes, ancestors, towns, contacts."""

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.hierarchy.models import OrgUnit
from tests.hierarchy.conftest import BASE, World, count_units, reload
from tests.support.factory import make_unit
from tests.support.problems import assert_problem


async def _create(
    client: httpx.AsyncClient, headers: dict[str, str], **body: object
) -> httpx.Response:
    return await client.post(BASE, json=body, headers=headers)


class TestCreate:
    async def test_grid_under_community_gets_its_ancestors(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        response = await _create(
            client,
            world["admin"],
            name="红星三网格",
            code="SL-HX-03",
            level="grid",
            parent_id=world.id("c1"),
            address="红星路 3 号",
            contact_name="王五",
            contact_phone="+86 138-1234-5678",
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["etag"] == 'W/"1"'
        assert response.headers["location"] == f"{BASE}/{body['id']}"
        assert body["grid_kind"] == "compound"
        assert body["contact_phone"] == "13812345678"
        unit = await reload(db, body["id"])
        assert (unit.town_id, unit.community_id, unit.grid_id, unit.building_id) == (
            world.id("town"),
            world.id("c1"),
            unit.id,
            None,
        )
        assert unit.parent_id == world.id("c1")

    async def test_records_an_audit_event_at_the_unit(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        response = await _create(
            client,
            world["admin"],
            name="1号楼",
            code="B-AUDIT",
            level="building",
            parent_id=world.id("g1"),
        )
        event = await db.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "org_unit.create",
                AuditEvent.target_id == str(response.json()["id"]),
            )
        )
        assert event is not None
        assert (event.grid_id, event.community_id, event.outcome) == (
            world.id("g1"),
            world.id("c1"),
            "success",
        )
        assert "B-AUDIT" in event.summary

    async def test_superuser_creates_a_town_as_a_root(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        response = await _create(
            client, world["superuser"], name="新镇", code="NEW-T", level="town"
        )
        assert response.status_code == 201, response.text
        unit = await reload(db, response.json()["id"])
        assert (unit.parent_id, unit.town_id, unit.community_id) == (None, unit.id, None)

    async def test_only_a_superuser_creates_towns(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await _create(client, world["town_admin"], name="新镇", code="T2", level="town")
        assert_problem(response, 403, "auth.forbidden")

    async def test_parent_must_be_exactly_one_level_up(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        before = await count_units(db)
        response = await _create(
            client,
            world["admin"],
            name="1号楼",
            code="B-SKIP",
            level="building",
            parent_id=world.id("c1"),
        )
        body = assert_problem(response, 422, "org_unit.level_mismatch")
        assert body["expected_parent_level"] == "grid"
        assert await count_units(db) == before

    async def test_code_taken_409(self, client: httpx.AsyncClient, world: World) -> None:
        response = await _create(
            client,
            world["admin"],
            name="重复",
            code=world.units["g1"].code,
            level="grid",
            parent_id=world.id("c1"),
        )
        assert_problem(response, 409, "org_unit.code_taken")

    async def test_archived_parent_refused(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        archived = await make_unit(db, "grid", world.units["c1"], is_archived=True)
        response = await _create(
            client, world["admin"], name="楼", code="B-X", level="building", parent_id=archived.id
        )
        assert_problem(response, 422, "org_unit.parent_archived")

    async def test_parent_outside_scope_is_not_found(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await _create(
            client,
            world["admin"],
            name="网格",
            code="G-X",
            level="grid",
            parent_id=world.id("oc"),
        )
        assert_problem(response, 404, "resource.not_found")

    async def test_unknown_parent_is_not_found(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await _create(
            client, world["superuser"], name="网格", code="G-Y", level="grid", parent_id=10**12
        )
        assert_problem(response, 404, "resource.not_found")


class TestCreatePayload:
    async def test_town_with_a_parent_is_invalid(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await _create(
            client,
            world["superuser"],
            name="镇",
            code="T3",
            level="town",
            parent_id=world.id("town"),
        )
        assert_problem(response, 422, "request.validation_failed")

    async def test_parent_required_below_towns(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await _create(client, world["admin"], name="社区", code="C3", level="community")
        assert_problem(response, 422, "request.validation_failed")

    async def test_grid_kind_only_on_grids(self, client: httpx.AsyncClient, world: World) -> None:
        response = await _create(
            client,
            world["admin"],
            name="楼",
            code="B-K",
            level="building",
            parent_id=world.id("g1"),
            grid_kind="street",
        )
        assert_problem(response, 422, "request.validation_failed")

    async def test_bad_phone_and_code_and_unknown_field(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await _create(
            client,
            world["admin"],
            name="楼",
            code="bad code!",
            level="building",
            parent_id=world.id("g1"),
            contact_phone="12",
            colour="red",
        )
        body = assert_problem(response, 422, "request.validation_failed")
        assert {e["field"] for e in body["errors"]} == {"code", "contact_phone", "colour"}

    async def test_landline_accepted(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        response = await _create(
            client,
            world["admin"],
            name="楼",
            code="B-TEL",
            level="building",
            parent_id=world.id("g1"),
            contact_phone="0769-22123456",
        )
        assert response.status_code == 201, response.text
        unit = await db.get(OrgUnit, response.json()["id"])
        assert unit is not None and unit.contact_phone == "0769-22123456"
