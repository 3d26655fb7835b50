"""POST /org-units/import: csv and xlsx, all or nothing, a row-by-row report."""

import io

import httpx
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.hierarchy.models import OrgUnit
from tests.hierarchy.conftest import BASE, World, count_units, csv_bytes
from tests.support.problems import assert_problem

URL = f"{BASE}/import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _tree_rows() -> list[dict[str, str]]:
    """A small town; children come BEFORE their parents on purpose."""
    return [
        {"code": "IT-H1", "name": "1-101 中心户", "level": "household", "parent_code": "IT-B1"},
        {"code": "IT-B1", "name": "1号楼", "level": "楼栋", "parent_code": "IT-G1"},
        {
            "code": "IT-G1",
            "name": "幸福网格",
            "level": "grid",
            "parent_code": "IT-C1",
            "grid_kind": "街巷",
        },
        {"code": "IT-G2", "name": "物业党支部", "level": "grid", "parent_code": "IT-C1"},
        {
            "code": "IT-C1",
            "name": "幸福社区",
            "level": "community",
            "parent_code": "IT-T",
            "address": "幸福路 1 号",
            "contact_name": "赵六",
            "contact_phone": "138 1234 5678",
        },
        {"code": "IT-T", "name": "幸福镇", "level": "town"},
    ]


def _upload(content: bytes, name: str = "units.csv", media: str = "text/csv") -> dict[str, object]:
    return {"file": (name, content, media)}


