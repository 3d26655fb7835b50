"""The demo town's participation step: what it seeds, and the 双考评 of the unit and of
红星社区 equal to counting the rows by hand (plain SQL over the tables, not the report's
code)."""

from datetime import date, datetime
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.demo.participation import UNIT_NAME, last_saturday
from app.demo.town import seed_demo
from app.kit.calendar import BUSINESS_TZ
from app.users.models import UserAccount
from tests.support.factory import bearer

PERIOD = """
    (SELECT (CAST(:start AS date)::timestamp AT TIME ZONE 'Asia/Shanghai') AS s,
            ((CAST(:end AS date) + 1)::timestamp AT TIME ZONE 'Asia/Shanghai') AS e)
"""


async def _scalar(db: AsyncSession, sql: str, **params: Any) -> Any:
    return (await db.execute(text(sql), params)).scalar_one()


async def hand_count(db: AsyncSession, start: date, end: date) -> dict[str, Any]:
    unit = await _scalar(db, "SELECT id FROM work_unit WHERE name = :n", n=UNIT_NAME)
    hongxing = await _scalar(db, "SELECT id FROM org_unit WHERE code = 'SL-C1'")
    p = {"u": unit, "c": hongxing, "start": start, "end": end}
    roster = f"SELECT person_id FROM work_unit_member WHERE work_unit_id = {unit}"
    # Live at the period's end: confirmed before it, not withdrawn by then.
    live = (
        "confirmed_at < (SELECT e FROM period)"
        " AND (withdrawn_at IS NULL OR withdrawn_at >= (SELECT e FROM period))"
    )
    attended = (
        f"WITH period AS {PERIOD} SELECT s.person_id, s.service_minutes, s.awarded_points,"
        " a.community_id FROM activity_signup s JOIN activity a ON a.id = s.activity_id, period"
        " WHERE s.checked_in_at IS NOT NULL AND s.voided_at IS NULL AND a.status <> 'cancelled'"
        " AND a.starts_at >= period.s AND a.starts_at < period.e"
    )
    orders = (
        f"WITH period AS {PERIOD} SELECT o.id, o.assignee_person_id AS person_id,"
        " o.community_id FROM service_order o, period WHERE o.status = 'closed'"
        " AND o.closed_at >= period.s AND o.closed_at < period.e"
    )
    wished = (
        f"WITH period AS {PERIOD} SELECT w.id, p.person_id, w.community_id, p.awarded_points"
        " FROM micro_wish w JOIN micro_wish_participant p ON p.wish_id = w.id, period"
        " WHERE w.status = 'fulfilled' AND w.fulfilled_at >= period.s AND w.fulfilled_at < period.e"
    )
    count: dict[str, Any] = {}
    count["roster"] = await _scalar(db, f"SELECT count(*) FROM ({roster}) r")
    count["dual"] = await _scalar(
        db,
        f"WITH period AS {PERIOD} SELECT count(*) FROM ({roster}) r WHERE EXISTS"
        f" (SELECT 1 FROM dual_registration d WHERE d.person_id = r.person_id AND d.kind = 'home'"
        f" AND ({live})) AND EXISTS (SELECT 1 FROM dual_registration d WHERE"
        f" d.person_id = r.person_id AND d.kind = 'linked' AND d.work_unit_id = :u AND ({live}))",
        **p,
    )
    count["unit_minutes"] = await _scalar(
        db,
        f"SELECT coalesce(sum(service_minutes), 0) FROM ({attended}) x"
        f" WHERE person_id IN ({roster})",
        **p,
    )
    count["unit_points"] = await _scalar(
        db,
        f"SELECT coalesce(sum(awarded_points), 0) FROM ({attended}) x"
        f" WHERE person_id IN ({roster})",
        **p,
    ) + await _scalar(
        db,
        f"SELECT coalesce(sum(awarded_points), 0) FROM ({wished}) x WHERE person_id IN ({roster})",
        **p,
    )
    count["unit_orders"] = await _scalar(
        db, f"SELECT count(DISTINCT id) FROM ({orders}) x WHERE person_id IN ({roster})", **p
    )
    count["unit_wishes"] = await _scalar(
        db, f"SELECT count(DISTINCT id) FROM ({wished}) x WHERE person_id IN ({roster})", **p
    )
    count["unit_active"] = await _scalar(
        db,
        f"SELECT count(DISTINCT person_id) FROM (SELECT person_id FROM ({attended}) a"
        f" UNION SELECT person_id FROM ({orders}) o UNION SELECT person_id FROM ({wished}) w) x"
        f" WHERE person_id IN ({roster})",
        **p,
    )
    registered = (
        f"WITH period AS {PERIOD} SELECT DISTINCT person_id FROM dual_registration"
        f" WHERE community_id = :c AND {live}"
    )
    expected = (
        "SELECT p.id AS person_id FROM person p JOIN party_member m ON m.person_id = p.id"
        " WHERE p.community_id = :c AND m.is_in_service AND NOT m.is_archived"
        " AND NOT p.is_archived UNION SELECT wm.person_id FROM work_unit_member wm"
        " JOIN work_unit_pairing wp ON wp.work_unit_id = wm.work_unit_id"
        " WHERE wp.community_id = :c AND wp.ended_on IS NULL"
    )
    count["c_expected"] = await _scalar(db, f"SELECT count(*) FROM ({expected}) x", **p)
    count["c_registered"] = await _scalar(db, f"SELECT count(*) FROM ({registered}) x", **p)
    count["c_registered_expected"] = await _scalar(
        db,
        f"SELECT count(*) FROM ({registered}) r WHERE person_id IN ({expected})",
        **p,
    )
    in_c = "community_id = :c AND person_id IN (SELECT person_id FROM registered)"
    count["c_minutes"] = await _scalar(
        db,
        f"WITH registered AS ({registered}) SELECT coalesce(sum(service_minutes), 0)"
        f" FROM ({attended}) x WHERE {in_c}",
        **p,
    )
    count["c_matters"] = await _scalar(
        db,
        f"WITH registered AS ({registered}) SELECT (SELECT count(DISTINCT id) FROM ({orders}) o"
        f" WHERE {in_c}) + (SELECT count(DISTINCT id) FROM ({wished}) w WHERE {in_c})",
        **p,
    )
    count["c_active"] = await _scalar(
        db,
        f"WITH registered AS ({registered}) SELECT count(DISTINCT person_id) FROM"
        f" (SELECT person_id, community_id FROM ({attended}) a UNION SELECT person_id,"
        f" community_id FROM ({orders}) o UNION SELECT person_id, community_id FROM ({wished}) w)"
        f" x WHERE {in_c}",
        **p,
    )
    return count


