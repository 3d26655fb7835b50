"""/api/v1/calendar-overrides and /calendar/working-days: 调休 for years the library lacks.

The calendar is global data: no sibling subtree exists, so the 404 cases are days
without an override.
"""

from datetime import date, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.calendar import BUSINESS_TZ
from app.orders.config import calendar
from app.orders.models import CalendarOverride
from tests.order_config.conftest import World, audit_events
from tests.support.problems import assert_problem

URL = "/api/v1/calendar-overrides"
DAYS_URL = "/api/v1/calendar/working-days"
# 2027 国庆: 1-7 Oct off, Sunday 26 Sep a make-up workday (调休上班).
NATIONAL_DAY_2027 = [
    *((f"2027-10-0{d}", False, "国庆节") for d in range(1, 8)),
    ("2027-09-26", True, "国庆节调休上班"),
]


async def override(db: AsyncSession, day: date) -> CalendarOverride | None:
    query = select(CalendarOverride).where(CalendarOverride.day == day)
    row = await db.execute(query.execution_options(populate_existing=True))
    return row.scalar_one_or_none()


async def enter_national_day(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for day, is_workday, note in NATIONAL_DAY_2027:
        response = await client.put(
            f"{URL}/{day}", json={"is_workday": is_workday, "note": note}, headers=headers
        )
        assert response.status_code == 201, response.text


class TestWorkingDays:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(DAYS_URL, params={"from": "2026-10-01", "to": "2026-10-10"})
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_without_any_orders_permission_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(
            DAYS_URL, params={"from": "2026-10-01", "to": "2026-10-10"}, headers=world["nobody"]
        )
        assert_problem(response, 403, "auth.forbidden")

    async def test_known_year_is_exact(self, client: httpx.AsyncClient, world: World) -> None:
        # 2026 国庆: 1-7 Oct off, Saturday 10 Oct a make-up workday (from the library).
        response = await client.get(
            DAYS_URL,
            params={"from": "2026-09-28", "to": "2026-10-11"},
            headers=world["dispatcher"],
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["workdays"] == [
            "2026-09-28",
            "2026-09-29",
            "2026-09-30",
            "2026-10-08",
            "2026-10-09",
            "2026-10-10",
        ]
        assert body["working_days"] == 6
        assert (body["from"], body["to"]) == ("2026-09-28", "2026-10-11")
        assert (body["is_exact"], body["inexact_years"]) == (True, [])

    async def test_unknown_year_counts_weekends_only_and_says_so(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(
            DAYS_URL, params={"from": "2027-09-25", "to": "2027-10-10"}, headers=world["resident"]
        )
        body = response.json()
        assert body["working_days"] == 10
        assert "2027-10-01" in body["workdays"] and "2027-09-26" not in body["workdays"]
        assert (body["is_exact"], body["inexact_years"]) == (False, [2027])

    async def test_overrides_change_the_answer_for_2027(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await enter_national_day(client, world["town_admin"])
        response = await client.get(
            DAYS_URL, params={"from": "2027-09-25", "to": "2027-10-10"}, headers=world["member"]
        )
        body = response.json()
        assert body["workdays"] == [
            "2027-09-26",
            "2027-09-27",
            "2027-09-28",
            "2027-09-29",
            "2027-09-30",
            "2027-10-08",
        ]
        assert body["working_days"] == 6
        assert (body["is_exact"], body["inexact_years"]) == (True, [])

    async def test_range_across_years_reports_only_the_unknown_one(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(
            DAYS_URL, params={"from": "2026-12-30", "to": "2027-01-05"}, headers=world["resident"]
        )
        body = response.json()
        assert (body["is_exact"], body["inexact_years"]) == (False, [2027])
        # 2027-01-01 is a Friday; without the 2027 schedule it counts as a workday.
        assert "2027-01-01" in body["workdays"]

    async def test_a_single_day(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(
            DAYS_URL, params={"from": "2026-10-01", "to": "2026-10-01"}, headers=world["resident"]
        )
        assert (response.json()["working_days"], response.json()["workdays"]) == (0, [])

    @pytest.mark.parametrize(
        "params",
        [
            {"from": "2026-10-10", "to": "2026-10-01"},
            {"from": "2026-01-01", "to": "2027-01-02"},
        ],
    )
    async def test_bad_range_is_422(
        self, client: httpx.AsyncClient, world: World, params: dict[str, str]
    ) -> None:
        response = await client.get(DAYS_URL, params=params, headers=world["resident"])
        assert_problem(response, 422, "calendar.invalid_range")

    @pytest.mark.parametrize(
        "params", [{"from": "2026-10-01"}, {"from": "2026-10-01", "to": "2026-13-01"}]
    )
    async def test_missing_or_malformed_dates_are_422(
        self, client: httpx.AsyncClient, world: World, params: dict[str, str]
    ) -> None:
        response = await client.get(DAYS_URL, params=params, headers=world["resident"])
        assert_problem(response, 422, "request.validation_failed")


class TestLoadCalendar:
    async def test_deadline_across_2027_national_day_uses_the_overrides(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await enter_national_day(client, world["town_admin"])
        start = datetime(2027, 9, 24, 10, tzinfo=BUSINESS_TZ)  # Friday
        working = await calendar.load_calendar(db, start.date(), date(2027, 12, 31))
        # 26 (make-up Sunday), 27, 28, 29, 30 Sep, then 8 Oct, 11 Oct.
        assert working.add_working_days(start, 7) == datetime(2027, 10, 11, 10, tzinfo=BUSINESS_TZ)
        assert working.is_exact(date(2027, 3, 1))


class TestListCalendarOverrides:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(URL, params={"year": 2027})
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_without_any_orders_permission_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(URL, params={"year": 2027}, headers=world["nobody"])
        assert_problem(response, 403, "auth.forbidden")

    async def test_year_coverage_and_entries(self, client: httpx.AsyncClient, world: World) -> None:
        empty = await client.get(URL, params={"year": 2027}, headers=world["dispatcher"])
        assert empty.json() == {"year": 2027, "library_covers": False, "items": []}
        known = await client.get(URL, params={"year": 2026}, headers=world["dispatcher"])
        assert known.json()["library_covers"] is True
        await enter_national_day(client, world["town_admin"])
        listed = (await client.get(URL, params={"year": 2027}, headers=world["resident"])).json()
        assert [i["day"] for i in listed["items"]] == [
            "2027-09-26",
            *(f"2027-10-0{d}" for d in range(1, 8)),
        ]
        assert listed["items"][0] == {
            "day": "2027-09-26",
            "is_workday": True,
            "note": "国庆节调休上班",
        }
        other_year = await client.get(URL, params={"year": 2028}, headers=world["resident"])
        assert other_year.json()["items"] == []

    @pytest.mark.parametrize("params", [{}, {"year": 1999}, {"year": "next"}])
    async def test_bad_year_is_422(
        self, client: httpx.AsyncClient, world: World, params: dict[str, object]
    ) -> None:
        response = await client.get(URL, params=params, headers=world["resident"])
        assert_problem(response, 422, "request.validation_failed")


class TestPutCalendarOverride:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.put(f"{URL}/2027-10-01", json={"is_workday": False})
        assert_problem(response, 401, "auth.unauthenticated")

    @pytest.mark.parametrize("caller", ["dispatcher", "resident"])
    async def test_without_orders_config_is_403(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, caller: str
    ) -> None:
        response = await client.put(
            f"{URL}/2027-10-01", json={"is_workday": False}, headers=world[caller]
        )
        assert_problem(response, 403, "auth.forbidden")
        assert await override(db, date(2027, 10, 1)) is None

    async def test_community_level_config_is_403(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await client.put(
            f"{URL}/2027-10-01", json={"is_workday": False}, headers=world["admin"]
        )
        assert_problem(response, 403, "order_config.town_level_required")
        assert await override(db, date(2027, 10, 1)) is None

    async def test_creates_then_replaces(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        created = await client.put(
            f"{URL}/2027-10-01",
            json={"is_workday": False, "note": "国庆"},
            headers=world["town_admin"],
        )
        assert created.status_code == 201, created.text
        assert created.json() == {"day": "2027-10-01", "is_workday": False, "note": "国庆"}
        replaced = await client.put(
            f"{URL}/2027-10-01", json={"is_workday": True}, headers=world["superuser"]
        )
        assert replaced.status_code == 200, replaced.text
        row = await override(db, date(2027, 10, 1))
        assert row is not None and (row.is_workday, row.note) == (True, None)
        events = await audit_events(db, "calendar_override.set")
        assert [e.target_id for e in events] == ["2027-10-01", "2027-10-01"]
        assert [e.actor_user_id for e in events] == [
            world.users["town_admin"].id,
            world.users["superuser"].id,
        ]

    @pytest.mark.parametrize(
        ("day", "body"),
        [
            ("2027-02-30", {"is_workday": False}),
            ("tomorrow", {"is_workday": False}),
            ("2027-10-01", {}),
            ("2027-10-01", {"is_workday": False, "note": "节" * 101}),
            ("2027-10-01", {"is_workday": False, "holiday": "国庆"}),
        ],
    )
    async def test_invalid_is_422(
        self, client: httpx.AsyncClient, world: World, day: str, body: dict[str, object]
    ) -> None:
        response = await client.put(f"{URL}/{day}", json=body, headers=world["town_admin"])
        assert_problem(response, 422, "request.validation_failed")


class TestDeleteCalendarOverride:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.delete(f"{URL}/2027-10-01"), 401, "auth.unauthenticated")

    async def test_without_orders_config_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.delete(f"{URL}/2027-10-01", headers=world["town_dispatcher"])
        assert_problem(response, 403, "auth.forbidden")

    async def test_community_level_config_is_403(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await enter_national_day(client, world["town_admin"])
        response = await client.delete(f"{URL}/2027-10-01", headers=world["sibling"])
        assert_problem(response, 403, "order_config.town_level_required")
        assert await override(db, date(2027, 10, 1)) is not None

    async def test_day_without_override_is_404(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.delete(f"{URL}/2027-10-01", headers=world["town_admin"])
        assert_problem(response, 404, "calendar_override.not_found")

    async def test_removes_and_the_answer_follows(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await enter_national_day(client, world["town_admin"])
        response = await client.delete(f"{URL}/2027-10-04", headers=world["town_admin"])
        assert response.status_code == 204
        assert await override(db, date(2027, 10, 4)) is None
        [event] = await audit_events(db, "calendar_override.delete")
        assert event.target_id == "2027-10-04"
        days = await client.get(
            DAYS_URL, params={"from": "2027-10-01", "to": "2027-10-07"}, headers=world["resident"]
        )
        assert days.json()["workdays"] == ["2027-10-04"]
