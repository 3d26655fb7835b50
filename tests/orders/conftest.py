"""A small world for the order tests: the factory tree, one caller per role, helpers."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.integrations.models import OutboxEvent
from app.orders.models import (
    Department,
    DepartmentMember,
    ServiceOrder,
    ServiceOrderEvent,
    VolunteerTeam,
    VolunteerTeamMember,
)
from tests.support import world as support_world
from tests.support.factory import make_member, make_person
from tests.support.world import World as BaseWorld

URL = "/api/v1/orders"


@dataclass
class World(BaseWorld):
    department: Department | None = None
    other_department: Department | None = None
    team: VolunteerTeam | None = None


STAFF = {
    "admin": ("community_admin", "c1"),  # has pii
    "dispatcher": ("dispatcher", "c1"),
    "sibling_dispatcher": ("dispatcher", "c2"),
    "town_dispatcher": ("dispatcher", "town"),
    "grid_worker": ("grid_worker", "g1"),
    "auditor": ("auditor", "c1"),
}


async def _member_account(
    db: AsyncSession, settings: Settings, world: World, key: str, home: OrgUnit, branch: OrgUnit
) -> None:
    person = await make_person(db, home, name=f"党员{key}", mobile="13900000000")
    await make_member(db, person, branch)
    community = world.units["c1"] if branch.community_id == world.units["c1"].id else branch
    await world.sign_up(db, settings, key, ("member", community), person_id=person.id)
    world.people[key] = person


async def build_world(db: AsyncSession, settings: Settings) -> World:
    world = await support_world.build_world(db, settings, STAFF, kind=World)
    units = world.units
    for key, home in (("resident", "h1"), ("neighbour", "b1"), ("far_resident", "b2")):
        person = await make_person(db, units[home], mobile="13812345678")
        await world.sign_up(db, settings, key, ("resident", units[home]), person_id=person.id)
        world.people[key] = person
    await _member_account(db, settings, world, "member", units["b1"], units["g1"])
    await _member_account(db, settings, world, "member2", units["b1"], units["g1"])
    await _member_account(db, settings, world, "far_member", units["b2"], units["g2"])
    await _departments(db, settings, world)
    await db.flush()
    return world


async def _departments(db: AsyncSession, settings: Settings, world: World) -> None:
    units = world.units
    world.department = Department(town_id=units["town"].id, code="T-CG", name="城管")
    world.other_department = Department(
        town_id=units["other_town"].id, code="O-CG", name="西湖城管"
    )
    world.team = VolunteerTeam(
        org_unit_id=units["g1"].id,
        name="红星志愿队",
        town_id=units["town"].id,
        community_id=units["c1"].id,
        grid_id=units["g1"].id,
    )
    db.add_all([world.department, world.other_department, world.team])
    await db.flush()
    db.add(VolunteerTeamMember(team_id=world.team.id, person_id=world.people["member2"].id))
    staff = await world.sign_up(db, settings, "department", ("department_staff", units["town"]))
    await world.sign_up(db, settings, "outsider_department", ("department_staff", units["town"]))
    db.add(DepartmentMember(department_id=world.department.id, user_id=staff.id))


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    return await build_world(db, settings)


# ---------------------------------------------------------------- driving orders over HTTP


async def submit(
    client: httpx.AsyncClient, world: World, who: str = "resident", **fields: Any
) -> dict[str, Any]:
    body = {
        "category": "repair",
        "title": "楼道灯不亮",
        "description": "坏了一周",
        "channel": "app",
    }
    response = await client.post(URL, json=body | fields, headers=world[who])
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def step(
    client: httpx.AsyncClient,
    world: World,
    who: str,
    order_id: int,
    name: str,
    body: dict[str, Any] | None = None,
    **headers: str,
) -> httpx.Response:
    return await client.post(f"{URL}/{order_id}/{name}", json=body, headers=world[who] | headers)


async def ok(
    client: httpx.AsyncClient,
    world: World,
    who: str,
    order_id: int,
    name: str,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    response = await step(client, world, who, order_id, name, body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


ROUTES: dict[str, list[tuple[str, str, dict[str, Any] | None]]] = {
    "submitted": [],
    "triaged": [("dispatcher", "triage", {"priority": 2})],
    "pooled": [("dispatcher", "triage", {}), ("dispatcher", "pool", None)],
    "dispatched": [("dispatcher", "triage", {}), ("dispatcher", "dispatch", None)],
    "in_progress": [
        ("dispatcher", "triage", {}),
        ("dispatcher", "dispatch", None),
        ("member", "accept", None),
    ],
    "resolved": [
        ("dispatcher", "triage", {}),
        ("dispatcher", "dispatch", None),
        ("member", "accept", None),
        ("member", "resolve", {"result": "已修好"}),
    ],
    "closed": [
        ("dispatcher", "triage", {}),
        ("dispatcher", "dispatch", None),
        ("member", "accept", None),
        ("member", "resolve", {"result": "已修好"}),
        ("resident", "feedback", {"resolved": "yes", "satisfied": "satisfied"}),
    ],
}


async def order_in(
    client: httpx.AsyncClient, world: World, status: str, **fields: Any
) -> dict[str, Any]:
    """A resident's order at h1, driven over HTTP to ``status`` (dispatches go to member)."""
    order = await submit(client, world, **fields)
    for who, name, body in ROUTES[status]:
        if name == "dispatch":
            body = {"kind": "member", "member_person_id": world.person("member").id}
        order = await ok(client, world, who, order["id"], name, body)
    assert order["status"] == status
    return order


# ---------------------------------------------------------------- reading the database


async def load_order(db: AsyncSession, order_id: int) -> ServiceOrder:
    row = await db.execute(
        select(ServiceOrder)
        .where(ServiceOrder.id == order_id)
        .execution_options(populate_existing=True)
    )
    return row.scalar_one()


async def event_count(db: AsyncSession, order_id: int) -> int:
    query = select(func.count()).where(ServiceOrderEvent.order_id == order_id)
    return int(await db.scalar(query) or 0)


async def outbox(db: AsyncSession, order_id: int) -> list[OutboxEvent]:
    rows = await db.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.aggregate_type == "order", OutboxEvent.aggregate_id == str(order_id))
        .order_by(OutboxEvent.id)
    )
    return list(rows)


async def snapshot(db: AsyncSession, order_id: int) -> tuple[str, int, int, int]:
    """Status, version, history length and outbox length: what an illegal step must not move."""
    order = await load_order(db, order_id)
    return (
        order.status,
        order.version,
        await event_count(db, order_id),
        len(await outbox(db, order_id)),
    )


def aware(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