async def test_the_demo_town_participation_matches_the_hand_count(
    db: AsyncSession, client: httpx.AsyncClient, settings: Settings
) -> None:
    assert await seed_demo(db)
    today = datetime.now(BUSINESS_TZ).date()
    start, end = last_saturday(today), today

    signups = (
        await db.execute(
            text(
                "SELECT count(*), count(checked_in_at), count(checked_out_at),"
                " sum(service_minutes), count(award_transaction_id) FROM activity_signup"
            )
        )
    ).one()
    assert tuple(signups) == (12, 10, 10, 1390, 10)
    assert (
        await _scalar(db, "SELECT count(*) FROM activity_signup WHERE check_in_method = 'qr'") == 10
    )
    wish = (await db.execute(text("SELECT status, claimant_kind, thanks FROM micro_wish"))).one()
    assert (wish.status, wish.claimant_kind) == ("fulfilled", "team") and wish.thanks
    assert await _scalar(db, "SELECT count(*) FROM micro_wish_participant") == 3
    three_ones = await _scalar(
        db,
        "SELECT count(*) FROM dual_registration WHERE kind = 'home' AND status = 'confirmed'"
        " AND volunteer_team_id IS NOT NULL AND linked_building_id IS NOT NULL"
        " AND responsibility_area IS NOT NULL",
    )
    assert three_ones == 20

    count = await hand_count(db, start, end)
    admin = await db.scalar(text("SELECT id FROM user_account WHERE username = 'shilong_admin'"))
    headers = bearer(settings, UserAccount(id=admin))
    town = await _scalar(db, "SELECT id FROM org_unit WHERE code = 'SL'")
    response = await client.get(
        "/api/v1/participation-reports/dual-evaluation",
        params={"unit_id": town, "from": start.isoformat(), "to": end.isoformat()},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    [unit] = [u for u in report["units"] if u["unit"]["name"] == UNIT_NAME]
    assert (unit["roster"], unit["dual_registered"], unit["active"]) == (
        count["roster"],
        count["dual"],
        count["unit_active"],
    )
    assert (count["roster"], count["dual"]) == (20, 20)
    service = unit["service"]
    assert (service["minutes"], service["points"]) == (count["unit_minutes"], count["unit_points"])
    assert (service["orders_closed"], service["wishes_fulfilled"]) == (
        count["unit_orders"],
        count["unit_wishes"],
    )
    [hongxing] = [c for c in report["communities"] if c["community"]["code"] == "SL-C1"]
    assert (
        hongxing["expected"],
        hongxing["registered"],
        hongxing["registered_expected"],
        hongxing["active"],
    ) == (
        count["c_expected"],
        count["c_registered"],
        count["c_registered_expected"],
        count["c_active"],
    )
    assert hongxing["service"]["minutes"] == count["c_minutes"]
    assert hongxing["service"]["matters_solved"] == count["c_matters"]
