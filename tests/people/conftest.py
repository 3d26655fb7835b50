"""A small world for the people tests: the factory tree, one caller per role, helpers."""

import itertools
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.kit.idcard import make_id_number
from tests.support.world import World, build_world

_seq = itertools.count(100)


def id_number(birth: date = date(1990, 3, 7), region: str = "110101") -> str:
    """A valid, distinct ID number (GB 11643 check character computed)."""
    return make_id_number(region, birth, f"{next(_seq) % 1000:03d}")


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    return await build_world(db, settings)


async def create_person(
    client: httpx.AsyncClient, headers: dict[str, str], home: OrgUnit, **fields: Any
) -> dict[str, Any]:
    body = {"name": "张三", "home_unit_id": home.id, **fields}
    response = await client.post("/api/v1/people", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def create_member(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    person_id: int,
    branch: OrgUnit,
    **fields: Any,
) -> dict[str, Any]:
    body = {"person_id": person_id, "branch_id": branch.id, "join_date": "2008-07-01", **fields}
    response = await client.post("/api/v1/members", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result
