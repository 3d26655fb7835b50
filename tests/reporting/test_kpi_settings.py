"""/api/v1/stats/kpi-settings: a town's KPI settings (考核口径), versioned like the
points rules, and the report taking the version in force on its period's last day.

Versions made through the API take effect today or later; the versions a report of
October 2026 (the dataset of conftest.py) would use are written as rows, as if made
back then."""

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
from app.reporting.kpi_settings.models import KpiSettingsVersion
from tests.reporting.conftest import OCTOBER, SH, World
from tests.support.problems import assert_problem

URL = "/api/v1/stats/kpi-settings"
VERSIONS = f"{URL}/versions"
STATS = "/api/v1/stats/orders"
DEFAULT = {
    "excluded_statuses": ["merged", "rejected", "cancelled"],
    "exclude_flagged_unreasonable": True,
    "resolved_answers": ["yes"],
    "partly_resolved_weight": 0.5,
    "satisfied_answers": ["satisfied", "basically"],
    "basically_satisfied_weight": 0.8,
}
STRICTER = DEFAULT | {"basically_satisfied_weight": 0.0, "satisfied_answers": ["satisfied"]}


def today() -> date:
    return datetime.now(SH).date()


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def body(world: World, **fields: Any) -> dict[str, Any]:
    return {"town_id": world.id("town"), "settings": STRICTER} | fields


async def add_row(
    db: AsyncSession, world: World, version: int, effective: date, settings: dict[str, Any]
) -> KpiSettingsVersion:
    row = KpiSettingsVersion(
        town_id=world.id("town"), version=version, effective_from=effective, settings=settings
    )
    db.add(row)
    await db.flush()
    return row


class TestCreate:
    async def test_town_admin_adds_numbered_versions_and_is_audited(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        first = await client.post(
            VERSIONS,
            json=body(world, note="区考核办通知"),
            headers={**world["town_admin"], **key()},
        )
        assert first.status_code == 201, first.text
        created = first.json()
        assert first.headers["Location"] == f"{VERSIONS}/{created['id']}"
        assert created["version"] == 1
        assert created["effective_from"] == today().isoformat()
        assert created["settings"] == STRICTER
        assert created["created_by_user_id"] == world.users["town_admin"].id
        second = await client.post(
            VERSIONS,
            json=body(world, effective_from=(today() + timedelta(days=5)).isoformat()),
            headers={**world["town_admin"], **key()},
        )
        assert second.status_code == 201, second.text
        assert second.json()["version"] == 2
        audited = await db.scalar(
            select(func.count()).where(
                AuditEvent.action == "stats.kpi_settings_version",
                AuditEvent.town_id == world.id("town"),
            )
        )
        assert audited == 2

    async def test_if_match_is_the_latest_version_number(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        current = await client.get(
            URL, params={"town_id": world.id("town")}, headers=world["town_admin"]
        )
        assert current.headers["ETag"] == 'W/"0"'
        headers = {**world["town_admin"], "If-Match": current.headers["ETag"]}
        made = await client.post(VERSIONS, json=body(world), headers=headers | key())
        assert made.status_code == 201, made.text
        # A second change from the same base is stale: someone changed it meanwhile.
        stale = await client.post(VERSIONS, json=body(world), headers=headers | key())
        assert_problem(stale, 412, "resource.version_mismatch")
        fresh = await client.post(
            VERSIONS, json=body(world), headers=headers | key() | {"If-Match": 'W/"1"'}
        )
        assert fresh.status_code == 201 and fresh.json()["version"] == 2

    async def test_replay_with_the_same_key_adds_one_version(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        headers = {**world["town_admin"], **key()}
        first = await client.post(VERSIONS, json=body(world), headers=headers)
        again = await client.post(VERSIONS, json=body(world), headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        count = await db.scalar(select(func.count()).select_from(KpiSettingsVersion))
        assert count == 1

    @pytest.mark.parametrize(
        ("who", "town", "status", "code"),
        [
            ("admin", "town", 404, "resource.not_found"),  # community staff: not their town's
            ("other_town_admin", "town", 404, "resource.not_found"),
            ("town_admin", "other_town", 404, "resource.not_found"),
            ("town_admin", "c1", 404, "resource.not_found"),  # not a town
            ("dispatcher", "town", 403, "auth.forbidden"),  # no orders.config
        ],
    )
    async def test_who_may_add(
        self, client: httpx.AsyncClient, world: World, who: str, town: str, status: int, code: str
    ) -> None:
        payload = body(world, town_id=world.id(town))
        response = await client.post(VERSIONS, json=payload, headers={**world[who], **key()})
        assert_problem(response, status, code)

    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.post(VERSIONS, json=body(world)), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("days", [-1, 367])
    async def test_effective_date_is_today_up_to_a_year_ahead(
        self, client: httpx.AsyncClient, world: World, days: int
    ) -> None:
        day = (today() + timedelta(days=days)).isoformat()
        response = await client.post(
            VERSIONS, json=body(world, effective_from=day), headers={**world["town_admin"], **key()}
        )
        assert_problem(response, 422, "stats.settings_effective_date")

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"partly_resolved_weight": 1.5}, "settings.partly_resolved_weight"),
            ({"basically_satisfied_weight": "0.5"}, "settings.basically_satisfied_weight"),
            ({"exclude_flagged_unreasonable": "true"}, "settings.exclude_flagged_unreasonable"),
            ({"excluded_statuses": ["merged", "merged"]}, "settings.excluded_statuses"),
            ({"excluded_statuses": ["lost"]}, "settings.excluded_statuses.0"),
            ({"satisfied_answers": ["very"]}, "settings.satisfied_answers.0"),
            ({"weights": {}}, "settings.weights"),
        ],
    )
    async def test_invalid_settings_are_422_with_the_field(
        self, client: httpx.AsyncClient, world: World, change: dict[str, Any], field: str
    ) -> None:
        payload = body(world, settings=STRICTER | change)
        response = await client.post(
            VERSIONS, json=payload, headers={**world["town_admin"], **key()}
        )
        problem = assert_problem(response, 422, "request.validation_failed")
        assert field in {e["field"] for e in problem["errors"]}

    async def test_every_key_is_required(self, client: httpx.AsyncClient, world: World) -> None:
        partial = {k: v for k, v in STRICTER.items() if k != "resolved_answers"}
        response = await client.post(
            VERSIONS, json=body(world, settings=partial), headers={**world["town_admin"], **key()}
        )
        problem = assert_problem(response, 422, "request.validation_failed")
        assert [e["field"] for e in problem["errors"]] == ["settings.resolved_answers"]

    async def test_the_database_refuses_to_change_a_version(
        self, world: World, db: AsyncSession
    ) -> None:
        row = await add_row(db, world, 1, date(2026, 10, 1), DEFAULT)
        for statement in (
            update(KpiSettingsVersion)
            .where(KpiSettingsVersion.id == row.id)
            .values(effective_from=date(2026, 9, 1)),
            delete(KpiSettingsVersion).where(KpiSettingsVersion.id == row.id),
        ):
            with pytest.raises(DBAPIError, match="kpi_settings_version is history"):
                async with db.begin_nested():
                    await db.execute(statement)


