"""The governance tests' world: the shared world's staff (tests/support/world.py), and
members and residents living in households of compound g1 (and one of g2)."""

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.config import Settings
from app.hierarchy.models import OrgUnit
from tests.support.factory import make_member, make_person
from tests.support.problems import assert_problem
from tests.support.world import World, build_world, callers

__all__ = ["World", "assert_problem", "audit_events", "created", "ok"]


async def audit_events(db: AsyncSession, action: str) -> list[AuditEvent]:
    rows = await db.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    )
    return list(rows)


STAFF = callers(
    without=("member", "resident"),
    # governance.read over the whole town (the joint-meeting report of the town)
    auditor=("auditor", "town"),
)
"""admin: governance.manage and pii over c1; dispatcher: governance.read over c1."""


async def _person_account(
    db: AsyncSession,
    settings: Settings,
    world: World,
    key: str,
    home: OrgUnit,
    role: str,
    *,
    member_of: OrgUnit | None = None,
    room: str | None = None,
) -> None:
    person = await make_person(db, home, name=f"人员{key}", mobile="13812345678")
    person.address_room = room
    if member_of is not None:
        await make_member(db, person, member_of)
    await world.sign_up(db, settings, key, (role, home), person_id=person.id)
    world.people[key] = person


async def build_governance_world(db: AsyncSession, settings: Settings) -> World:
    world = await build_world(db, settings, STAFF)
    await world.sign_up(db, settings, "nobody")
    units = world.units
    g1 = units["g1"]
    # Households of compound g1: the 中心户 node h1, and rooms 101 / 102 of building b1.
    await _person_account(db, settings, world, "resident", units["h1"], "resident")
    await _person_account(db, settings, world, "housemate", units["h1"], "resident")
    await _person_account(db, settings, world, "neighbour", units["b1"], "resident", room="101")
    await _person_account(
        db, settings, world, "member", units["b1"], "member", member_of=g1, room="102"
    )
    await _person_account(db, settings, world, "member2", units["b1"], "member", member_of=g1)
    await _person_account(db, settings, world, "far_resident", units["b2"], "resident", room="9")
    await _person_account(
        db, settings, world, "far_member", units["b2"], "member", member_of=units["g2"]
    )
    await db.flush()
    return world


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    return await build_governance_world(db, settings)


async def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
