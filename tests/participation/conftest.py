"""A small world for the participation tests: the factory tree, staff of every role,
a party member and a resident with their own accounts."""

from dataclasses import dataclass
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
    users: dict[str, UserAccount]
    people: dict[str, Person]

    def __getitem__(self, caller: str) -> dict[str, str]:
        return self.headers[caller]

    def unit(self, key: str) -> OrgUnit:
        return self.units[key]


STAFF = {
    "town_admin": ("town_admin", "town"),
    "other_town_admin": ("town_admin", "other_town"),
    "admin": ("community_admin", "c1"),
    "sibling": ("community_admin", "c2"),
    "dispatcher": ("dispatcher", "c1"),
    "grid_worker": ("grid_worker", "g1"),
    "auditor": ("auditor", "town"),
    "department_staff": ("department_staff", "town"),
}


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    units = await make_tree(db)
    headers: dict[str, dict[str, str]] = {}
    users: dict[str, UserAccount] = {}
    people: dict[str, Person] = {}
    for name, (role, unit_key) in STAFF.items():
        users[name] = await make_user(db, (role, units[unit_key]))
    # A party member living at h1 whose branch is g1, signed in as ``member`` at g1.
    people["member"] = await make_person(db, units["h1"], name="张党员", mobile="13800000001")
    await make_member(db, people["member"], units["g1"])
    users["member"] = await make_user(db, ("member", units["g1"]), person_id=people["member"].id)
    # A resident of h1 (no membership), signed in as ``resident`` at h1.
    people["resident"] = await make_person(db, units["h1"], name="李居民", mobile="13800000002")
    users["resident"] = await make_user(
        db, ("resident", units["h1"]), person_id=people["resident"].id
    )
    # A resident of the sibling community c2.
    people["stranger"] = await make_person(db, units["b2"], name="王邻居", mobile="13800000003")
    users["stranger"] = await make_user(
        db, ("resident", units["b2"]), person_id=people["stranger"].id
    )
    users["superuser"] = await make_user(db, superuser=True)
    users["nobody"] = await make_user(db)
    for name, user in users.items():
        headers[name] = bearer(settings, user)
    headers["none"] = {}
    return World(units=units, headers=headers, users=users, people=people)


async def party_member(
    db: AsyncSession, world: World, home: str = "h1", branch: str = "g1"
) -> Person:
    person = await make_person(db, world.unit(home))
    await make_member(db, person, world.unit(branch))
    return person
