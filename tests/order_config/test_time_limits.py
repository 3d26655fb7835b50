"""/api/v1/time-limit-classes: 办理时限 as data, changed at town level.

Global data: no sibling subtree exists, so the 404 cases are unknown codes.
"""

from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.orders.models import TimeLimitClass
from tests.order_config.conftest import World, audit_events
from tests.support.problems import assert_problem

URL = "/api/v1/time-limit-classes"
NEW = {
    "code": "heating_season",
    "name_zh": "供暖季",
    "name_en": "Heating season",
    "response_hours": 1.5,
    "resolve_amount": 12,
    "resolve_unit": "hours",
}


async def load(db: AsyncSession, code: str) -> TimeLimitClass | None:
    query = select(TimeLimitClass).where(TimeLimitClass.code == code)
    row = await db.execute(query.execution_options(populate_existing=True))
    return row.scalar_one_or_none()


class TestListTimeLimitClasses:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.get(URL), 401, "auth.unauthenticated")

    async def test_without_any_orders_permission_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert_problem(await client.get(URL, headers=world["nobody"]), 403, "auth.forbidden")

    async def test_lists_the_seeded_classes(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(URL, headers=world["dispatcher"])
        assert response.status_code == 200, response.text
        items = {c["code"]: c for c in response.json()["items"]}
        assert sorted(items) == ["complex", "emergency", "general", "utility"]
        assert items["emergency"]["response_hours"] == 0.5
        assert (items["general"]["resolve_amount"], items["general"]["resolve_unit"]) == (
            7,
            "working_days",
        )
        assert items["utility"]["resolve_unit"] == "hours"

    async def test_keyset_pages(self, client: httpx.AsyncClient, world: World) -> None:
        first = (await client.get(URL, params={"limit": 3}, headers=world["member"])).json()
        assert [c["code"] for c in first["items"]] == ["complex", "emergency", "general"]
        rest = await client.get(
            URL, params={"limit": 3, "cursor": first["next_cursor"]}, headers=world["member"]
        )
        assert [c["code"] for c in rest.json()["items"]] == ["utility"]
        assert rest.json()["next_cursor"] is None


class TestGetTimeLimitClass:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.get(f"{URL}/general"), 401, "auth.unauthenticated")

    async def test_without_any_orders_permission_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(f"{URL}/general", headers=world["nobody"])
        assert_problem(response, 403, "auth.forbidden")

    async def test_unknown_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(f"{URL}/whenever", headers=world["resident"])
        assert_problem(response, 404, "time_limit_class.not_found")

    async def test_reads_one(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(f"{URL}/complex", headers=world["resident"])
        assert response.status_code == 200
        assert response.json()["resolve_amount"] == 15


class TestCreateTimeLimitClass:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.post(URL, json=NEW), 401, "auth.unauthenticated")

    async def test_without_orders_config_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.post(URL, json=NEW, headers=world["town_dispatcher"])
        assert_problem(response, 403, "auth.forbidden")

    async def test_community_level_config_is_403(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await client.post(URL, json=NEW, headers=world["sibling"])
        assert_problem(response, 403, "order_config.town_level_required")
        assert await load(db, "heating_season") is None

    async def test_town_admin_creates(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await client.post(URL, json=NEW, headers=world["other_town_admin"])
        assert response.status_code == 201, response.text
        assert response.headers["location"] == "/api/v1/time-limit-classes/heating_season"
        assert response.json()["response_hours"] == 1.5
        row = await load(db, "heating_season")
        assert row is not None
        assert (row.response_hours, row.resolve_amount, row.resolve_unit) == (
            Decimal("1.50"),
            12,
            "hours",
        )
        [event] = await audit_events(db, "time_limit_class.create")
        assert event.target_id == "heating_season"

    async def test_taken_code_is_409(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(
            URL, json={**NEW, "code": "general"}, headers=world["superuser"]
        )
        assert_problem(response, 409, "time_limit_class.code_taken")

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("response_hours", 0),
            ("response_hours", -1),
            ("response_hours", 0.125),
            ("response_hours", 10000),
            ("resolve_amount", 0),
            ("resolve_amount", -3),
            ("resolve_amount", 1.5),
            ("resolve_unit", "days"),
            ("code", "Heating"),
            ("extra", True),
        ],
    )
    async def test_invalid_body_is_422(
        self,
        client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        field: str,
        value: object,
    ) -> None:
        response = await client.post(URL, json={**NEW, field: value}, headers=world["town_admin"])
        body = assert_problem(response, 422, "request.validation_failed")
        assert any(field in e["field"] for e in body["errors"]), body
        assert await load(db, "heating_season") is None


class TestUpdateTimeLimitClass:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.patch(f"{URL}/general", json={"resolve_amount": 5})
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_without_orders_config_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.patch(
            f"{URL}/general", json={"resolve_amount": 5}, headers=world["dispatcher"]
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_community_level_config_is_403(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await client.patch(
            f"{URL}/general", json={"resolve_amount": 5}, headers=world["admin"]
        )
        assert_problem(response, 403, "order_config.town_level_required")
        row = await load(db, "general")
        assert row is not None and row.resolve_amount == 7

    async def test_unknown_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.patch(
            f"{URL}/whenever", json={"resolve_amount": 5}, headers=world["town_admin"]
        )
        assert_problem(response, 404, "time_limit_class.not_found")

    async def test_changes_the_limits(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        body = {"response_hours": 4, "resolve_amount": 48, "resolve_unit": "hours"}
        response = await client.patch(f"{URL}/general", json=body, headers=world["town_admin"])
        assert response.status_code == 200, response.text
        assert response.json()["resolve_unit"] == "hours"
        row = await load(db, "general")
        assert row is not None
        assert (row.response_hours, row.resolve_amount, row.resolve_unit, row.name_zh) == (
            Decimal("4.00"),
            48,
            "hours",
            "一般",
        )
        [event] = await audit_events(db, "time_limit_class.update")
        assert event.target_id == "general"
        assert "resolve_amount" in event.summary

    async def test_same_values_record_nothing(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        body = {"response_hours": 24, "resolve_unit": "working_days"}
        response = await client.patch(f"{URL}/general", json=body, headers=world["town_admin"])
        assert response.status_code == 200
        assert await audit_events(db, "time_limit_class.update") == []

    @pytest.mark.parametrize(
        "body",
        [
            {"response_hours": 0},
            {"resolve_amount": 0},
            {"resolve_unit": "weeks"},
            {"resolve_unit": None},
            {"code": "x"},
        ],
    )
    async def test_invalid_body_is_422(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, body: dict[str, object]
    ) -> None:
        response = await client.patch(f"{URL}/general", json=body, headers=world["town_admin"])
        assert_problem(response, 422, "request.validation_failed")
        row = await load(db, "general")
        assert row is not None and row.resolve_amount == 7
