"""GET /org-units/export, and the round trip export → import."""

import csv
import io

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.hierarchy.models import OrgUnit
from tests.hierarchy.conftest import BASE, COLUMNS, World
from tests.support.factory import make_unit
from tests.support.problems import assert_problem

URL = f"{BASE}/export"


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _xlsx_rows(content: bytes) -> list[dict[str, str]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [
        {h: ("" if v is None else str(v)) for h, v in zip(header, row, strict=False)}
        for row in rows
    ]


async def _snapshot(db: AsyncSession, town_id: int) -> set[tuple[object, ...]]:
    """Every node of a town as (code, name, level, parent's code, kind, address, contact)."""
    parent = OrgUnit.__table__.alias("parent")
    rows = await db.execute(
        select(
            OrgUnit.code,
            OrgUnit.name,
            OrgUnit.level,
            parent.c.code,
            OrgUnit.grid_kind,
            OrgUnit.address,
            OrgUnit.contact_name,
            OrgUnit.contact_phone,
        )
        .outerjoin(parent, parent.c.id == OrgUnit.parent_id)
        .where(OrgUnit.town_id == town_id)
    )
    return {tuple(row) for row in rows}


async def _detailed_town(db: AsyncSession) -> OrgUnit:
    town = await make_unit(db, "town", name="往返镇", address="往返路 1 号")
    for c in range(2):
        community = await make_unit(
            db, "community", town, name=f"社区{c}", contact_name="孙八", contact_phone="13700000000"
        )
        for g, kind in enumerate(("compound", "functional")):
            grid = await make_unit(db, "grid", community, name=f"网格{c}{g}", grid_kind=kind)
            building = await make_unit(
                db, "building", grid, name="1号楼", contact_phone="0769-2212345"
            )
            await make_unit(db, "household", building, name="1-101")
    return town


class TestExport:
    async def test_csv_lists_parents_before_children(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(URL, params={"root_id": world.id("c1")}, headers=world["admin"])
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        rows = _csv_rows(response.content)
        assert tuple(rows[0]) == COLUMNS
        codes = [row["code"] for row in rows]
        units = world.units
        assert codes == [units[k].code for k in ("c1", "g1", "g1b", "b1", "h1")]
        assert rows[0]["parent_code"] == units["town"].code
        assert rows[4]["parent_code"] == units["b1"].code
        assert rows[1]["grid_kind"] == "compound" and rows[0]["grid_kind"] == ""

    async def test_everything_visible_without_root(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(URL, headers=world["sibling"])
        codes = {row["code"] for row in _csv_rows(response.content)}
        assert codes == {world.units[k].code for k in ("c2", "g2", "b2")}

    async def test_phones_masked_without_pii(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        await make_unit(db, "building", world.units["g1"], contact_phone="13812345678")
        masked = await client.get(URL, params={"root_id": world.id("g1")}, headers=world["member"])
        plain = await client.get(URL, params={"root_id": world.id("g1")}, headers=world["admin"])
        assert "138****5678" in [r["contact_phone"] for r in _csv_rows(masked.content)]
        assert "13812345678" in [r["contact_phone"] for r in _csv_rows(plain.content)]

    async def test_xlsx(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(
            URL, params={"root_id": world.id("g1"), "format": "xlsx"}, headers=world["admin"]
        )
        assert response.status_code == 200
        rows = _xlsx_rows(response.content)
        assert [r["code"] for r in rows] == [world.units[k].code for k in ("g1", "b1", "h1")]

    async def test_unknown_format_422(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(URL, params={"format": "pdf"}, headers=world["admin"])
        assert_problem(response, 422, "request.validation_failed")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_round_trip_into_an_empty_town(
    client: httpx.AsyncClient, db: AsyncSession, world: World, fmt: str
) -> None:
    """Export a town, delete it, import the file: the same tree comes back."""
    town = await _detailed_town(db)
    before = await _snapshot(db, town.id)
    exported = await client.get(
        URL, params={"root_id": town.id, "format": fmt}, headers=world["superuser"]
    )
    assert exported.status_code == 200, exported.text
    await db.execute(delete(OrgUnit).where(OrgUnit.town_id == town.id))
    assert await _snapshot(db, town.id) == set()

    media = exported.headers["content-type"]
    imported = await client.post(
        f"{BASE}/import",
        files={"file": (f"export.{fmt}", exported.content, media)},
        headers=world["superuser"],
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["created"] == len(before) == 15
    new_town = await db.scalar(select(OrgUnit).where(OrgUnit.code == town.code))
    assert new_town is not None and new_town.id != town.id
    assert await _snapshot(db, new_town.id) == before
