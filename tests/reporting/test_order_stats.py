"""GET /api/v1/stats/orders: 接诉即办 三率 over a subtree and period, checked by hand.

The dataset is in conftest.py. With the seeded settings (merged, rejected and
cancelled excluded; flagged orders excluded; yes = 1, partly = 0.5, no = 0;
satisfied = 1, basically = 0.8, not = 0), the October report of the town holds
A1-A7, A9, B1-B4, C1, C2 and T1 (15 orders; A8 is received on 30 September at 23:30,
A10 on 1 November at 00:00, X1 in another town):

- excluded: A5 (rejected), B3 (merged), A6 (flagged) → 3; counted 12.
- response: due = A1 A2 A3 A4 (past, never contacted) B1 B2 B4 C1 C2 = 9 (A7's deadline
  is in 2027 and it was not contacted; A9 and T1 have none); on time = A2 A3 B1 B2 C1 = 5.
- resolution: answers A1 yes, A2 partly, A3 no, B1 yes, B2 yes, C1 partly, C2 partly
  → (1 + .5 + 0 + 1 + 1 + .5 + .5) / 7 = 4.5 / 7.
- satisfaction: A1 satisfied, A2 basically, A3 not, B1 basically, B2 satisfied,
  C1 satisfied, C2 basically → (1 + .8 + 0 + .8 + 1 + 1 + .8) / 7 = 5.4 / 7.
- hours to accept: A1 2, A2 4, A3 1, A4 6, B1 .5, B2 8, B4 1, C1 1, C2 2 → 25.5 / 9.
- hours to resolve: A1 24, A2 72, A3 10, B1 4, B2 48, B4 24, C1 6, C2 12 → 200 / 8.
- overdue: A2 and B4 resolved after resolve_due_at, A4 open past it (A1 resolved exactly
  at it is on time) → 3. Escalated: A2, A4, B4 → 3.
"""

from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.orders.models import KpiSetting
from tests.reporting.conftest import OCTOBER, SH, URL, World
from tests.support.problems import assert_problem

ZERO_STATUS = dict.fromkeys(
    (
        "submitted",
        "triaged",
        "dispatched",
        "pooled",
        "in_progress",
        "resolved",
        "closed",
        "rejected",
        "merged",
        "cancelled",
    ),
    0,
)


def rate(numerator: float, denominator: int) -> dict[str, Any]:
    value = round(numerator / denominator, 4) if denominator else None
    return {"rate": value, "numerator": numerator, "denominator": denominator}


def figures(**values: Any) -> dict[str, Any]:
    """Expected figures: zero/None unless given."""
    base: dict[str, Any] = {
        "total": 0,
        "excluded": 0,
        "counted": 0,
        "by_status": dict(ZERO_STATUS),
        "response_rate": rate(0, 0),
        "resolution_rate": rate(0, 0),
        "satisfaction_rate": rate(0, 0),
        "mean_hours_to_accept": None,
        "accepted": 0,
        "mean_hours_to_resolve": None,
        "resolved": 0,
        "overdue": 0,
        "escalated": 0,
    }
    status = values.pop("by_status", {})
    base.update(values)
    base["by_status"].update(status)
    return base


TOWN_SUMMARY = figures(
    total=15,
    excluded=3,
    counted=12,
    by_status={
        "submitted": 2,
        "triaged": 1,
        "in_progress": 1,
        "resolved": 1,
        "closed": 8,
        "rejected": 1,
        "merged": 1,
    },
    response_rate=rate(5, 9),
    resolution_rate=rate(4.5, 7),
    satisfaction_rate=rate(5.4, 7),
    mean_hours_to_accept=round(25.5 / 9, 2),
    accepted=9,
    mean_hours_to_resolve=25.0,
    resolved=8,
    overdue=3,
    escalated=3,
)


