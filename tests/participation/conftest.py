"""A small world for the participation tests: the shared world's staff, and a party
member, a resident and a neighbour from the sibling community signed in as themselves."""

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.config import Settings
from app.people.models import Person
from tests.support.factory import make_member, make_person
from tests.support.world import World, build_world, callers

__all__ = ["World", "audit_events", "party_member", "world"]


async def audit_events(db: AsyncSession, action: str) -> list[AuditEvent]:
    rows = await db.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    )
    return list(rows)


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    staff = callers(
        without=("member", "resident", "auditor"),
        auditor=("auditor", "town"),
        department_staff=("department_staff", "town"),
    )
    world = await build_world(db, settings, staff)
    units = world.units
    # A party member living at h1 whose branch is g1, signed in as ``member`` at g1.
    member = await make_person(db, units["h1"], name="张党员", mobile="13800000001")
    await make_member(db, member, units["g1"])
    # A resident of h1 (no membership), and one of the sibling community c2.
    resident = await make_person(db, units["h1"], name="李居民", mobile="13800000002")
    stranger = await make_person(db, units["b2"], name="王邻居", mobile="13800000003")
    for name, person, role, unit in (
        ("member", member, "member", "g1"),
        ("resident", resident, "resident", "h1"),
        ("stranger", stranger, "resident", "b2"),
    ):
        world.people[name] = person
        await world.sign_up(db, settings, name, (role, units[unit]), person_id=person.id)
    await world.sign_up(db, settings, "nobody")
    return world


async def party_member(
    db: AsyncSession, world: World, home: str = "h1", branch: str = "g1"
) -> Person:
    person = await make_person(db, world.unit(home))
    await make_member(db, person, world.unit(branch))
    return person
