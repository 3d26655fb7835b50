"""/api/v1/order-categories: global data read by every orders caller, changed at town level.

Categories have no place in the hierarchy, so there is no sibling subtree to hide them
from; the 404 cases are unknown codes.
"""

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.orders.models import OrderCategory
from tests.order_config.conftest import World, audit_events
from tests.support.problems import assert_problem

URL = "/api/v1/order-categories"
SEEDED = [
    "elderly_help",
    "environment",
    "health",
    "legal_aid",
    "mediation",
    "micro_wish",
    "other",
    "repair",
]
NEW = {
    "code": "pet_care",
    "name_zh": "宠物照看",
    "name_en": "Pet care",
    "default_time_limit": "general",
}


async def load(db: AsyncSession, code: str) -> OrderCategory | None:
    query = select(OrderCategory).where(OrderCategory.code == code)
    row = await db.execute(query.execution_options(populate_existing=True))
    return row.scalar_one_or_none()


class TestListOrderCategories:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.get(URL), 401, "auth.unauthenticated")

    async def test_without_any_orders_permission_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert_problem(await client.get(URL, headers=world["nobody"]), 403, "auth.forbidden")

    @pytest.mark.parametrize("caller", ["resident", "member", "department_staff", "admin"])
    async def test_every_orders_caller_sees_all_seeded(
        self, client: httpx.AsyncClient, world: World, caller: str
    ) -> None:
        response = await client.get(URL, params={"limit": 200}, headers=world[caller])
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert [c["code"] for c in items] == SEEDED
        repair = items[-1]
        assert (repair["name_zh"], repair["name_en"], repair["default_time_limit"]) == (
            "维修",
            "Repair",
            "utility",
        )
        assert repair["is_active"] is True

    async def test_keyset_pages_by_code(self, client: httpx.AsyncClient, world: World) -> None:
        seen: list[str] = []
        cursor = None
        for _ in range(5):
            params: dict[str, str | int] = {"limit": 3}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get(URL, params=params, headers=world["resident"])).json()
            seen += [c["code"] for c in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == SEEDED

    async def test_filter_by_active_flag(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        category = await load(db, "health")
        assert category is not None
        category.is_active = False
        await db.flush()
        active = await client.get(URL, params={"is_active": True}, headers=world["resident"])
        inactive = await client.get(URL, params={"is_active": False}, headers=world["resident"])
        assert "health" not in [c["code"] for c in active.json()["items"]]
        assert [c["code"] for c in inactive.json()["items"]] == ["health"]

    async def test_garbage_cursor_is_400(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(URL, params={"cursor": "!!"}, headers=world["resident"])
        assert_problem(response, 400, "request.invalid_cursor")


class TestGetOrderCategory:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.get(f"{URL}/repair"), 401, "auth.unauthenticated")

    async def test_without_any_orders_permission_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(f"{URL}/repair", headers=world["nobody"])
        assert_problem(response, 403, "auth.forbidden")

    async def test_unknown_code_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(f"{URL}/nope", headers=world["resident"])
        assert_problem(response, 404, "order_category.not_found")

    async def test_reads_one(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(f"{URL}/mediation", headers=world["member"])
        assert response.status_code == 200
        assert response.json()["default_time_limit"] == "complex"


class TestCreateOrderCategory:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.post(URL, json=NEW), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("caller", ["dispatcher", "town_dispatcher", "resident", "member"])
    async def test_without_orders_config_is_403(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, caller: str
    ) -> None:
        response = await client.post(URL, json=NEW, headers=world[caller])
        assert_problem(response, 403, "auth.forbidden")
        assert await load(db, "pet_care") is None

    async def test_community_level_config_is_403(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await client.post(URL, json=NEW, headers=world["admin"])
        assert_problem(response, 403, "order_config.town_level_required")
        assert await load(db, "pet_care") is None

    @pytest.mark.parametrize("caller", ["town_admin", "superuser"])
    async def test_town_admin_or_superuser_creates(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, caller: str
    ) -> None:
        response = await client.post(URL, json=NEW, headers=world[caller])
        assert response.status_code == 201, response.text
        assert response.headers["location"] == "/api/v1/order-categories/pet_care"
        assert response.json()["is_active"] is True
        row = await load(db, "pet_care")
        assert row is not None
        assert (row.name_zh, row.name_en, row.default_time_limit) == (
            "宠物照看",
            "Pet care",
            "general",
        )
        [event] = await audit_events(db, "order_category.create")
        assert event.target_id == "pet_care"
        assert event.actor_user_id == world.users[caller].id
        # Now every orders caller sees it.
        listed = await client.get(URL, params={"limit": 200}, headers=world["resident"])
        assert "pet_care" in [c["code"] for c in listed.json()["items"]]

    async def test_taken_code_is_409(self, client: httpx.AsyncClient, world: World) -> None:
        body = {**NEW, "code": "repair"}
        response = await client.post(URL, json=body, headers=world["town_admin"])
        assert_problem(response, 409, "order_category.code_taken")

    async def test_unknown_time_limit_is_422(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        body = {**NEW, "default_time_limit": "someday"}
        response = await client.post(URL, json=body, headers=world["town_admin"])
        assert_problem(response, 422, "order_category.unknown_time_limit")
        assert await load(db, "pet_care") is None

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("code", "Pet Care"),
            ("code", "x"),
            ("code", "a" * 33),
            ("name_zh", ""),
            ("name_en", "n" * 51),
            ("is_active", "maybe"),
            ("unknown", 1),
        ],
    )
    async def test_invalid_body_is_422(
        self, client: httpx.AsyncClient, world: World, field: str, value: object
    ) -> None:
        response = await client.post(URL, json={**NEW, field: value}, headers=world["town_admin"])
        body = assert_problem(response, 422, "request.validation_failed")
        assert any(field in e["field"] for e in body["errors"]), body


class TestUpdateOrderCategory:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.patch(f"{URL}/repair", json={"is_active": False})
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_without_orders_config_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.patch(
            f"{URL}/repair", json={"is_active": False}, headers=world["dispatcher"]
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_community_level_config_is_403(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await client.patch(
            f"{URL}/repair", json={"is_active": False}, headers=world["admin"]
        )
        assert_problem(response, 403, "order_config.town_level_required")
        row = await load(db, "repair")
        assert row is not None and row.is_active

    async def test_unknown_code_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.patch(
            f"{URL}/nope", json={"is_active": False}, headers=world["town_admin"]
        )
        assert_problem(response, 404, "order_category.not_found")

    async def test_changes_names_time_limit_and_flag(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        body = {
            "name_zh": "设施维修",
            "name_en": "Facility repair",
            "default_time_limit": "general",
            "is_active": False,
        }
        response = await client.patch(f"{URL}/repair", json=body, headers=world["town_admin"])
        assert response.status_code == 200, response.text
        assert response.json()["default_time_limit"] == "general"
        row = await load(db, "repair")
        assert row is not None
        assert (row.name_zh, row.name_en, row.default_time_limit, row.is_active) == (
            "设施维修",
            "Facility repair",
            "general",
            False,
        )
        [event] = await audit_events(db, "order_category.update")
        assert event.target_id == "repair"
        assert "default_time_limit" in event.summary and "is_active" in event.summary

    async def test_partial_update_keeps_other_fields(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await client.patch(
            f"{URL}/health", json={"name_en": "Free clinic"}, headers=world["superuser"]
        )
        assert response.status_code == 200
        row = await load(db, "health")
        assert row is not None
        assert (row.name_zh, row.name_en, row.is_active) == ("义诊", "Free clinic", True)

    async def test_no_change_records_nothing(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await client.patch(
            f"{URL}/health", json={"name_zh": "义诊"}, headers=world["town_admin"]
        )
        assert response.status_code == 200
        assert await audit_events(db, "order_category.update") == []

    async def test_unknown_time_limit_is_422(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await client.patch(
            f"{URL}/repair", json={"default_time_limit": "never"}, headers=world["town_admin"]
        )
        assert_problem(response, 422, "order_category.unknown_time_limit")
        row = await load(db, "repair")
        assert row is not None and row.default_time_limit == "utility"

    @pytest.mark.parametrize(
        "body", [{"name_zh": None}, {"is_active": None}, {"code": "other"}, {"name_en": ""}]
    )
    async def test_invalid_body_is_422(
        self, client: httpx.AsyncClient, world: World, body: dict[str, object]
    ) -> None:
        response = await client.patch(f"{URL}/repair", json=body, headers=world["town_admin"])
        assert_problem(response, 422, "request.validation_failed")
