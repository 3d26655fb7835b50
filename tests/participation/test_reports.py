"""/api/v1/participation-reports: service hours per person, team and node, a volunteer's
record, and the 双考评 of units and communities — figures checked against a hand count."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.calendar import BUSINESS_TZ
from app.participation.reports import rules
from app.participation.reports.rules import Attendance, ClosedOrder, Facts, WishShare
from tests.participation.conftest import World, party_member
from tests.points.ledger_support import make_closed_order
from tests.support.problems import assert_problem

URL = "/api/v1/participation-reports"
SHANGHAI_TODAY = datetime.now(BUSINESS_TZ).date()
# Around today in Asia/Shanghai, whatever the machine's clock zone and the hour.
FROM = (SHANGHAI_TODAY - timedelta(days=1)).isoformat()
TO = (SHANGHAI_TODAY + timedelta(days=1)).isoformat()
PLEDGE = (SHANGHAI_TODAY + timedelta(days=3)).isoformat()


class TestRules:
    facts = Facts(
        attendances=(Attendance(1, 10, 7, 120, 10), Attendance(2, 10, 7, 0, 10)),
        orders=(ClosedOrder(50, 1, 7), ClosedOrder(51, 3, 8)),
        wishes=(WishShare(60, 1, 8, 8), WishShare(60, 2, 8, 8)),
    )

    def test_service_counts_matters_once(self) -> None:
        served = rules.service(self.facts.of({1, 2}))
        assert (served.attendances, served.minutes, served.hours, served.points) == (
            2,
            120,
            2.0,
            36,
        )
        assert (served.orders_closed, served.wishes_fulfilled, served.matters_solved) == (1, 1, 2)

    def test_of_a_community(self) -> None:
        here = self.facts.of({1, 2, 3}, 8)
        assert here.people() == {1, 2, 3}
        assert rules.service(here).attendances == 0

    def test_rate(self) -> None:
        assert rules.rate(1, 3).rate == 0.3333
        assert rules.rate(0, 0).rate is None


async def _scenario(client: httpx.AsyncClient, world: World, db: AsyncSession) -> dict[str, Any]:
    """A unit paired with c1 whose roster is the member and a colleague; the member
    registered home and linked at c1, attended a two-hour activity, fulfilled a wish
    and closed an order; the colleague's home registration still pending."""
    admin, town = world["admin"], world["town_admin"]
    member = world.people["member"]
    colleague = await party_member(db, world)
    unit = (
        await client.post(
            "/api/v1/work-units",
            json={
                "org_unit_id": world.unit("town").id,
                "name": "县税务局",
                "kind": "government",
                "party_org_name": "县税务局机关党支部",
            },
            headers=town,
        )
    ).json()
    for person in (member, colleague):
        await client.post(
            f"/api/v1/work-units/{unit['id']}/members", json={"person_id": person.id}, headers=town
        )
    await client.post(
        f"/api/v1/work-units/{unit['id']}/pairings",
        json={"org_unit_id": world.unit("c1").id, "started_on": "2026-01-01"},
        headers=town,
    )
    for kind in ("home", "linked"):
        made = await client.post(
            "/api/v1/dual-registrations",
            json={"kind": kind, "org_unit_id": world.unit("c1").id, "person_id": member.id},
            headers=admin,
        )
        assert made.status_code == 201, made.text
    pending = await client.post(
        "/api/v1/dual-registrations",
        json={"kind": "home", "org_unit_id": world.unit("c1").id, "person_id": colleague.id},
        headers=world["sibling"],
    )
    assert pending.status_code == 404  # the sibling community cannot register here
    starts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    activity = (
        await client.post(
            "/api/v1/activities",
            json={
                "org_unit_id": world.unit("g1").id,
                "title": "清扫",
                "kind": "volunteer_service",
                "place": "小区",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
            },
            headers=admin,
        )
    ).json()
    for action, at in (("check_in", starts), ("check_out", starts + timedelta(hours=2))):
        recorded = await client.post(
            f"/api/v1/activities/{activity['id']}/attendance",
            json={"person_id": member.id, "action": action, "at": at.isoformat()},
            headers=admin,
        )
        assert recorded.status_code == 200, recorded.text
    await client.post(f"/api/v1/activities/{activity['id']}/close", headers=admin)
    wish = (
        await client.post(
            "/api/v1/micro-wishes",
            json={
                "wisher_person_id": world.people["resident"].id,
                "title": "收音机",
                "description": "想听广播",
            },
            headers=admin,
        )
    ).json()
    await client.post(
        f"/api/v1/micro-wishes/{wish['id']}/claim",
        json={"claimant_kind": "member", "pledge_date": PLEDGE},
        headers=world["member"],
    )
    done = await client.post(
        f"/api/v1/micro-wishes/{wish['id']}/fulfil",
        json={"photos": ["https://files.example.cn/1.jpg"], "story": "送到了"},
        headers=world["member"],
    )
    assert done.status_code == 200, done.text
    await make_closed_order(db, world.unit("h1"), assignee=member)
    return {"unit": unit, "activity": activity, "colleague": colleague}


