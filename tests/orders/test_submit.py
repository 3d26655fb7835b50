"""POST /orders (点单): who may file for whom, where, and what the new order carries."""

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.orders.models import OrderCategory, ServiceOrder
from tests.orders.conftest import URL, World, load_order, outbox, submit
from tests.support.factory import make_unit
from tests.support.problems import assert_problem, assert_same_problem

BODY: dict[str, Any] = {
    "category": "repair",
    "title": "楼道灯不亮",
    "description": "坏了一周",
    "channel": "miniprogram",
}


async def order_count(db: AsyncSession) -> int:
    return len((await db.scalars(select(ServiceOrder.id))).all())


class TestWhoMayFile:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.post(URL, json=BODY), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("role", ["member", "department", "auditor"])
    async def test_roles_without_submit_are_403(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, role: str
    ) -> None:
        assert_problem(
            await client.post(URL, json=BODY, headers=world[role]), 403, "auth.forbidden"
        )
        assert await order_count(db) == 0

    async def test_resident_files_for_themselves_at_home(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        before = datetime.now().astimezone()
        order = await submit(client, world, **BODY)
        h1, resident = world.unit("h1"), world.person("resident")
        assert re.fullmatch(r"GD\d{8}-\d{6}", order["number"])
        assert order["resident_person_id"] == resident.id
        assert order["location_unit_id"] == h1.id
        assert order["channel"] == "miniprogram"
        assert order["contact_name"] == resident.name  # defaults from the person
        assert order["contact_phone"] == "13812345678"  # their own phone, unmasked
        assert order["allowed_steps"] == ["triage", "reject", "merge", "cancel", "second"]
        stored = await load_order(db, order["id"])
        assert (stored.town_id, stored.community_id, stored.grid_id) == (
            h1.town_id,
            h1.community_id,
            h1.grid_id,
        )
        assert (stored.building_id, stored.household_id) == (h1.building_id, h1.id)
        assert stored.received_at >= before
        assert [e.event_type for e in await outbox(db, order["id"])] == ["order.submitted"]

    async def test_location_and_etag_headers(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(URL, json=BODY, headers=world["resident"])
        assert response.status_code == 201
        order = response.json()
        assert response.headers["Location"] == f"{URL}/{order['id']}"
        assert response.headers["ETag"] == 'W/"1"'

    async def test_numbers_follow_each_other_within_the_day(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        first = (await submit(client, world))["number"]
        second = (await submit(client, world))["number"]
        assert first[:11] == second[:11]
        assert int(second[-6:]) == int(first[-6:]) + 1

    async def test_resident_may_file_at_an_ancestor_of_home(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        order = await submit(client, world, location_unit_id=world.unit("g1").id)
        assert order["location_unit_id"] == world.unit("g1").id
        assert order["building_id"] is None

    async def test_resident_filing_in_a_sibling_subtree_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = BODY | {"location_unit_id": world.unit("b2").id}
        response = await client.post(URL, json=body, headers=world["resident"])
        assert_problem(response, 404, "order.location_not_found")

    async def test_a_real_place_elsewhere_reads_like_a_missing_one(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        elsewhere = await make_unit(db, "household", world.unit("b2"))  # community c2
        real, missing = [
            await client.post(
                URL, json=BODY | {"location_unit_id": unit_id}, headers=world["resident"]
            )
            for unit_id in (elsewhere.id, elsewhere.id + 1_000_000)
        ]
        assert_same_problem(real, missing, 404, "order.location_not_found")
        assert await order_count(db) == 0

    @pytest.mark.parametrize(
        ("field", "far", "code"),
        [
            ("location_unit_id", lambda w: w.unit("g2").id, "order.location_not_found"),
            (
                "resident_person_id",
                lambda w: w.person("far_resident").id,
                "order.resident_not_found",
            ),
        ],
    )
    async def test_staff_see_what_is_out_of_scope_as_missing(
        self,
        client: httpx.AsyncClient,
        world: World,
        field: str,
        far: Callable[[World], int],
        code: str,
    ) -> None:
        real, missing = [
            await client.post(URL, json=BODY | {field: ref}, headers=world["grid_worker"])
            for ref in (far(world), far(world) + 1_000_000)
        ]
        assert_same_problem(real, missing, 404, code)

    async def test_resident_may_not_file_for_someone_else(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        body = BODY | {"resident_person_id": world.person("neighbour").id}
        response = await client.post(URL, json=body, headers=world["resident"])
        assert_problem(response, 403, "auth.forbidden")
        assert await order_count(db) == 0

    async def test_grid_worker_files_for_a_resident_in_scope(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        resident = world.person("resident")
        order = await submit(
            client, world, "grid_worker", channel="patrol", resident_person_id=resident.id
        )
        assert order["resident_person_id"] == resident.id
        assert order["location_unit_id"] == world.unit("h1").id
        assert order["contact_phone"] == "138****5678"  # a grid worker has no pii

    async def test_resident_in_a_sibling_subtree_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = BODY | {"resident_person_id": world.person("far_resident").id}
        response = await client.post(URL, json=body, headers=world["grid_worker"])
        assert_problem(response, 404, "order.resident_not_found")

    async def test_patrol_without_resident_needs_a_location_in_scope(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.post(URL, json=BODY, headers=world["grid_worker"])
        assert_problem(response, 422, "order.location_required")
        outside = BODY | {"location_unit_id": world.unit("g2").id}
        response = await client.post(URL, json=outside, headers=world["grid_worker"])
        assert_problem(response, 404, "order.location_not_found")
        order = await submit(client, world, "grid_worker", location_unit_id=world.unit("g1").id)
        assert order["resident_person_id"] is None


class TestValidation:
    async def test_unknown_category_is_422(self, client: httpx.AsyncClient, world: World) -> None:
        body = BODY | {"category": "nope"}
        response = await client.post(URL, json=body, headers=world["resident"])
        assert_problem(response, 422, "order.category_unavailable")

    async def test_inactive_category_is_422(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await db.execute(
            update(OrderCategory).where(OrderCategory.code == "health").values(is_active=False)
        )
        body = BODY | {"category": "health"}
        response = await client.post(URL, json=body, headers=world["resident"])
        assert_problem(response, 422, "order.category_unavailable")

    @pytest.mark.parametrize(
        "fields",
        [
            {"attachments": ["http://files.example.cn/1.jpg"]},
            {"attachments": [f"https://files.example.cn/{i}.jpg" for i in range(10)]},
            {"channel": "fax"},
            {"title": "x" * 101},
            {"unknown": 1},
            {
                "preferred_from": "2026-11-22T12:00:00+08:00",
                "preferred_to": "2026-11-22T09:00:00+08:00",
            },
        ],
    )
    async def test_bad_payloads_are_422(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, fields: dict[str, Any]
    ) -> None:
        response = await client.post(URL, json=BODY | fields, headers=world["resident"])
        assert_problem(response, 422, "request.validation_failed")
        assert await order_count(db) == 0

    async def test_nine_https_attachments_are_fine(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        urls = [f"https://files.example.cn/{i}.jpg" for i in range(9)]
        assert (await submit(client, world, attachments=urls))["attachments"] == urls
