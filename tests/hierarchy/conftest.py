"""The factory tree and one caller per role for the org-unit tests."""

import csv
import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.hierarchy.models import OrgUnit
from tests.support.factory import make_tree, make_unit
from tests.support.world import World, build_world

BASE = "/api/v1/org-units"
COLUMNS = (
    "code",
    "name",
    "level",
    "parent_code",
    "grid_kind",
    "address",
    "contact_name",
    "contact_phone",
)


def if_match(version: int) -> dict[str, str]:
    return {"If-Match": f'W/"{version}"'}


def csv_bytes(rows: list[dict[str, str]], header: tuple[str, ...] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in COLUMNS])
    return out.getvalue().encode()


async def count_units(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(OrgUnit)) or 0)


async def reload(db: AsyncSession, unit_id: int) -> OrgUnit:
    """The row as the database holds it now (the test session's copy may be stale)."""
    unit = await db.get(OrgUnit, unit_id, populate_existing=True)
    assert unit is not None
    return unit


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    """The factory tree (石龙镇 with c1 and c2, 西湖镇 with oc), plus a second grid in c1
    and an archived household, and a caller per role."""
    units = await make_tree(db)
    units["g1b"] = await make_unit(db, "grid", units["c1"], name="红星二网格", grid_kind="street")
    units["h_archived"] = await make_unit(db, "household", units["b1"], is_archived=True)
    return await build_world(db, settings, units=units, anonymous="anonymous")