def _xlsx(header: list[str], rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def _by_code(db: AsyncSession, code: str) -> OrgUnit:
    unit = await db.scalar(
        select(OrgUnit).where(OrgUnit.code == code).execution_options(populate_existing=True)
    )
    assert unit is not None, code
    return unit


class TestImportSucceeds:
    async def test_csv_with_forward_references(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        response = await client.post(
            URL, files=_upload(csv_bytes(_tree_rows())), headers=world["superuser"]
        )
        assert response.status_code == 201, response.text
        assert response.json() == {
            "created": 6,
            "by_level": {"town": 1, "community": 1, "grid": 2, "building": 1, "household": 1},
        }
        town, community, grid, building, household = [
            await _by_code(db, c) for c in ("IT-T", "IT-C1", "IT-G1", "IT-B1", "IT-H1")
        ]
        assert (
            household.town_id,
            household.community_id,
            household.grid_id,
            household.building_id,
            household.household_id,
        ) == (town.id, community.id, grid.id, building.id, household.id)
        assert household.parent_id == building.id and town.parent_id is None
        assert (grid.grid_kind, (await _by_code(db, "IT-G2")).grid_kind) == ("street", "compound")
        assert (community.contact_phone, community.address) == ("13812345678", "幸福路 1 号")

    async def test_one_audit_event_for_the_whole_file(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        before = await db.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("org_unit.%"))
        )
        await client.post(URL, files=_upload(csv_bytes(_tree_rows())), headers=world["superuser"])
        events = list(
            await db.scalars(select(AuditEvent).where(AuditEvent.action.like("org_unit.%")))
        )
        assert len(events) == (before or 0) + 1
        assert events[-1].action == "org_unit.import" and "6" in events[-1].summary

    async def test_under_an_existing_parent_in_scope(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        rows = [
            {
                "code": "IT-G9",
                "name": "新网格",
                "level": "grid",
                "parent_code": world.units["c1"].code,
            },
            {"code": "IT-B9", "name": "9号楼", "level": "building", "parent_code": "IT-G9"},
        ]
        response = await client.post(URL, files=_upload(csv_bytes(rows)), headers=world["admin"])
        assert response.status_code == 201, response.text
        building = await _by_code(db, "IT-B9")
        assert (building.town_id, building.community_id) == (world.id("town"), world.id("c1"))
        event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "org_unit.import"))
        assert event is not None and event.community_id == world.id("c1")

    async def test_xlsx_with_chinese_headers_and_numeric_cells(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        content = _xlsx(
            ["编码", "名称", "层级", "上级编码", "网格类型", "地址", "联系人", "联系电话"],
            [
                [
                    4419001,
                    "东城社区",
                    "社区",
                    world.units["town"].code,
                    None,
                    None,
                    "钱七",
                    13912345678,
                ],
                [4419001001, "东城一网格", "网格", 4419001, "小区", "东城路", None, None],
                [None, None, None, None, None, None, None, None],
            ],
        )
        response = await client.post(
            URL, files=_upload(content, "单位.xlsx", XLSX), headers=world["town_admin"]
        )
        assert response.status_code == 201, response.text
        grid = await _by_code(db, "4419001001")
        community = await _by_code(db, "4419001")
        assert (grid.parent_id, grid.grid_kind, grid.address) == (
            community.id,
            "compound",
            "东城路",
        )
        assert community.contact_phone == "13912345678"

    async def test_gb18030_csv_from_excel(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        content = "编码,名称,层级,上级编码\nGBK-1,国标网格,网格,{}\n".format(
            world.units["c1"].code
        ).encode("gb18030")
        response = await client.post(URL, files=_upload(content), headers=world["admin"])
        assert response.status_code == 201, response.text
        assert (await _by_code(db, "GBK-1")).name == "国标网格"


class TestImportRefused:
    async def test_nothing_written_and_each_row_reported(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        rows = [
            *_tree_rows(),
            {"code": "IT-B1", "name": "重复", "level": "building", "parent_code": "IT-G1"},
            {"code": "IT-X1", "name": "跳级", "level": "building", "parent_code": "IT-C1"},
            {"code": "IT-X2", "name": "孤儿", "level": "grid", "parent_code": "NOPE"},
            {
                "code": world.units["g1"].code,
                "name": "占用",
                "level": "grid",
                "parent_code": "IT-C1",
            },
            {"code": "IT-X3", "name": "", "level": "village", "contact_phone": "123"},
            {
                "code": "IT-X4",
                "name": "楼",
                "level": "building",
                "parent_code": "IT-G1",
                "grid_kind": "street",
            },
        ]
        before = await count_units(db)
        response = await client.post(
            URL, files=_upload(csv_bytes(rows)), headers=world["superuser"]
        )
        body = assert_problem(response, 422, "org_unit.import_invalid")
        reported = [(e["row"], e["column"], e["problem_code"]) for e in body["errors"]]
        assert reported == [
            (8, "code", "duplicate_code"),
            (9, "parent_code", "parent_level_mismatch"),
            (10, "parent_code", "parent_not_found"),
            (11, "code", "code_taken"),
            (12, "name", "required"),
            (12, "level", "invalid_level"),
            (12, "contact_phone", "invalid_phone"),
            (13, "grid_kind", "grid_kind_not_allowed"),
        ]
        assert body["error_count"] == 8
        assert all(e["message"] for e in body["errors"])
        assert await count_units(db) == before

    async def test_control_characters_in_cells(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        # The API's text rule (app.kit.types.Line) holds for imported cells too.
        rows = [
            {"code": "CC-1", "name": "幸福\x01网格", "level": "grid", "parent_code": "NOPE"},
            {"code": "CC-2", "name": "网格", "level": "grid", "address": "路\x1b[2J"},
        ]
        before = await count_units(db)
        response = await client.post(URL, files=_upload(csv_bytes(rows)), headers=world["admin"])
        body = assert_problem(response, 422, "org_unit.import_invalid")
        reported = {(e["row"], e["column"], e["problem_code"]) for e in body["errors"]}
        assert {(2, "name", "control_characters"), (3, "address", "control_characters")} <= (
            reported
        )
        assert await count_units(db) == before

    async def test_only_superusers_import_towns(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        response = await client.post(
            URL, files=_upload(csv_bytes(_tree_rows())), headers=world["town_admin"]
        )
        body = assert_problem(response, 422, "org_unit.import_invalid")
        assert [(e["row"], e["problem_code"]) for e in body["errors"]] == [(7, "town_not_allowed")]

    async def test_messages_in_english_on_request(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        rows = [{"code": "E-1", "name": "x", "level": "grid", "parent_code": "NOPE"}]
        response = await client.post(
            URL,
            files=_upload(csv_bytes(rows)),
            headers={**world["admin"], "Accept-Language": "en"},
        )
        (error,) = response.json()["errors"]
        assert error["message"] == "Parent code NOPE does not exist or is not yours to use"

    async def test_report_capped_but_counted(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        rows = [
            {"code": f"BAD-{i}", "name": "x", "level": "grid", "parent_code": "NOPE"}
            for i in range(1500)
        ]
        response = await client.post(URL, files=_upload(csv_bytes(rows)), headers=world["admin"])
        body = assert_problem(response, 422, "org_unit.import_invalid")
        assert body["error_count"] == 1500
        assert len(body["errors"]) == 1000
        assert body["errors"][0]["row"] == 2 and body["errors"][-1]["row"] == 1001

    async def test_missing_and_unknown_columns(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        missing = await client.post(URL, files=_upload(b"code,name\nA,B\n"), headers=world["admin"])
        body = assert_problem(missing, 422, "org_unit.import_invalid")
        assert [(e["row"], e["column"], e["problem_code"]) for e in body["errors"]] == [
            (1, "level", "missing_column")
        ]
        unknown = await client.post(
            URL, files=_upload(b"code,name,level,colour\n"), headers=world["admin"]
        )
        error = assert_problem(unknown, 422, "org_unit.import_invalid")["errors"][0]
        assert error["problem_code"] == "unknown_column" and "colour" in error["message"]

    async def test_empty_file_and_no_rows(self, client: httpx.AsyncClient, world: World) -> None:
        empty = await client.post(URL, files=_upload(b""), headers=world["admin"])
        assert (
            assert_problem(empty, 422, "org_unit.import_invalid")["errors"][0]["problem_code"]
            == "empty_file"
        )
        header_only = await client.post(
            URL, files=_upload(b"code,name,level\n"), headers=world["admin"]
        )
        assert (
            assert_problem(header_only, 422, "org_unit.import_invalid")["errors"][0]["problem_code"]
            == "no_rows"
        )

    async def test_broken_xlsx_is_unreadable(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(
            URL, files=_upload(b"not a zip", "x.xlsx", XLSX), headers=world["admin"]
        )
        body = assert_problem(response, 422, "org_unit.import_invalid")
        assert body["errors"][0]["problem_code"] == "unreadable"

    async def test_other_formats_415(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(
            URL, files=_upload(b"{}", "units.json", "application/json"), headers=world["admin"]
        )
        assert_problem(response, 415, "org_unit.import_unsupported_format")

    async def test_file_is_required(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.post(URL, headers=world["admin"])
        assert_problem(response, 422, "request.validation_failed")
