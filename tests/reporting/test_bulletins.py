"""/api/v1/stats/bulletins: 通报 of a town — the 三率 ranking of its communities and
grids, its overdue orders and its most-seconded orders — published once per period as
a snapshot, by the worker or on request, and downloadable as xlsx with charts.

The October 2026 dataset of conftest.py, by hand (default settings):
- communities, as GET /stats/orders ranks them: 东方社区 c2 (satisfaction 1.8 / 2),
  南山社区 c3 (1.8 / 2, resolution .5), 红星社区 c1 (1.8 / 3), 北岭社区 c4 unranked.
- grids of the whole town: 东方一网格 g2 (B1 basically, B2 satisfied: 1.8 / 2 = .9)
  before 红星一网格 g1 (A1 satisfied, A2 basically, A3 not: 1.8 / 3 = .6); c3's orders
  sit at the community itself, under no grid.
- overdue: A2 (due 10-07 08:00, resolved 10-08), B4 (due 10-07 21:00, resolved 10-08),
  A4 (due 10-13, still open), earliest deadline first.
"""

import uuid
from datetime import date, datetime, timedelta
from io import BytesIO
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.orders.models import OrderSecond
from app.reporting.bulletins import service
from app.reporting.bulletins.models import Bulletin
from app.reporting.bulletins.schemas import BulletinKind
from tests.reporting.conftest import OCTOBER, SH, World, t
from tests.support.factory import make_person
from tests.support.problems import assert_problem

URL = "/api/v1/stats/bulletins"
OCTOBER_BULLETIN = {"kind": "monthly", "period_start": "2026-10-01"}


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


async def publish(
    client: httpx.AsyncClient, world: World, who: str = "town_admin", **fields: Any
) -> httpx.Response:
    payload = {"town_id": world.id("town"), **OCTOBER_BULLETIN, **fields}
    return await client.post(URL, json=payload, headers={**world[who], **key()})