class TestInForce:
    async def test_district_default_without_a_version(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(
            URL, params={"town_id": world.id("town")}, headers=world["auditor"]
        )
        assert response.status_code == 200, response.text
        found = response.json()
        assert found["basis"]["source"] == "district_default"
        assert found["basis"]["version_id"] is None
        assert found["settings"] == DEFAULT
        assert found["latest_version"] == 0

    async def test_the_latest_version_effective_on_the_day(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        v1 = await add_row(db, world, 1, date(2026, 10, 15), STRICTER)
        v2 = await add_row(db, world, 2, date(2026, 11, 1), DEFAULT | {"resolved_answers": []})
        # v3 corrects v2 before it took effect: same day, the later number wins.
        v3 = await add_row(db, world, 3, date(2026, 11, 1), DEFAULT)
        expected = {
            "2026-10-14": (None, None),
            "2026-10-15": (v1.id, 1),
            "2026-10-31": (v1.id, 1),
            "2026-11-01": (v3.id, 3),
        }
        for day, (version_id, number) in expected.items():
            response = await client.get(
                URL, params={"town_id": world.id("town"), "at": day}, headers=world["town_admin"]
            )
            assert response.status_code == 200, response.text
            basis = response.json()["basis"]
            assert (basis["version_id"], basis["version"], basis["at"]) == (
                version_id,
                number,
                day,
            )
            assert response.headers["ETag"] == 'W/"3"'
        assert v2.id not in {v for v, _ in expected.values()}

    async def test_another_town_keeps_the_default(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await add_row(db, world, 1, date(2026, 10, 1), STRICTER)
        response = await client.get(
            URL, params={"town_id": world.id("other_town")}, headers=world["other_town_admin"]
        )
        assert response.json()["basis"]["source"] == "district_default"

    @pytest.mark.parametrize(
        ("who", "town", "status", "code"),
        [
            ("dispatcher", "town", 404, "resource.not_found"),  # its scope is c1 only
            ("other_town_admin", "town", 404, "resource.not_found"),
            ("town_admin", "c1", 404, "resource.not_found"),
            ("member", "town", 403, "auth.forbidden"),
        ],
    )
    async def test_scope(
        self, client: httpx.AsyncClient, world: World, who: str, town: str, status: int, code: str
    ) -> None:
        response = await client.get(URL, params={"town_id": world.id(town)}, headers=world[who])
        assert_problem(response, status, code)

    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(URL, params={"town_id": world.id("town")})
        assert_problem(response, 401, "auth.unauthenticated")


class TestVersions:
    async def test_list_newest_first_and_get_one(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        rows = [await add_row(db, world, n, date(2026, 10, n), DEFAULT) for n in (1, 2, 3)]
        page = await client.get(
            VERSIONS,
            params={"town_id": world.id("town"), "limit": 2},
            headers=world["town_admin"],
        )
        assert page.status_code == 200, page.text
        assert [v["version"] for v in page.json()["items"]] == [3, 2]
        rest = await client.get(
            VERSIONS,
            params={"town_id": world.id("town"), "cursor": page.json()["next_cursor"]},
            headers=world["town_admin"],
        )
        assert [v["version"] for v in rest.json()["items"]] == [1]
        one = await client.get(f"{VERSIONS}/{rows[0].id}", headers=world["auditor"])
        assert one.status_code == 200 and one.json()["settings"] == DEFAULT

    async def test_other_towns_versions_are_not_found(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        row = await add_row(db, world, 1, date(2026, 10, 1), DEFAULT)
        other = world["other_town_admin"]
        assert (await client.get(VERSIONS, headers=other)).json()["items"] == []
        response = await client.get(f"{VERSIONS}/{row.id}", headers=other)
        assert_problem(response, 404, "resource.not_found")
        listed = await client.get(VERSIONS, params={"town_id": world.id("town")}, headers=other)
        assert_problem(listed, 404, "resource.not_found")


class TestReportUsesTheVersionInForce:
    async def test_october_report_takes_the_version_in_force_on_october_31(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        version = await add_row(db, world, 1, date(2026, 10, 31), STRICTER)
        await add_row(db, world, 2, date(2026, 11, 1), DEFAULT)  # too late for October
        response = await client.get(
            STATS, params={**OCTOBER, "unit_id": world.id("c1")}, headers=world["dispatcher"]
        )
        assert response.status_code == 200, response.text
        report = response.json()
        # c1 answers: A1 satisfied, A2 basically, A3 not; basically now earns 0 → 1 / 3.
        assert report["summary"]["satisfaction_rate"] == {
            "rate": round(1 / 3, 4),
            "numerator": 1.0,
            "denominator": 3,
        }
        definitions = report["definitions"]
        assert definitions["settings"] == STRICTER
        assert definitions["settings_basis"] == {
            "source": "town",
            "town_id": world.id("town"),
            "at": "2026-10-31",
            "version_id": version.id,
            "version": 1,
            "effective_from": "2026-10-31",
        }
        workbook = await client.get(
            f"{STATS}.xlsx",
            params={**OCTOBER, "unit_id": world.id("c1")},
            headers=world["dispatcher"],
        )
        overview = load_workbook(BytesIO(workbook.content))["总览"]
        rows = {row[0]: row[1] for row in overview.iter_rows(values_only=True) if row}
        assert rows["考核口径"] == "本镇口径 第1版（2026-10-31 起施行）"

    async def test_a_version_effective_after_the_period_does_not_apply(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await add_row(db, world, 1, date(2026, 11, 1), STRICTER)
        response = await client.get(
            STATS, params={**OCTOBER, "unit_id": world.id("town")}, headers=world["town_admin"]
        )
        report = response.json()
        assert report["definitions"]["settings_basis"]["source"] == "district_default"
        assert report["summary"]["satisfaction_rate"]["numerator"] == 5.4

    async def test_another_towns_report_is_unaffected(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        await add_row(db, world, 1, date(2026, 10, 1), STRICTER)
        response = await client.get(
            STATS,
            params={**OCTOBER, "unit_id": world.id("other_town")},
            headers=world["other_town_admin"],
        )
        report = response.json()
        assert report["definitions"]["settings_basis"]["source"] == "district_default"
        assert report["definitions"]["settings"] == DEFAULT
