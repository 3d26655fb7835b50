"""A small world for the ledger tests: the factory tree, members, one caller per
role, closed orders, and helpers that read the ledger back."""

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.orders.models import ServiceOrder
from app.people.models import Person
from app.points.models import PointsAccount, PointsPosting, PointsTransaction
from app.users.models import UserAccount
from tests.support.factory import bearer, make_person, make_tree, make_unit, make_user

API = "/api/v1/points"
_numbers = itertools.count(1)


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


@dataclass
class World:
    units: dict[str, OrgUnit]
    people: dict[str, Person]
    users: dict[str, UserAccount]
    headers: dict[str, dict[str, str]]

    def __getitem__(self, caller: str) -> dict[str, str]:
        return self.headers[caller]

    def with_key(self, caller: str) -> dict[str, str]:
        return {**self.headers[caller], **key()}


async def build_world(db: AsyncSession, settings: Settings) -> World:
    units = await make_tree(db)
    units["og"] = await make_unit(db, "grid", units["oc"], grid_kind="compound")
    units["ob"] = await make_unit(db, "building", units["og"])
    people = {
        "p1": await make_person(db, units["h1"], name="张三丰"),
        "p2": await make_person(db, units["b2"], name="李四"),
        "p3": await make_person(db, units["ob"], name="王五"),
        "p4": await make_person(db, units["b1"], name="赵六"),
    }
    users = {
        "superuser": await make_user(db, superuser=True),
        "town_admin": await make_user(db, ("town_admin", units["town"])),
        "community_admin": await make_user(db, ("community_admin", units["c1"])),
        "grid_worker": await make_user(db, ("grid_worker", units["g1"])),
        "dispatcher": await make_user(db, ("dispatcher", units["c1"])),
        "other_admin": await make_user(db, ("town_admin", units["other_town"])),
        "member": await make_user(db, ("member", units["h1"]), person_id=people["p1"].id),
        "resident": await make_user(db, ("resident", units["b2"]), person_id=people["p2"].id),
        "unlinked": await make_user(db, ("resident", units["b2"])),
    }
    headers = {name: bearer(settings, user) for name, user in users.items()}
    return World(units=units, people=people, users=users, headers=headers)


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
    order = ServiceOrder(
        number=f"GDTEST-{uuid.uuid4().hex[:10]}-{next(_numbers)}",
        status=status,
        category=category,
        channel="app",
        title="楼道灯不亮",
        description="三楼楼道灯坏了",
        location_unit_id=place.id,
        assignee_kind=assignee_kind,
        assignee_person_id=None if assignee is None else assignee.id,
        feedback_resolved=resolved,
        feedback_satisfaction=satisfaction,
        received_at=now,
        resolved_at=now,
        closed_at=now if status == "closed" else None,
        town_id=place.town_id,
        community_id=place.community_id,
        grid_id=place.grid_id,
        building_id=place.building_id,
        household_id=place.household_id,
    )
    db.add(order)
    await db.flush()
    return order


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
