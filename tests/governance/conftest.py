"""A small world for the governance tests: the factory tree (g1 a compound of c1), staff
of each kind, members and residents living in households of g1, and helpers."""

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.people.models import Person
from app.users.models import UserAccount
from tests.support.factory import bearer, make_member, make_person, make_tree, make_user

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


async def audit_events(db: AsyncSession, action: str) -> list[AuditEvent]:
    rows = await db.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    )
    return list(rows)


@dataclass
class World:
    units: dict[str, OrgUnit]
    headers: dict[str, dict[str, str]]
    people: dict[str, Person] = field(default_factory=dict)
    users: dict[str, UserAccount] = field(default_factory=dict)

    def __getitem__(self, caller: str) -> dict[str, str]:
        return self.headers[caller]

    def unit(self, key: str) -> OrgUnit:
        return self.units[key]

    def person(self, key: str) -> Person:
        return self.people[key]


STAFF = {
    "town_admin": ("town_admin", "town"),
    "admin": ("community_admin", "c1"),  # governance.manage + pii over c1
    "sibling": ("community_admin", "c2"),
    "other_town_admin": ("town_admin", "other_town"),
    "dispatcher": ("dispatcher", "c1"),  # governance.read, no pii
    "auditor": ("auditor", "town"),
}


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
    user = await make_user(db, (role, home), person_id=person.id)
    world.people[key], world.users[key] = person, user
    world.headers[key] = bearer(settings, user)


async def build_world(db: AsyncSession, settings: Settings) -> World:
    units = await make_tree(db)
    world = World(units=units, headers={})
    for name, (role, unit) in STAFF.items():
        world.users[name] = await make_user(db, (role, units[unit]))
        world.headers[name] = bearer(settings, world.users[name])
    world.users["superuser"] = await make_user(db, superuser=True)
    world.headers["superuser"] = bearer(settings, world.users["superuser"])
    world.users["nobody"] = await make_user(db)
    world.headers["nobody"] = bearer(settings, world.users["nobody"])
    world.headers["none"] = {}
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
    return await build_world(db, settings)


async def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
