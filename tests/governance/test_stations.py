"""/api/v1/stations: 红旗驿站 with functions, hours, officers, duty rotas (党员周末轮班),
check-in with red points, missed shifts, hand-overs, and the 红旗好人 honour roll."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.governance.stations.models import DutyShift
from app.points.models import PointsTransaction
from tests.governance.conftest import World, assert_problem, audit_events, created, ok
from tests.support.factory import make_member, make_person

URL = "/api/v1/stations"


def station_body(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "red_flag",
        "name": "馨安公寓红旗驿站",
        "org_unit_id": world.unit("g1").id,
        "address": "小区公园东侧",
        "functions": ["party_office", "activity_room", "deliberation", "mediation"],
        "opening_hours": [{"weekdays": [6, 7], "opens": "09:00", "closes": "12:00"}],
    } | fields


async def make_station(client: httpx.AsyncClient, world: World, **fields: Any) -> dict[str, Any]:
    response = await client.post(URL, json=station_body(world, **fields), headers=world["admin"])
    return await created(response)


async def shift_at(
    db: AsyncSession, station: dict[str, Any], starts: datetime, hours: int = 3, capacity: int = 2
) -> DutyShift:
    """A shift at any time (the API lays out rotas by business date)."""
    shift = DutyShift(
        station_id=station["id"],
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        capacity=capacity,
        taken=0,
        town_id=station["town_id"],
        community_id=station["community_id"],
        grid_id=station["grid_id"],
    )
    db.add(shift)
    await db.flush()
    return shift


def now() -> datetime:
    return datetime.now(UTC)


async def assign(
    client: httpx.AsyncClient, world: World, shift_id: int, person: str, who: str = "admin"
) -> httpx.Response:
    return await client.post(
        f"/api/v1/duty-shifts/{shift_id}/assignments",
        json={"person_id": world.person(person).id},
        headers=world[who],
    )


class TestStations:
    async def test_create_read_update(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await client.post(URL, json=station_body(world), headers=world["admin"])
        station = await created(response)
        assert response.headers["location"] == f"{URL}/{station['id']}"
        assert station["opening_hours"] == [
            {"weekdays": [6, 7], "opens": "09:00:00", "closes": "12:00:00"}
        ]
        assert station["officers"] == [] and station["grid_id"] == world.unit("g1").id
        [event] = await audit_events(db, "station.create")
        assert event.target_id == str(station["id"])
        read = await client.get(f"{URL}/{station['id']}", headers=world["resident"])
        assert (await ok(read))["name"] == "馨安公寓红旗驿站"
        patch = await client.patch(
            f"{URL}/{station['id']}",
            json={"functions": ["mediation"]},
            headers=world["admin"] | {"If-Match": read.headers["etag"]},
        )
        assert (await ok(patch))["functions"] == ["mediation"]
        stale = await client.patch(
            f"{URL}/{station['id']}",
            json={"name": "x"},
            headers=world["admin"] | {"If-Match": read.headers["etag"]},
        )
        assert_problem(stale, 412, "resource.version_mismatch")

    async def test_access(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(
            await client.post(URL, json=station_body(world)), 401, "auth.unauthenticated"
        )
        for caller in ("dispatcher", "member", "resident"):
            response = await client.post(URL, json=station_body(world), headers=world[caller])
            assert_problem(response, 403, "auth.forbidden")
        response = await client.post(URL, json=station_body(world), headers=world["sibling"])
        assert_problem(response, 404, "governance.unit_not_found")
        station = await make_station(client, world)
        for caller in ("sibling", "far_resident"):
            response = await client.get(f"{URL}/{station['id']}", headers=world[caller])
            assert_problem(response, 404, "station.not_found")

    async def test_bad_hours_and_duplicates(self, client: httpx.AsyncClient, world: World) -> None:
        hours = [{"weekdays": [6], "opens": "12:00", "closes": "09:00"}]
        response = await client.post(
            URL, json=station_body(world, opening_hours=hours), headers=world["admin"]
        )
        assert response.status_code == 422
        await make_station(client, world)
        response = await client.post(URL, json=station_body(world), headers=world["admin"])
        assert_problem(response, 409, "station.name_taken")


class TestRota:
    async def test_weekend_rota_for_a_month(self, client: httpx.AsyncClient, world: World) -> None:
        station = await make_station(client, world)
        rota = {
            "from_date": "2030-06-01",
            "to_date": "2030-06-30",
            "weekdays": [6, 7],
            "starts": "09:00",
            "ends": "12:00",
            "capacity": 2,
        }
        url = f"{URL}/{station['id']}/shifts"
        made = await created(await client.post(url, json=rota, headers=world["admin"]))
        # June 2030: Saturdays 1, 8, 15, 22, 29 and Sundays 2, 9, 16, 23, 30.
        assert (made["created"], made["skipped"]) == (10, 0)
        assert made["shifts"][0]["starts_at"] == "2030-06-01T09:00:00+08:00"
        again = await created(await client.post(url, json=rota, headers=world["admin"]))
        assert (again["created"], again["skipped"]) == (0, 10)
        page = await ok(
            await client.get(
                url,
                params={"from": "2030-06-08", "to": "2030-06-09", "limit": 1},
                headers=world["member"],
            )
        )
        assert len(page["items"]) == 1 and page["next_cursor"]
        rest = await ok(
            await client.get(
                url,
                params={"from": "2030-06-08", "to": "2030-06-09", "cursor": page["next_cursor"]},
                headers=world["member"],
            )
        )
        days = [s["starts_at"][:10] for s in page["items"] + rest["items"]]
        assert days == ["2030-06-08", "2030-06-09"]

    async def test_rota_period_is_bounded(self, client: httpx.AsyncClient, world: World) -> None:
        station = await make_station(client, world)
        rota = {
            "from_date": "2030-01-01",
            "to_date": "2030-12-31",
            "weekdays": [6],
            "starts": "09:00",
            "ends": "12:00",
        }
        response = await client.post(
            f"{URL}/{station['id']}/shifts", json=rota, headers=world["admin"]
        )
        assert response.status_code == 422


class TestDuty:
    async def test_assign_volunteer_full_and_twice(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        station = await make_station(client, world)
        shift = await shift_at(db, station, now() + timedelta(days=2), capacity=2)
        duty = await created(await assign(client, world, shift.id, "member"))
        assert (duty["source"], duty["status"]) == ("assigned", "scheduled")
        assert_problem(
            await assign(client, world, shift.id, "member"), 409, "duty_shift.already_on"
        )
        volunteered = await client.post(
            f"/api/v1/duty-shifts/{shift.id}/volunteer", headers=world["member2"]
        )
        assert (await created(volunteered))["source"] == "volunteered"
        full = await client.post(
            f"/api/v1/duty-shifts/{shift.id}/volunteer", headers=world["far_member"]
        )
        assert_problem(full, 404, "duty_shift.not_found")  # not a station they take part in
        third = await make_person(db, world.unit("b1"))
        await make_member(db, third, world.unit("g1"))
        response = await client.post(
            f"/api/v1/duty-shifts/{shift.id}/assignments",
            json={"person_id": third.id},
            headers=world["admin"],
        )
        assert_problem(response, 409, "duty_shift.full")
        shifts = await ok(
            await client.get(
                f"{URL}/{station['id']}/shifts",
                params={"from": str(date.today() - timedelta(days=1)), "to": "2099-01-01"},
                headers=world["admin"],
            )
        )
        [listed] = shifts["items"]
        assert listed["taken"] == 2 and len(listed["assignments"]) == 2

    async def test_only_party_members_of_the_community(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        station = await make_station(client, world)
        shift = await shift_at(db, station, now() + timedelta(days=2))
        assert_problem(
            await assign(client, world, shift.id, "resident"), 404, "duty_shift.person_not_eligible"
        )
        response = await client.post(
            f"/api/v1/duty-shifts/{shift.id}/volunteer", headers=world["resident"]
        )
        assert_problem(response, 404, "duty_shift.person_not_eligible")
        assert_problem(
            await assign(client, world, shift.id, "member", "sibling"), 404, "duty_shift.not_found"
        )

    async def test_ended_shift_takes_nobody(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        station = await make_station(client, world)
        shift = await shift_at(db, station, now() - timedelta(hours=5))
        assert_problem(await assign(client, world, shift.id, "member"), 409, "duty_shift.over")

    async def test_self_check_in_earns_points_once(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        station = await make_station(client, world)
        shift = await shift_at(db, station, now() - timedelta(minutes=10))
        duty = await created(await assign(client, world, shift.id, "member"))
        url = f"/api/v1/duty-assignments/{duty['id']}/check-in"
        assert_problem(
            await client.post(url, headers=world["member2"]), 404, "duty_assignment.not_found"
        )
        checked = await ok(await client.post(url, headers=world["member"]))
        assert (checked["status"], checked["check_in_method"], checked["points_awarded"]) == (
            "checked_in",
            "self",
            5,
        )
        txn = await db.scalar(
            select(PointsTransaction).where(
                PointsTransaction.txn_key
                == f"activity:duty-shift-{shift.id}:{world.person('member').id}"
            )
        )
        assert txn is not None and txn.kind == "activity_award"
        assert_problem(
            await client.post(url, headers=world["admin"]), 409, "duty_assignment.not_scheduled"
        )

    async def test_qr_check_in_takes_the_live_code_once(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        station = await make_station(client, world)
        shift = await shift_at(db, station, now() - timedelta(minutes=10), capacity=3)
        first = await created(await assign(client, world, shift.id, "member"))
        second = await created(await assign(client, world, shift.id, "member2"))
        code_url = f"/api/v1/duty-shifts/{shift.id}/checkin-code"
        assert_problem(await client.get(code_url, headers=world["member"]), 403, "auth.forbidden")
        code = await ok(await client.get(code_url, headers=world["admin"]))
        assert code["payload"] == f"redgrid:duty-shift:{shift.id}:check_in:{code['token']}"

        def check_in(duty: dict[str, Any], token: str, who: str) -> Any:
            return client.post(
                f"/api/v1/duty-assignments/{duty['id']}/check-in",
                json={"token": token},
                headers=world[who],
            )

        # Another shift's code, or garbage, checks nobody in.
        other = await shift_at(db, station, now() - timedelta(minutes=5))
        foreign = await ok(
            await client.get(f"/api/v1/duty-shifts/{other.id}/checkin-code", headers=world["admin"])
        )
        assert_problem(
            await check_in(first, foreign["token"], "member"), 422, "checkin.invalid_code"
        )
        assert_problem(await check_in(first, "1.0.AAAA", "member"), 422, "checkin.invalid_code")
        # Staff cannot "scan" for someone else: the code proves the member is there.
        assert_problem(
            await check_in(first, code["token"], "member2"), 404, "duty_assignment.not_found"
        )
        checked = await ok(await check_in(first, code["token"], "member"))
        assert (checked["status"], checked["check_in_method"], checked["points_awarded"]) == (
            "checked_in",
            "qr",
            5,
        )
        # The same code forwarded to the second member is spent; the refreshed one works.
        assert_problem(await check_in(second, code["token"], "member2"), 422, "checkin.used_code")
        fresh = await ok(await client.get(code_url, headers=world["admin"]))
        assert fresh["token"] != code["token"]
        assert (await ok(await check_in(second, fresh["token"], "member2")))["check_in_method"] == (
            "qr"
        )
        await db.refresh(shift)
        assert shift.check_in_uses == 2

    async def test_a_photo_of_an_old_code_is_stale(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        from app.governance import checkin
        from tests.conftest import make_settings

        station = await make_station(client, world)
        shift = await shift_at(db, station, now() - timedelta(minutes=10))
        duty = await created(await assign(client, world, shift.id, "member"))
        codes = checkin.codes(make_settings().secret_key)
        old = codes.issue(f"duty-shift:{shift.id}", "check_in", now() - timedelta(minutes=5))
        response = await client.post(
            f"/api/v1/duty-assignments/{duty['id']}/check-in",
            json={"token": old.token},
            headers=world["member"],
        )
        assert_problem(response, 422, "checkin.stale_code")
        await db.refresh(shift)
        assert shift.check_in_uses == 0

    async def test_no_code_before_the_window(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        station = await make_station(client, world)
        shift = await shift_at(db, station, now() + timedelta(hours=2))
        response = await client.get(
            f"/api/v1/duty-shifts/{shift.id}/checkin-code", headers=world["admin"]
        )
        assert_problem(response, 409, "duty_assignment.outside_window")

    async def test_too_early_for_self_check_in(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        station = await make_station(client, world)
        shift = await shift_at(db, station, now() + timedelta(hours=2))
        duty = await created(await assign(client, world, shift.id, "member"))
        response = await client.post(
            f"/api/v1/duty-assignments/{duty['id']}/check-in", headers=world["member"]
        )
        assert_problem(response, 409, "duty_assignment.outside_window")

    async def test_missed_shift_is_visible_and_staff_may_record_it_late(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        station = await make_station(client, world)
        shift = await shift_at(db, station, now() - timedelta(minutes=20))
        duty = await created(await assign(client, world, shift.id, "member"))
        shift.starts_at, shift.ends_at = (
            now() - timedelta(days=2),
            now() - timedelta(days=2, hours=-3),
        )
        await db.flush()
        missed = await ok(
            await client.get(
                f"{URL}/{station['id']}/duty-assignments",
                params={"status": "missed"},
                headers=world["dispatcher"],
            )
        )
        assert [(d["id"], d["status"]) for d in missed["items"]] == [(duty["id"], "missed")]
        late_self = await client.post(
            f"/api/v1/duty-assignments/{duty['id']}/check-in", headers=world["member"]
        )
        assert_problem(late_self, 409, "duty_assignment.outside_window")
        recorded = await ok(
            await client.post(
                f"/api/v1/duty-assignments/{duty['id']}/check-in", headers=world["admin"]
            )
        )
        assert (recorded["status"], recorded["check_in_method"]) == ("checked_in", "staff")

    async def test_swap_and_withdraw(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        station = await make_station(client, world)
        shift = await shift_at(db, station, now() + timedelta(days=1))
        duty = await created(await assign(client, world, shift.id, "member"))
        url = f"/api/v1/duty-assignments/{duty['id']}"
        to_self = {"person_id": world.person("member").id}
        assert_problem(
            await client.post(f"{url}/swap", json=to_self, headers=world["member"]),
            422,
            "duty_assignment.swap_to_self",
        )
        swapped = await created(
            await client.post(
                f"{url}/swap",
                json={"person_id": world.person("member2").id, "reason": "出差"},
                headers=world["member"],
            )
        )
        assert (swapped["source"], swapped["swapped_from_id"]) == ("swap", duty["id"])
        history = await ok(
            await client.get(f"{URL}/{station['id']}/duty-assignments", headers=world["admin"])
        )
        assert {(d["id"], d["status"]) for d in history["items"]} == {
            (duty["id"], "swapped_out"),
            (swapped["id"], "scheduled"),
        }
        withdrawn = await ok(
            await client.post(
                f"/api/v1/duty-assignments/{swapped['id']}/withdraw", headers=world["member2"]
            )
        )
        assert withdrawn["status"] == "withdrawn"
        await db.refresh(shift)
        assert shift.taken == 0


class TestHonours:
    async def test_curated_by_staff_read_by_residents(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        station = await make_station(client, world)
        url = f"{URL}/{station['id']}/honours"
        entry = {
            "person_id": world.person("neighbour").id,
            "citation": "带领热心阿姨组建家庭事务调解队。",
            "honoured_on": "2026-07-01",
        }
        assert_problem(
            await client.post(url, json=entry, headers=world["member"]), 403, "auth.forbidden"
        )
        made = await created(await client.post(url, json=entry, headers=world["admin"]))
        assert made["title"] == "红旗好人" and made["person"]["id"] == entry["person_id"]
        listed = await ok(await client.get(url, headers=world["resident"]))
        assert [h["id"] for h in listed["items"]] == [made["id"]]
        withdraw = await ok(
            await client.post(
                f"/api/v1/honours/{made['id']}/withdraw",
                json={"reason": "信息有误"},
                headers=world["admin"],
            )
        )
        assert withdraw["withdrawn_reason"] == "信息有误"
        assert (await ok(await client.get(url, headers=world["resident"])))["items"] == []
        outsider = entry | {"person_id": world.person("far_resident").id}
        assert_problem(
            await client.post(url, json=outsider, headers=world["admin"]),
            404,
            "governance.person_not_found",
        )

    @pytest.mark.parametrize("caller", ["sibling", "far_resident"])
    async def test_outside_scope_is_404(
        self, client: httpx.AsyncClient, world: World, caller: str
    ) -> None:
        station = await make_station(client, world)
        response = await client.get(f"{URL}/{station['id']}/honours", headers=world[caller])
        assert_problem(response, 404, "station.not_found")
