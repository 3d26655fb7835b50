"""Types are strict (DESIGN.md): the cases measured from outside in issue 8, and the
general rule. Ids are integers in 1 … 2^63 - 1, text refuses NUL and control
characters, a boolean is only ``true``/``false``, a date is an ISO date, a datetime an
RFC 3339 datetime, never a number; a tampered cursor is a 400 on every list.
``tests/test_hostile_inputs.py`` walks every route with the same values."""

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.orders.models import CalendarOverride, DepartmentMember
from app.points.models import PointsRule
from tests.support.factory import bearer, make_resident_user, make_tree, make_user

PROBLEM = "application/problem+json"
API = "/api/v1"
BIG = 2**63
TAMPERED_CURSORS = ("W251bGxd", "WzFlNDAwXQ", "W1tbWzFdXV1d")
"""base64 of ``[null]``, ``[1e400]`` and ``[[[[1]]]]``."""


def refused(response: httpx.Response, field: str, location: str | None = None) -> dict[str, Any]:
    """A 422 problem naming ``field``."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == "request.validation_failed", body
    failing = {(e["field"], e["location"]) for e in body["errors"]}
    assert any(f == field and (location is None or loc == location) for f, loc in failing), body
    return body


@pytest.fixture
async def admin(db: AsyncSession, settings: Settings) -> dict[str, str]:
    return bearer(settings, await make_user(db, superuser=True))


@pytest.fixture
async def units(db: AsyncSession) -> dict[str, OrgUnit]:
    return await make_tree(db)


# ---------------------------------------------------------------- the measured cases


class TestBooleansAreNotIntegers:
    async def test_false_is_no_points_value(
        self, client: httpx.AsyncClient, db: AsyncSession, admin: dict[str, str], units: Any
    ) -> None:
        body = {"kind": "cap_daily", "key": "", "points": False, "town_id": units["town"].id}
        response = await client.post(f"{API}/points/rules", json=body, headers=admin)
        refused(response, "points", "body")
        assert (
            await db.scalar(
                select(func.count())
                .select_from(PointsRule)
                .where(PointsRule.town_id == units["town"].id)
            )
            == 0
        )

    async def test_true_is_no_user_id(
        self, client: httpx.AsyncClient, db: AsyncSession, admin: dict[str, str], units: Any
    ) -> None:
        created = await client.post(
            f"{API}/departments",
            json={"town_id": units["town"].id, "code": "CG-1", "name": "城管"},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        department_id = created.json()["id"]
        response = await client.post(
            f"{API}/departments/{department_id}/members", json={"user_id": True}, headers=admin
        )
        refused(response, "user_id", "body")
        members = await db.scalar(
            select(func.count()).where(DepartmentMember.department_id == department_id)
        )
        assert members == 0

    async def test_zero_is_no_workday_flag(
        self, client: httpx.AsyncClient, db: AsyncSession, admin: dict[str, str]
    ) -> None:
        response = await client.put(
            f"{API}/calendar-overrides/2031-10-08", json={"is_workday": 0}, headers=admin
        )
        refused(response, "is_workday", "body")
        assert await db.get(CalendarOverride, date(2031, 10, 8)) is None


class TestNumbersAreNotDates:
    async def test_to_zero_is_no_date(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await client.get(
            f"{API}/calendar/working-days", params={"from": "1970-01-01", "to": "0"}, headers=admin
        )
        refused(response, "to", "query")

    async def test_half_a_second_is_no_datetime(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await client.get(f"{API}/audit-log", params={"until": "0.5"}, headers=admin)
        refused(response, "until", "query")

    async def test_zero_is_no_day_in_a_path(
        self, client: httpx.AsyncClient, db: AsyncSession, admin: dict[str, str]
    ) -> None:
        response = await client.put(
            f"{API}/calendar-overrides/0", json={"is_workday": True}, headers=admin
        )
        refused(response, "day", "path")
        assert await db.scalar(select(func.count()).select_from(CalendarOverride)) == 0


class TestIdsFitABigint:
    async def test_path_id_past_2_63(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        refused(await client.get(f"{API}/orders/{BIG}", headers=admin), "order_id", "path")
        response = await client.get(f"{API}/orders/{BIG - 1}", headers=admin)
        assert response.status_code == 404, response.text

    async def test_query_id_past_2_63(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await client.get(f"{API}/org-units", params={"parent_id": BIG}, headers=admin)
        refused(response, "parent_id", "query")

    async def test_body_ids_past_2_63(
        self, client: httpx.AsyncClient, admin: dict[str, str], units: Any
    ) -> None:
        order = {
            "category": "repair",
            "title": "楼道灯不亮",
            "description": "坏了一周",
            "channel": "phone",
            "location_unit_id": BIG,
        }
        refused(await client.post(f"{API}/orders", json=order, headers=admin), "location_unit_id")
        member = {"user_id": BIG}
        response = await client.post(f"{API}/departments/1/members", json=member, headers=admin)
        refused(response, "user_id", "body")

    @pytest.mark.parametrize("value", ["0", "-1", "1.0", "1e3", "true", "１"])
    async def test_only_positive_decimal_ids(
        self, client: httpx.AsyncClient, admin: dict[str, str], value: str
    ) -> None:
        refused(await client.get(f"{API}/people/{value}", headers=admin), "person_id", "path")


class TestTextRefusesNul:
    async def test_in_the_sign_in_form(self, client: httpx.AsyncClient) -> None:
        form = {"grant_type": "password", "username": "ad\x00min", "password": "x"}
        refused(await client.post(f"{API}/auth/token", data=form), "username", "body")

    async def test_in_http_basic_client_credentials(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            f"{API}/auth/token",
            data={"grant_type": "client_credentials"},
            auth=("cli\x00ent", "secret"),
        )
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"] == PROBLEM

    @pytest.mark.parametrize(
        "path", ["/orders", "/org-units", "/people", "/members", "/users", "/departments"]
    )
    async def test_in_searches(
        self, client: httpx.AsyncClient, admin: dict[str, str], path: str
    ) -> None:
        refused(await client.get(API + path, params={"q": "a\x00b"}, headers=admin), "q", "query")

    async def test_in_a_path(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        response = await client.get(f"{API}/order-categories/re%00pair", headers=admin)
        refused(response, "code", "path")

    async def test_in_a_create_body_in_both_languages(
        self, client: httpx.AsyncClient, admin: dict[str, str], units: Any
    ) -> None:
        body = {
            "name": "红星\x00网格",
            "code": "HX-NUL",
            "level": "grid",
            "parent_id": units["c1"].id,
        }
        zh = refused(await client.post(f"{API}/org-units", json=body, headers=admin), "name")
        en = refused(
            await client.post(
                f"{API}/org-units", json=body, headers={**admin, "Accept-Language": "en"}
            ),
            "name",
        )
        assert [e["message"] for e in zh["errors"]] == ["不得包含控制字符"]
        assert [e["message"] for e in en["errors"]] == ["Text must not contain control characters"]
        assert zh["errors"][0]["type"] == "string_control_characters"

    async def test_free_text_keeps_line_breaks_but_no_other_controls(
        self, client: httpx.AsyncClient, db: AsyncSession, settings: Settings, units: Any
    ) -> None:
        resident, _ = await make_resident_user(db, units["h1"])
        order = {
            "category": "repair",
            "title": "楼道灯不亮",
            "description": "3单元2楼\n楼道灯坏了一周",
            "channel": "miniprogram",
        }
        headers = bearer(settings, resident)
        bad = {**order, "description": "3单元\x1b[2J2楼"}
        body = refused(await client.post(f"{API}/orders", json=bad, headers=headers), "description")
        assert body["errors"][0]["message"] == "不得包含控制字符（制表符与换行除外）"
        bad_title = {**order, "title": "楼道灯\n不亮"}
        refused(await client.post(f"{API}/orders", json=bad_title, headers=headers), "title")


class TestTamperedCursors:
    @pytest.mark.parametrize("path", ["/people", "/members", "/rewards", "/rewards/redemptions"])
    @pytest.mark.parametrize("cursor", TAMPERED_CURSORS)
    async def test_400_not_500(
        self, client: httpx.AsyncClient, admin: dict[str, str], path: str, cursor: str
    ) -> None:
        response = await client.get(API + path, params={"cursor": cursor}, headers=admin)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "request.invalid_cursor"


# ---------------------------------------------------------------- the general rule


class TestTheGeneralRule:
    @pytest.mark.parametrize("value", ["3", 3.0, True])
    async def test_a_json_integer_is_an_integer(
        self, client: httpx.AsyncClient, admin: dict[str, str], value: object
    ) -> None:
        body = {"person_id": 1, "amount": value, "reason": "测试"}
        headers = {**admin, "Idempotency-Key": f"strict-{value!r}"}
        response = await client.post(f"{API}/points/adjustments", json=body, headers=headers)
        refused(response, "amount", "body")

    @pytest.mark.parametrize("value", ["1", "0", "yes", "True", "on"])
    async def test_a_query_boolean_is_true_or_false(
        self, client: httpx.AsyncClient, admin: dict[str, str], value: str
    ) -> None:
        params = {"include_archived": value}
        refused(
            await client.get(f"{API}/org-units", params=params, headers=admin), "include_archived"
        )
        ok = await client.get(
            f"{API}/org-units", params={"include_archived": "true"}, headers=admin
        )
        assert ok.status_code == 200, ok.text

    @pytest.mark.parametrize("value", ["20260101", "1767196800", "2026-01-01T00:00:00+08:00"])
    async def test_a_query_date_is_an_iso_date(
        self, client: httpx.AsyncClient, admin: dict[str, str], value: str
    ) -> None:
        response = await client.get(f"{API}/stats/orders", params={"from": value}, headers=admin)
        refused(response, "from", "query")

    @pytest.mark.parametrize("value", [0, 1767196800, "2026-11-22", "2026-11-22T09:00:00"])
    async def test_a_json_datetime_is_rfc3339_with_offset(
        self,
        client: httpx.AsyncClient,
        db: AsyncSession,
        settings: Settings,
        units: Any,
        value: object,
    ) -> None:
        resident, _ = await make_resident_user(db, units["h1"])
        order = {
            "category": "repair",
            "title": "楼道灯不亮",
            "description": "坏了一周",
            "channel": "miniprogram",
            "preferred_from": value,
        }
        response = await client.post(
            f"{API}/orders", json=order, headers=bearer(settings, resident)
        )
        refused(response, "preferred_from", "body")

    async def test_page_sizes_are_bounded(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        for limit in ("0", "201", str(BIG), "1.5"):
            response = await client.get(f"{API}/orders", params={"limit": limit}, headers=admin)
            refused(response, "limit", "query")