async def published(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    response = await publish(client, world)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def seconded(db: AsyncSession, world: World) -> None:
    """附议: B2 twice in October, A4 once in October and once in November, A5 (rejected,
    so excluded) three times in October."""
    people = [await make_person(db, world.unit("h1")) for _ in range(3)]
    o = world.orders
    seconds = [
        ("B2", 0, "10-05 10:00"),
        ("B2", 1, "10-06 10:00"),
        ("A4", 0, "10-13 10:00"),
        ("A4", 1, "11-02 10:00"),
        ("A5", 0, "10-16 10:00"),
        ("A5", 1, "10-16 11:00"),
        ("A5", 2, "10-16 12:00"),
    ]
    for order, person, moment in seconds:
        db.add(OrderSecond(order_id=o[order].id, person_id=people[person].id, created_at=t(moment)))
    for order in ("B2", "A4", "A5"):
        o[order].seconds_count = sum(1 for s in seconds if s[0] == order)
    await db.flush()


class TestPublish:
    async def test_october_bulletin_ranks_lists_and_names_its_settings(
        self, client: httpx.AsyncClient, world: World, seconded: None
    ) -> None:
        response = await publish(client, world)
        assert response.status_code == 201, response.text
        bulletin = response.json()
        assert response.headers["Location"] == f"{URL}/{bulletin['id']}"
        assert (bulletin["kind"], bulletin["period_start"], bulletin["period_end"]) == (
            "monthly",
            "2026-10-01",
            "2026-10-31",
        )
        content = bulletin["content"]
        ranked = [(c["unit"]["id"], c["rank"]) for c in content["communities"]]
        assert ranked == [
            (world.id("c2"), 1),
            (world.id("c3"), 2),
            (world.id("c1"), 3),
            (world.id("c4"), None),
        ]
        grids = [(g["unit"]["id"], g["rank"], g["community"]["id"]) for g in content["grids"]]
        assert grids == [(world.id("g2"), 1, world.id("c2")), (world.id("g1"), 2, world.id("c1"))]
        assert content["grids"][0]["satisfaction_rate"] == {
            "rate": 0.9,
            "numerator": 1.8,
            "denominator": 2,
        }
        assert content["grids"][1]["satisfaction_rate"]["rate"] == 0.6
        o = world.orders
        assert [x["id"] for x in content["overdue"]] == [o["A2"].id, o["B4"].id, o["A4"].id]
        assert content["overdue_total"] == 3
        a2 = content["overdue"][0]
        assert (a2["community"], a2["grid"]) == ("红星社区", "红星一网格")
        assert "contact_phone" not in a2 and "resident_person_id" not in a2
        assert [
            (x["id"], x["seconds_in_period"], x["seconds_count"]) for x in content["most_seconded"]
        ] == [(o["B2"].id, 2, 2), (o["A4"].id, 1, 2)]
        assert content["definitions"]["settings_basis"]["source"] == "district_default"
        assert content["definitions"]["settings_basis"]["at"] == "2026-10-31"

    async def test_the_numbers_are_those_of_the_kpi_report(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        content = (await published(client, world))["content"]
        report = (
            await client.get(
                "/api/v1/stats/orders",
                params={**OCTOBER, "unit_id": world.id("town")},
                headers=world["town_admin"],
            )
        ).json()
        assert content["summary"] == report["summary"]
        for mine, theirs in zip(content["communities"], report["by_child"], strict=True):
            assert mine["unit"] == theirs["unit"] and mine["rank"] == theirs["rank"]
            for rate in ("response_rate", "resolution_rate", "satisfaction_rate"):
                assert mine[rate] == theirs["figures"][rate]

    async def test_asking_again_returns_the_published_one(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        first = await published(client, world)
        again = await publish(client, world, "auditor")
        assert again.status_code == 200, again.text
        assert again.json() == first
        assert await db.scalar(select(func.count()).select_from(Bulletin)) == 1
        audited = await db.scalar(
            select(func.count()).where(AuditEvent.action == "stats.bulletin_publish")
        )
        assert audited == 1

    async def test_a_snapshot_does_not_move_with_the_data(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        first = await published(client, world)
        # Later: C1's 回访 is answered again, unhappily, and A4 is resolved in time.
        world.orders["C1"].feedback_satisfaction = "not"
        world.orders["A4"].status = "closed"
        world.orders["A4"].resolved_at = t("10-12 18:00")
        await db.flush()
        stored = await client.get(f"{URL}/{first['id']}", headers=world["town_admin"])
        assert stored.status_code == 200
        assert stored.json() == first
        # …while the live report has moved.
        live = (
            await client.get(
                "/api/v1/stats/orders",
                params={**OCTOBER, "unit_id": world.id("town")},
                headers=world["town_admin"],
            )
        ).json()
        assert (
            live["summary"]["satisfaction_rate"] != first["content"]["summary"]["satisfaction_rate"]
        )
        assert live["summary"]["overdue"] == 2 and first["content"]["overdue_total"] == 3

    async def test_the_database_refuses_to_change_a_published_bulletin(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        bulletin_id = (await published(client, world))["id"]
        for statement in (
            update(Bulletin).where(Bulletin.id == bulletin_id).values(content={}),
            delete(Bulletin).where(Bulletin.id == bulletin_id),
        ):
            with pytest.raises(DBAPIError, match="bulletin is history"):
                async with db.begin_nested():
                    await db.execute(statement)
        assert await db.scalar(select(func.count()).where(Bulletin.id == bulletin_id)) == 1


class TestPeriods:
    @pytest.mark.parametrize(
        ("kind", "start"),
        [
            ("weekly", "2026-10-07"),  # a Wednesday
            ("monthly", "2026-10-02"),
            ("monthly", None),  # placeholder: replaced by this month below
            ("weekly", None),  # placeholder: replaced by this week below
        ],
    )
    async def test_unaligned_or_unfinished_periods_are_422(
        self, client: httpx.AsyncClient, world: World, kind: str, start: str | None
    ) -> None:
        today = datetime.now(SH).date()
        if start is None:
            start = (
                today.replace(day=1) if kind == "monthly" else today - timedelta(today.weekday())
            ).isoformat()
        response = await publish(client, world, kind=kind, period_start=start)
        assert_problem(response, 422, "stats.invalid_period")

    async def test_default_is_the_last_finished_week(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.post(
            URL,
            json={"town_id": world.id("town"), "kind": "weekly"},
            headers={**world["town_admin"], **key()},
        )
        assert response.status_code == 201, response.text
        start = date.fromisoformat(response.json()["period_start"])
        today = datetime.now(SH).date()
        assert start.weekday() == 0
        assert start + timedelta(days=7) <= today < start + timedelta(days=14)
        assert response.json()["period_end"] == (start + timedelta(days=6)).isoformat()

    @pytest.mark.parametrize(
        ("today", "kind", "start"),
        [
            (date(2026, 11, 23), BulletinKind.weekly, date(2026, 11, 16)),  # a Monday
            (date(2026, 11, 22), BulletinKind.weekly, date(2026, 11, 9)),  # a Sunday
            (date(2026, 11, 1), BulletinKind.monthly, date(2026, 10, 1)),
            (date(2026, 3, 31), BulletinKind.monthly, date(2026, 2, 1)),
            (date(2026, 1, 5), BulletinKind.monthly, date(2025, 12, 1)),
        ],
    )
    def test_last_finished(self, today: date, kind: BulletinKind, start: date) -> None:
        assert service.last_finished(kind, today) == start
        assert service.period_of(kind, start).to_date < today

    def test_a_month_ends_on_its_last_day(self) -> None:
        assert service.period_of(BulletinKind.monthly, date(2028, 2, 1)).to_date == date(
            2028, 2, 29
        )

    async def test_unknown_kind_is_422(self, client: httpx.AsyncClient, world: World) -> None:
        response = await publish(client, world, kind="daily")
        assert_problem(response, 422, "request.validation_failed")


class TestScope:
    @pytest.mark.parametrize(
        ("who", "status", "code"),
        [
            ("other_town_admin", 404, "resource.not_found"),
            ("dispatcher", 404, "resource.not_found"),  # its community only, not the town
            ("member", 403, "auth.forbidden"),
        ],
    )
    async def test_others_cannot_read_or_publish(
        self, client: httpx.AsyncClient, world: World, who: str, status: int, code: str
    ) -> None:
        bulletin = await published(client, world)
        for path in (f"{URL}/{bulletin['id']}", f"{URL}/{bulletin['id']}/xlsx"):
            assert_problem(await client.get(path, headers=world[who]), status, code)
        assert_problem(await publish(client, world, who), status, code)
        listed = await client.get(URL, params={"town_id": world.id("town")}, headers=world[who])
        assert_problem(listed, status, code)

    async def test_lists_only_the_callers_towns(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        mine = await published(client, world)
        theirs = await client.post(
            URL,
            json={"town_id": world.id("other_town"), **OCTOBER_BULLETIN},
            headers={**world["other_town_admin"], **key()},
        )
        assert theirs.status_code == 201, theirs.text
        page = await client.get(URL, headers=world["town_admin"])
        assert [b["id"] for b in page.json()["items"]] == [mine["id"]]
        everything = await client.get(URL, params={"kind": "monthly"}, headers=world["superuser"])
        assert {b["id"] for b in everything.json()["items"]} >= {mine["id"], theirs.json()["id"]}
        assert (
            await client.get(URL, params={"kind": "weekly"}, headers=world["town_admin"])
        ).json()["items"] == []

    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.get(URL), 401, "auth.unauthenticated")
        assert_problem(await client.get(f"{URL}/1/xlsx"), 401, "auth.unauthenticated")


class TestXlsx:
    async def test_opens_with_its_charts(
        self, client: httpx.AsyncClient, world: World, seconded: None
    ) -> None:
        bulletin = await published(client, world)
        response = await client.get(f"{URL}/{bulletin['id']}/xlsx", headers=world["auditor"])
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert "bulletin-" in response.headers["content-disposition"]
        book = load_workbook(BytesIO(response.content))
        assert book.sheetnames == ["总览", "社区排名", "网格排名", "超期工单", "附议最多"]
        for name, last in (("社区排名", 5), ("网格排名", 3)):
            charts = book[name]._charts
            assert len(charts) == 1
            # One bar per rate (满意率, 解决率, 响应率), one group per ranked name.
            series = charts[0].series
            assert [s.val.numRef.f for s in series] == [
                f"'{name}'!${column}$2:${column}${last}" for column in "EFG"
            ]
            assert {s.cat.strRef.f for s in series} == {f"'{name}'!$B$2:$B${last}"}
        communities = book["社区排名"]
        assert [c.value for c in communities[2]][:2] == [1, "东方社区"]
        assert communities.cell(row=2, column=5).value == 0.9  # 满意率
        assert communities.cell(row=2, column=5).number_format == "0.00%"
        grids = book["网格排名"]
        assert [grids.cell(row=r, column=2).value for r in (2, 3)] == ["东方一网格", "红星一网格"]
        overdue = book["超期工单"]
        o = world.orders
        assert [overdue.cell(row=r, column=1).value for r in (2, 3, 4)] == [
            o["A2"].number,
            o["B4"].number,
            o["A4"].number,
        ]
        assert book["附议最多"].cell(row=2, column=1).value == o["B2"].number
        overview = {row[0]: row[1] for row in book["总览"].iter_rows(values_only=True) if row}
        assert overview["通报"] == "月通报"
        assert overview["考核口径"] == "区级默认口径 (kpi_setting)"