class TestDualEvaluation:
    async def test_matches_the_hand_count(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        made = await _scenario(client, world, db)
        response = await client.get(
            f"{URL}/dual-evaluation",
            params={"unit_id": world.unit("town").id, "from": FROM, "to": TO},
            headers=world["town_admin"],
        )
        assert response.status_code == 200, response.text
        report = response.json()
        [unit] = report["units"]
        assert unit["unit"]["id"] == made["unit"]["id"]
        assert (
            unit["roster"],
            unit["home_registered"],
            unit["linked_registered"],
            unit["dual_registered"],
            unit["active"],
        ) == (2, 1, 1, 1, 1)
        assert unit["registration_rate"] == {"rate": 0.5, "numerator": 1.0, "denominator": 2}
        assert unit["active_rate"]["rate"] == 0.5
        assert unit["service"] == {
            "attendances": 1,
            "minutes": 120,
            "hours": 2.0,
            "points": 18,
            "orders_closed": 1,
            "wishes_fulfilled": 1,
            "matters_solved": 2,
        }
        by_code = {c["community"]["id"]: c for c in report["communities"]}
        c1 = by_code[world.unit("c1").id]
        # Expected: the unit's roster (paired with c1); registered: the member (home and
        # linked, one person).
        assert (c1["expected"], c1["registered"], c1["registered_expected"], c1["active"]) == (
            2,
            1,
            1,
            1,
        )
        assert c1["registration_rate"]["rate"] == 0.5
        assert c1["active_rate"]["rate"] == 1.0
        assert c1["service"]["matters_solved"] == 2
        assert c1["service"]["hours"] == 2.0
        c2 = by_code[world.unit("c2").id]
        assert (c2["expected"], c2["registered"], c2["registration_rate"]["rate"]) == (0, 0, None)
        assert [f["name_zh"] for f in report["formulas"]][:2] == ["单位报到率", "单位活跃率"]

    async def test_a_community_sees_its_own_only(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await _scenario(client, world, db)
        mine = await client.get(
            f"{URL}/dual-evaluation",
            params={"unit_id": world.unit("c1").id, "from": FROM, "to": TO},
            headers=world["admin"],
        )
        assert [c["community"]["id"] for c in mine.json()["communities"]] == [world.unit("c1").id]
        assert len(mine.json()["units"]) == 1
        assert_problem(
            await client.get(
                f"{URL}/dual-evaluation",
                params={"unit_id": world.unit("c1").id},
                headers=world["sibling"],
            ),
            404,
            "participation_report.org_unit_not_found",
        )
        assert_problem(
            await client.get(
                f"{URL}/dual-evaluation",
                params={"unit_id": world.unit("g1").id},
                headers=world["admin"],
            ),
            422,
            "participation_report.town_or_community",
        )
        assert_problem(
            await client.get(f"{URL}/dual-evaluation", headers=world["member"]),
            403,
            "auth.forbidden",
        )

    async def test_xlsx(self, client: httpx.AsyncClient, world: World, db: AsyncSession) -> None:
        await _scenario(client, world, db)
        response = await client.get(
            f"{URL}/dual-evaluation",
            params={"unit_id": world.unit("town").id, "format": "xlsx"},
            headers=world["town_admin"],
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
        from io import BytesIO

        from openpyxl import load_workbook

        book = load_workbook(BytesIO(response.content))
        assert book.sheetnames == ["总览", "单位考评", "社区考评"]
        units = list(book["单位考评"].values)
        assert units[1][:6] == ("县税务局", "government", 2, 1, 1, 1)


class TestServiceHours:
    async def test_per_person_node_and_team(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await _scenario(client, world, db)
        params = {"unit_id": world.unit("c1").id, "from": FROM, "to": TO}
        people = await client.get(f"{URL}/service-hours", params=params, headers=world["admin"])
        assert people.status_code == 200, people.text
        body = people.json()
        assert body["total"] == {
            "attendances": 1,
            "people": 1,
            "minutes": 120,
            "hours": 2.0,
            "points": 10,
        }
        assert [(r["key"], r["name"]) for r in body["rows"]] == [
            (world.people["member"].id, "张党员")
        ]
        nodes = await client.get(
            f"{URL}/service-hours", params=params | {"group_by": "node"}, headers=world["admin"]
        )
        by_node = {r["key"]: r["figures"]["minutes"] for r in nodes.json()["rows"]}
        assert by_node == {world.unit("g1").id: 120, None: 0}
        team = await client.post(
            "/api/v1/volunteer-teams",
            json={"org_unit_id": world.unit("c1").id, "name": "红星志愿服务队"},
            headers=world["admin"],
        )
        await client.post(
            f"/api/v1/volunteer-teams/{team.json()['id']}/members",
            json={"person_id": world.people["member"].id},
            headers=world["admin"],
        )
        teams = await client.get(
            f"{URL}/service-hours", params=params | {"group_by": "team"}, headers=world["admin"]
        )
        assert [(r["name"], r["figures"]["hours"]) for r in teams.json()["rows"]] == [
            ("红星志愿服务队", 2.0)
        ]
        sheet = await client.get(
            f"{URL}/service-hours", params=params | {"format": "xlsx"}, headers=world["admin"]
        )
        assert sheet.status_code == 200

    async def test_a_volunteers_record(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await _scenario(client, world, db)
        mine = await client.get(f"{URL}/service-hours/me", headers=world["member"])
        assert mine.status_code == 200, mine.text
        record = mine.json()
        assert (record["hours"], record["points"]) == (2.0, 18)
        assert [e["kind"] for e in record["entries"]] == ["activity", "micro_wish"]
        staff = await client.get(
            f"{URL}/service-hours/people/{world.people['member'].id}", headers=world["admin"]
        )
        assert staff.json() == record
        assert_problem(
            await client.get(
                f"{URL}/service-hours/people/{world.people['member'].id}", headers=world["sibling"]
            ),
            404,
            "participation_report.person_not_found",
        )
        assert_problem(
            await client.get(f"{URL}/service-hours/me", headers=world["department_staff"]),
            403,
            "auth.forbidden",
        )

    @pytest.mark.parametrize(
        "params", [{"from": "2026-02-01", "to": "2026-01-01"}, {"group_by": "x"}]
    )
    async def test_bad_query_is_422(
        self, client: httpx.AsyncClient, world: World, params: dict[str, str]
    ) -> None:
        response = await client.get(f"{URL}/service-hours", params=params, headers=world["admin"])
        assert response.status_code == 422
