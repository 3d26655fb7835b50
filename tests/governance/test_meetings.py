"""/api/v1/meetings: joint meetings (红色物业联席会议), 三会一课, 议事会 — attendance, minutes,
decisions that open an order or a 五议 matter, and the quarterly joint-meeting report."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.orders.models import ServiceOrder
from tests.governance.conftest import World, assert_problem, created, ok
from tests.governance.test_bodies import make_body
from tests.support.factory import make_unit

URL = "/api/v1/meetings"


async def schedule(
    client: httpx.AsyncClient, world: World, unit: str = "g1", **fields: Any
) -> dict[str, Any]:
    body = {
        "kind": "joint_property",
        "title": "第三季度红色物业联席会议",
        "org_unit_id": world.unit(unit).id,
        "scheduled_at": datetime.now(UTC).isoformat(),
        "agenda": ["电动自行车充电问题"],
    } | fields
    return await created(await client.post(URL, json=body, headers=world["admin"]))


async def hold(
    client: httpx.AsyncClient, world: World, meeting: dict[str, Any], held_at: str | None = None
) -> dict[str, Any]:
    body = {
        "held_at": held_at or datetime.now(UTC).isoformat(),
        "minutes": "到会9人。物业同意维修路灯。",
    }
    headers = world["admin"] | {"If-Match": f'W/"{meeting["version"]}"'}
    return await ok(await client.post(f"{URL}/{meeting['id']}/minutes", json=body, headers=headers))


class TestSchedule:
    async def test_with_bodies_and_agenda(self, client: httpx.AsyncClient, world: World) -> None:
        committee = await make_body(
            client, world, kind="owners_committee", name="业委会", org_unit_id=world.unit("g1").id
        )
        company = await make_body(client, world)
        meeting = await schedule(client, world, body_ids=[committee["id"], company["id"]])
        assert {b["kind"] for b in meeting["bodies"]} == {"owners_committee", "property_company"}
        assert (meeting["status"], meeting["attendance"], meeting["decisions"]) == (
            "planned",
            0,
            [],
        )
        read = await ok(await client.get(f"{URL}/{meeting['id']}", headers=world["resident"]))
        assert read["agenda"] == ["电动自行车充电问题"]

    async def test_access(self, client: httpx.AsyncClient, world: World) -> None:
        body = {
            "kind": "council",
            "title": "议事会",
            "org_unit_id": world.unit("g1").id,
            "scheduled_at": "2026-12-12T19:30:00+08:00",
        }
        assert_problem(await client.post(URL, json=body), 401, "auth.unauthenticated")
        assert_problem(
            await client.post(URL, json=body, headers=world["dispatcher"]), 403, "auth.forbidden"
        )
        assert_problem(
            await client.post(URL, json=body, headers=world["sibling"]),
            404,
            "governance.unit_not_found",
        )
        foreign = await make_body(client, world, name="别处物业")
        response = await client.post(
            URL, json=body | {"body_ids": [foreign["id"]]}, headers=world["sibling"]
        )
        assert response.status_code == 404
        meeting = await schedule(client, world)
        for caller in ("sibling", "far_resident"):
            response = await client.get(f"{URL}/{meeting['id']}", headers=world[caller])
            assert_problem(response, 404, "meeting.not_found")


class TestMinutesAndDecisions:
    async def test_minutes_once_and_not_in_the_future(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        meeting = await schedule(client, world)
        future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        headers = world["admin"] | {"If-Match": 'W/"1"'}
        response = await client.post(
            f"{URL}/{meeting['id']}/minutes",
            json={"held_at": future, "minutes": "x"},
            headers=headers,
        )
        assert_problem(response, 422, "meeting.held_in_future")
        held = await hold(client, world, meeting)
        assert (held["status"], held["version"]) == ("held", 2)
        again = await client.post(
            f"{URL}/{meeting['id']}/minutes",
            json={"held_at": datetime.now(UTC).isoformat(), "minutes": "x"},
            headers=world["admin"] | {"If-Match": 'W/"2"'},
        )
        assert_problem(again, 409, "meeting.not_planned")

    async def test_decision_needs_a_held_meeting(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        meeting = await schedule(client, world)
        response = await client.post(
            f"{URL}/{meeting['id']}/decisions", json={"content": "x"}, headers=world["admin"]
        )
        assert_problem(response, 409, "meeting.not_held")

    async def test_decision_opens_an_order_and_keeps_the_link(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        meeting = await hold(client, world, await schedule(client, world))
        decision = await created(
            await client.post(
                f"{URL}/{meeting['id']}/decisions",
                json={
                    "content": "由物业负责维修3号楼北侧路灯",
                    "opens": "order",
                    "order": {
                        "category": "repair",
                        "title": "3号楼北侧路灯维修",
                        "description": "联席会议决定维修",
                    },
                },
                headers=world["admin"],
            )
        )
        order = await db.scalar(select(ServiceOrder).where(ServiceOrder.id == decision["order_id"]))
        assert order is not None
        assert (order.location_unit_id, order.channel, order.status) == (
            world.unit("g1").id,
            "walk_in",
            "submitted",
        )
        read = await ok(await client.get(f"{URL}/{meeting['id']}", headers=world["dispatcher"]))
        assert read["decisions"][0]["order_id"] == order.id

    async def test_decision_opens_a_matter(self, client: httpx.AsyncClient, world: World) -> None:
        meeting = await hold(client, world, await schedule(client, world))
        decision = await created(
            await client.post(
                f"{URL}/{meeting['id']}/decisions",
                json={
                    "content": "增设充电棚提交五议",
                    "opens": "matter",
                    "matter": {"title": "增设电动自行车充电棚", "description": "联席会议提议"},
                },
                headers=world["admin"],
            )
        )
        matter = await ok(
            await client.get(f"/api/v1/matters/{decision['matter_id']}", headers=world["resident"])
        )
        assert (matter["status"], matter["proposer"]["kind"]) == ("proposed", "staff")
        community_meeting = await hold(client, world, await schedule(client, world, "c1"))
        response = await client.post(
            f"{URL}/{community_meeting['id']}/decisions",
            json={"content": "x", "opens": "matter", "matter": {"title": "t", "description": "d"}},
            headers=world["admin"],
        )
        assert_problem(response, 422, "meeting.matter_needs_compound")

    async def test_what_opens_must_match(self, client: httpx.AsyncClient, world: World) -> None:
        meeting = await hold(client, world, await schedule(client, world))
        response = await client.post(
            f"{URL}/{meeting['id']}/decisions",
            json={"content": "x", "opens": "order"},
            headers=world["admin"],
        )
        assert response.status_code == 422


class TestAttendance:
    async def test_staff_and_self_check_in(self, client: httpx.AsyncClient, world: World) -> None:
        meeting = await schedule(client, world)
        url = f"{URL}/{meeting['id']}"
        person = {"person_id": world.person("neighbour").id}
        recorded = await created(
            await client.post(f"{url}/attendance", json=person, headers=world["admin"])
        )
        assert recorded["method"] == "staff"
        assert_problem(
            await client.post(f"{url}/attendance", json=person, headers=world["admin"]),
            409,
            "meeting.already_checked_in",
        )
        own = await created(await client.post(f"{url}/check-in", headers=world["member"]))
        assert (own["method"], own["person"]["id"]) == ("self", world.person("member").id)
        assert_problem(
            await client.post(f"{url}/check-in", headers=world["far_member"]),
            404,
            "meeting.not_found",
        )
        names = await ok(await client.get(f"{url}/attendance", headers=world["dispatcher"]))
        assert [a["person"]["mobile"] for a in names["items"]] == ["138****5678"] * 2
        assert (await ok(await client.get(url, headers=world["admin"])))["attendance"] == 2

    async def test_qr_check_in_spends_the_code(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        meeting = await schedule(client, world)
        url = f"{URL}/{meeting['id']}"
        assert_problem(
            await client.get(f"{url}/checkin-code", headers=world["member"]), 403, "auth.forbidden"
        )
        code = await ok(await client.get(f"{url}/checkin-code", headers=world["admin"]))
        assert code["payload"].startswith(f"redgrid:meeting:{meeting['id']}:check_in:")
        scan = {"token": code["token"]}
        assert_problem(
            await client.post(f"{url}/check-in", json={"token": "x.y.z"}, headers=world["member"]),
            422,
            "checkin.invalid_code",
        )
        own = await created(
            await client.post(f"{url}/check-in", json=scan, headers=world["member"])
        )
        assert (own["method"], own["person"]["id"]) == ("qr", world.person("member").id)
        # Forwarded to someone at home: spent.
        assert_problem(
            await client.post(f"{url}/check-in", json=scan, headers=world["member2"]),
            422,
            "checkin.used_code",
        )
        names = await ok(await client.get(f"{url}/attendance", headers=world["admin"]))
        assert [a["method"] for a in names["items"]] == ["qr"]

    async def test_no_code_outside_the_window(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        meeting = await schedule(client, world, scheduled_at=later)
        response = await client.get(f"{URL}/{meeting['id']}/checkin-code", headers=world["admin"])
        assert_problem(response, 409, "meeting.outside_window")

    async def test_self_check_in_window(self, client: httpx.AsyncClient, world: World) -> None:
        later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        meeting = await schedule(client, world, scheduled_at=later)
        response = await client.post(f"{URL}/{meeting['id']}/check-in", headers=world["member"])
        assert_problem(response, 409, "meeting.outside_window")


class TestJointMeetingReport:
    async def test_which_compounds_held_theirs(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        g3 = await make_unit(db, "grid", world.unit("c1"), name="帝景湾", grid_kind="compound")
        world.units["g3"] = g3
        for unit, held_at in (
            ("g1", "2026-08-15T19:30:00+08:00"),
            ("g1", "2026-09-20T19:30:00+08:00"),
            ("g3", "2026-10-01T00:30:00+08:00"),  # the next quarter, Beijing time
        ):
            await hold(client, world, await schedule(client, world, unit), held_at)
        await schedule(client, world, "g3")  # planned only: never counts
        params = {"unit_id": world.unit("town").id, "year": 2026, "quarter": 3}
        report = await ok(
            await client.get(
                "/api/v1/joint-meeting-report", params=params, headers=world["auditor"]
            )
        )
        assert (report["total"], report["on_time"], report["on_time_rate"]) == (2, 1, 0.5)
        assert (report["period_from"], report["period_to"], report["quarter_over"]) == (
            "2026-07-01",
            "2026-09-30",
            True,
        )
        by_id = {c["compound_id"]: c for c in report["compounds"]}
        assert (by_id[world.unit("g1").id]["held"], by_id[world.unit("g1").id]["on_time"]) == (
            2,
            True,
        )
        assert by_id[g3.id]["on_time"] is False
        q4 = await ok(
            await client.get(
                "/api/v1/joint-meeting-report",
                params=params | {"quarter": 4},
                headers=world["auditor"],
            )
        )
        assert q4["on_time"] == 1

    async def test_scope(self, client: httpx.AsyncClient, world: World) -> None:
        params = {"unit_id": world.unit("town").id, "year": 2026, "quarter": 3}
        response = await client.get(
            "/api/v1/joint-meeting-report", params=params, headers=world["sibling"]
        )
        assert_problem(response, 404, "governance.unit_not_found")
        own = await ok(
            await client.get(
                "/api/v1/joint-meeting-report",
                params=params | {"unit_id": world.unit("c2").id},
                headers=world["sibling"],
            )
        )
        assert (own["total"], own["on_time_rate"]) == (0, None)
        bad = await client.get(
            "/api/v1/joint-meeting-report", params=params | {"quarter": 5}, headers=world["admin"]
        )
        assert bad.status_code == 422