async def report(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    response = await client.get(URL, params={**OCTOBER, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def set_kpi(db: AsyncSession, key: str, value: Any) -> None:
    await db.execute(update(KpiSetting).where(KpiSetting.key == key).values(value=value))
    await db.flush()


class TestAccess:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(URL, params=OCTOBER)
        assert_problem(response, 401, "auth.unauthenticated")

    @pytest.mark.parametrize("role", ["member", "resident", "grid_worker"])
    async def test_without_orders_stats_is_403(
        self, client: httpx.AsyncClient, world: World, role: str
    ) -> None:
        response = await client.get(URL, params=OCTOBER, headers=world[role])
        assert_problem(response, 403, "auth.forbidden")

    @pytest.mark.parametrize(
        ("role", "unit"),
        [
            ("dispatcher", "town"),  # above its community
            ("dispatcher", "c2"),  # sibling subtree
            ("sibling", "g1"),
            ("other_town_admin", "town"),
            ("town_admin", "other_town"),
        ],
    )
    async def test_unit_outside_scope_is_404(
        self, client: httpx.AsyncClient, world: World, role: str, unit: str
    ) -> None:
        params = {**OCTOBER, "unit_id": world.unit(unit).id}
        response = await client.get(URL, params=params, headers=world[role])
        assert_problem(response, 404, "resource.not_found")

    async def test_unknown_unit_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        params = {**OCTOBER, "unit_id": 9_000_000_000}
        response = await client.get(URL, params=params, headers=world["superuser"])
        assert_problem(response, 404, "resource.not_found")

    async def test_dispatcher_reads_its_community(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await report(client, world["dispatcher"], unit_id=world.unit("c1").id)
        assert body["unit"]["id"] == world.unit("c1").id
        assert body["summary"]["total"] == 8

    @pytest.mark.parametrize(
        ("role", "unit"),
        [("dispatcher", "c1"), ("sibling", "c2"), ("town_admin", "town"), ("auditor", "town")],
    )
    async def test_default_unit_is_the_top_visible_node(
        self, client: httpx.AsyncClient, world: World, role: str, unit: str
    ) -> None:
        body = await report(client, world[role])
        assert body["unit"]["id"] == world.unit(unit).id

    async def test_superuser_defaults_to_a_town_and_sees_every_town(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await report(client, world["superuser"])
        assert body["unit"]["level"] == "town"
        other = await report(client, world["superuser"], unit_id=world.unit("other_town").id)
        assert other["summary"]["total"] == 1


class TestFigures:
    async def test_town_summary_matches_hand_computed_values(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await report(client, world["town_admin"], unit_id=world.unit("town").id)
        assert body["summary"] == TOWN_SUMMARY
        assert body["period"] == {
            "from_date": "2026-10-01",
            "to_date": "2026-10-31",
            "timezone": "Asia/Shanghai",
            "basis": "received_at",
        }

    async def test_by_category(self, client: httpx.AsyncClient, world: World) -> None:
        body = await report(client, world["town_admin"], unit_id=world.unit("town").id)
        by_code = {c["category"]: c for c in body["by_category"]}
        # Busiest first, code breaks ties; every active category is listed.
        assert [c["category"] for c in body["by_category"]] == [
            "repair",
            "health",
            "mediation",
            "other",
            "elderly_help",
            "environment",
            "legal_aid",
            "micro_wish",
        ]
        # repair: A1 A3 A4 A6(flagged) A9 B1 B4.
        assert by_code["repair"]["name_zh"] == "维修"
        assert by_code["repair"]["figures"] == figures(
            total=7,
            excluded=1,
            counted=6,
            by_status={"submitted": 1, "in_progress": 1, "resolved": 1, "closed": 4},
            response_rate=rate(2, 5),
            resolution_rate=rate(2, 3),
            satisfaction_rate=rate(1.8, 3),
            mean_hours_to_accept=round((2 + 1 + 6 + 0.5 + 1) / 5, 2),
            accepted=5,
            mean_hours_to_resolve=round((24 + 10 + 4 + 24) / 4, 2),
            resolved=4,
            overdue=2,
            escalated=2,
        )
        assert by_code["mediation"]["figures"]["excluded"] == 1
        assert by_code["legal_aid"]["figures"] == figures()

    async def test_by_child_is_ranked_by_satisfaction_then_resolution(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await report(client, world["town_admin"], unit_id=world.unit("town").id)
        children = [(c["unit"]["id"], c["rank"]) for c in body["by_child"]]
        # c2: satisfaction 1.8/2 = .9, resolution 1; c3: .9 but resolution .5; c1: .6;
        # c4 has no orders: listed, not ranked.
        assert children == [
            (world.unit("c2").id, 1),
            (world.unit("c3").id, 2),
            (world.unit("c1").id, 3),
            (world.unit("c4").id, None),
        ]
        by_id = {c["unit"]["id"]: c["figures"] for c in body["by_child"]}
        assert by_id[world.unit("c1").id] == figures(
            total=8,
            excluded=2,
            counted=6,
            by_status={
                "submitted": 1,
                "triaged": 1,
                "in_progress": 1,
                "closed": 4,
                "rejected": 1,
            },
            response_rate=rate(2, 4),
            resolution_rate=rate(1.5, 3),
            satisfaction_rate=rate(1.8, 3),
            mean_hours_to_accept=round((2 + 4 + 1 + 6) / 4, 2),
            accepted=4,
            mean_hours_to_resolve=round((24 + 72 + 10) / 3, 2),
            resolved=3,
            overdue=2,
            escalated=2,
        )
        assert by_id[world.unit("c2").id]["satisfaction_rate"] == rate(1.8, 2)
        assert by_id[world.unit("c2").id]["resolution_rate"] == rate(2, 2)
        assert by_id[world.unit("c3").id]["resolution_rate"] == rate(1, 2)
        assert by_id[world.unit("c4").id] == figures()

    async def test_orders_placed_at_the_unit_itself_are_reported_apart(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await report(client, world["town_admin"], unit_id=world.unit("town").id)
        assert body["at_unit"] == figures(total=1, counted=1, by_status={"submitted": 1})
        children_total = sum(c["figures"]["total"] for c in body["by_child"])
        assert children_total + body["at_unit"]["total"] == body["summary"]["total"]

    async def test_response_rate_breaks_ties_and_equal_rates_share_a_rank(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        o = world.orders
        # C1 and C2 answered "yes": c3 now equals c2 on satisfaction (.9) and resolution (1);
        # response decides: c2 2 of 3 on time, c3 1 of 2.
        o["C1"].feedback_resolved = o["C2"].feedback_resolved = "yes"
        await db.flush()
        body = await report(client, world["town_admin"])
        ranks = {c["unit"]["id"]: c["rank"] for c in body["by_child"]}
        assert (ranks[world.unit("c2").id], ranks[world.unit("c3").id]) == (1, 2)
        # Every contact on time in both: equal on all three rates, so both rank 1.
        o["C2"].first_contact_at = o["C2"].response_due_at
        o["B4"].first_contact_at = o["B4"].response_due_at
        await db.flush()
        body = await report(client, world["town_admin"])
        ranks = {c["unit"]["id"]: c["rank"] for c in body["by_child"]}
        assert ranks[world.unit("c2").id] == ranks[world.unit("c3").id] == 1
        assert ranks[world.unit("c1").id] == 3

    async def test_community_report_groups_by_grid(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await report(client, world["dispatcher"], unit_id=world.unit("c1").id)
        assert [c["unit"]["id"] for c in body["by_child"]] == [world.unit("g1").id]
        assert body["by_child"][0]["rank"] == 1
        assert body["by_child"][0]["figures"] == body["summary"]
        assert body["at_unit"] is None

    async def test_grid_report_puts_grid_level_orders_at_the_unit(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await report(client, world["dispatcher"], unit_id=world.unit("g1").id)
        # A4 is placed at the grid itself; the rest under building b1.
        assert body["at_unit"]["total"] == 1
        assert body["at_unit"]["overdue"] == 1
        assert [c["unit"]["id"] for c in body["by_child"]] == [world.unit("b1").id]
        assert body["by_child"][0]["figures"]["total"] == 7

    async def test_household_has_no_children(self, client: httpx.AsyncClient, world: World) -> None:
        body = await report(client, world["dispatcher"], unit_id=world.unit("h1").id)
        assert body["by_child"] == []
        assert body["at_unit"] is None
        # A1 A3 A5 A6 A7 A9 are placed at the household.
        assert body["summary"]["total"] == 6

    @pytest.mark.parametrize(
        ("day", "order"), [("2026-09-30", "A8"), ("2026-10-31", "A9"), ("2026-11-01", "A10")]
    )
    async def test_period_is_business_days_in_shanghai_by_received_at(
        self, client: httpx.AsyncClient, world: World, day: str, order: str
    ) -> None:
        params = {"unit_id": world.unit("h1").id, "from": day, "to": day}
        response = await client.get(URL, params=params, headers=world["dispatcher"])
        assert response.status_code == 200, response.text
        summary = response.json()["summary"]
        assert summary["total"] == 1
        expected_status = world.orders[order].status
        assert summary["by_status"][expected_status] == 1


class TestSettings:
    async def test_definitions_carry_the_settings_and_credits(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await report(client, world["town_admin"])
        definitions = body["definitions"]
        assert definitions["settings"] == {
            "excluded_statuses": ["merged", "rejected", "cancelled"],
            "exclude_flagged_unreasonable": True,
            "resolved_answers": ["yes"],
            "partly_resolved_weight": 0.5,
            "satisfied_answers": ["satisfied", "basically"],
            "basically_satisfied_weight": 0.8,
        }
        assert definitions["resolution_credits"] == {"yes": 1.0, "partly": 0.5, "no": 0.0}
        assert definitions["satisfaction_credits"] == {
            "satisfied": 1.0,
            "basically": 0.8,
            "not": 0.0,
        }
        formulas = {f["metric"]: f for f in definitions["formulas"]}
        assert "基本满意(basically)=0.8" in formulas["satisfaction_rate"]["formula_zh"]
        assert "partly=0.5" in formulas["resolution_rate"]["formula_en"]
        assert {"response_rate", "overdue", "excluded", "period"} <= formulas.keys()

    async def test_partly_weight_changes_the_resolution_rate(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await set_kpi(db, "partly_resolved_weight", 1)
        body = await report(client, world["town_admin"])
        # partly now counts fully: A1 A2 B1 B2 C1 C2 → 6 of 7.
        assert body["summary"]["resolution_rate"] == rate(6, 7)
        assert body["definitions"]["resolution_credits"]["partly"] == 1.0

    async def test_resolved_answers_decide_full_credit(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await set_kpi(db, "resolved_answers", ["yes", "no"])
        body = await report(client, world["town_admin"])
        assert body["summary"]["resolution_rate"] == rate(5.5, 7)

    async def test_basically_weight_changes_the_satisfaction_rate(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await set_kpi(db, "basically_satisfied_weight", 0)
        body = await report(client, world["town_admin"])
        # A2, B1 and C2 answered "basically": 5.4 − 3 × .8 = 3.
        assert body["summary"]["satisfaction_rate"] == rate(3, 7)

    async def test_flagged_orders_count_when_not_excluded(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await set_kpi(db, "exclude_flagged_unreasonable", False)
        summary = (await report(client, world["town_admin"]))["summary"]
        # A6 joins: on time, answered yes / satisfied, accepted after 1 h, resolved after 3 h.
        assert (summary["excluded"], summary["counted"]) == (2, 13)
        assert summary["response_rate"] == rate(6, 10)
        assert summary["resolution_rate"] == rate(5.5, 8)
        assert summary["satisfaction_rate"] == rate(6.4, 8)
        assert summary["mean_hours_to_accept"] == round(26.5 / 10, 2)
        assert summary["mean_hours_to_resolve"] == round(203 / 9, 2)

    async def test_excluded_statuses_come_from_the_settings(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await set_kpi(db, "excluded_statuses", ["merged"])
        summary = (await report(client, world["town_admin"]))["summary"]
        # Rejected A5 is counted now; merged B3 and flagged A6 are still left out.
        assert (summary["excluded"], summary["counted"]) == (2, 13)
        assert summary["by_status"]["rejected"] == 1

    async def test_malformed_setting_is_reported_not_guessed(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await set_kpi(db, "partly_resolved_weight", "half")
        response = await client.get(URL, params=OCTOBER, headers=world["town_admin"])
        assert_problem(response, 500, "stats.settings_invalid")
        assert "partly_resolved_weight" in response.json()["detail"]


class TestPeriod:
    async def test_from_after_to_is_422(self, client: httpx.AsyncClient, world: World) -> None:
        params = {"from": "2026-10-31", "to": "2026-10-01"}
        response = await client.get(URL, params=params, headers=world["town_admin"])
        assert_problem(response, 422, "stats.invalid_period")

    async def test_more_than_a_year_is_422(self, client: httpx.AsyncClient, world: World) -> None:
        params = {"from": "2025-01-01", "to": "2026-01-02"}
        response = await client.get(URL, params=params, headers=world["town_admin"])
        assert_problem(response, 422, "stats.invalid_period")

    async def test_default_is_the_last_30_days(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        before = datetime.now(SH).date()
        response = await client.get(URL, headers=world["town_admin"])
        after = datetime.now(SH).date()
        assert response.status_code == 200, response.text
        period = response.json()["period"]
        to_date = date.fromisoformat(period["to_date"])
        assert to_date in (before, after)
        assert date.fromisoformat(period["from_date"]) == to_date - timedelta(days=29)
