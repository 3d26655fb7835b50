"""A small world for the people tests: the factory tree, one caller per role, helpers."""

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.kit.idcard import make_id_number
from tests.support.factory import bearer, make_tree, make_user

_seq = itertools.count(100)


def id_number(birth: date = date(1990, 3, 7), region: str = "110101") -> str:
    """A valid, distinct ID number (GB 11643 check character computed)."""
    return make_id_number(region, birth, f"{next(_seq) % 1000:03d}")


@dataclass
class World:
    units: dict[str, OrgUnit]
    headers: dict[str, dict[str, str]]

    def __getitem__(self, role: str) -> dict[str, str]:
        return self.headers[role]

    def unit(self, key: str) -> OrgUnit:
        return self.units[key]


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    units = await make_tree(db)
    callers = {
        # pii + people.* + members.* over community c1
        "admin": ("community_admin", units["c1"]),
        # the same, over the sibling community c2
        "sibling": ("community_admin", units["c2"]),
        "town_admin": ("town_admin", units["town"]),
        "other_town_admin": ("town_admin", units["other_town"]),
        # people.read and members.read, no pii
        "dispatcher": ("dispatcher", units["c1"]),
        # people.read/write, members.read, no pii
        "grid_worker": ("grid_worker", units["g1"]),
        # too weak: org.read only / nothing
        "member": ("member", units["c1"]),
        "resident": ("resident", units["h1"]),
    }
    headers = {}
    for name, grant in callers.items():
        headers[name] = bearer(settings, await make_user(db, grant))
    headers["superuser"] = bearer(settings, await make_user(db, superuser=True))
    headers["none"] = {}
    return World(units=units, headers=headers)


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
