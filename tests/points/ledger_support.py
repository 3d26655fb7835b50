"""A small world for the ledger tests: the factory tree, members, one caller per
role, closed orders, and helpers that read the ledger back."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.orders.models import ServiceOrder
from app.people.models import Person
from app.points.models import PointsAccount, PointsPosting, PointsTransaction
from tests.support import world as support_world
from tests.support.factory import make_order, make_person, make_tree, make_unit
from tests.support.world import World as BaseWorld
from tests.support.world import callers

API = "/api/v1/points"


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


class World(BaseWorld):
    def with_key(self, caller: str) -> dict[str, str]:
        return {**self.headers[caller], **key()}


async def build_world(db: AsyncSession, settings: Settings) -> World:
    units = await make_tree(db)
    units["og"] = await make_unit(db, "grid", units["oc"], grid_kind="compound")
    units["ob"] = await make_unit(db, "building", units["og"])
    world = await support_world.build_world(
        db, settings, callers(without=("member", "resident")), kind=World, units=units
    )
    world.people = {
        "p1": await make_person(db, units["h1"], name="张三丰"),
        "p2": await make_person(db, units["b2"], name="李四"),
        "p3": await make_person(db, units["ob"], name="王五"),
        "p4": await make_person(db, units["b1"], name="赵六"),
    }
    for name, grant, person in (
        ("member", ("member", units["h1"]), "p1"),
        ("resident", ("resident", units["b2"]), "p2"),
        ("unlinked", ("resident", units["b2"]), None),
    ):
        person_id = world.people[person].id if person else None
        await world.sign_up(db, settings, name, grant, person_id=person_id)
    return world


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    return await build_world(db, settings)


async def make_closed_order(
    db: AsyncSession,
    place: OrgUnit,
    *,
    assignee: Person | None,
    category: str = "repair",
    resolved: str | None = "yes",
    satisfaction: str | None = "satisfied",
    assignee_kind: str = "member",
    status: str = "closed",
) -> ServiceOrder:
    now = datetime.now(UTC)
    return await make_order(
        db,
        place,
        status=status,
        category=category,
        assignee_kind=assignee_kind,
        assignee_person_id=None if assignee is None else assignee.id,
        feedback_resolved=resolved,
        feedback_satisfaction=satisfaction,
        received_at=now,
        resolved_at=now,
        closed_at=now if status == "closed" else None,
    )


async def balance_of(db: AsyncSession, person_id: int) -> int:
    value = await db.scalar(
        select(PointsAccount.balance).where(
            PointsAccount.person_id == person_id, PointsAccount.kind == "member"
        )
    )
    return int(value or 0)


async def posting_sum_of(db: AsyncSession, person_id: int) -> int:
    value = await db.scalar(
        select(func.coalesce(func.sum(PointsPosting.amount), 0))
        .join(PointsAccount, PointsAccount.id == PointsPosting.account_id)
        .where(PointsAccount.person_id == person_id)
    )
    return int(value or 0)


async def transactions_with_key(db: AsyncSession, txn_key: str) -> list[PointsTransaction]:
    rows = await db.scalars(select(PointsTransaction).where(PointsTransaction.txn_key == txn_key))
    return list(rows.all())
