"""Builders for test data: org units with their ancestor ids, users with grants, tokens,
people and orders placed at a unit."""

import itertools
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.models import RoleGrant
from app.authz.tokens import issue_access_token
from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.kit.hashing import hash_password
from app.users.models import UserAccount

if TYPE_CHECKING:
    from app.orders.models import ServiceOrder
    from app.people.models import PartyMember, Person

_counter = itertools.count(1)
PASSWORD = "Test!pass123"
_PASSWORD_HASH: str | None = None
PARENT_LEVEL = {
    "community": "town",
    "grid": "community",
    "building": "grid",
    "household": "building",
}
LEVEL_COLUMN = {
    "town": "town_id",
    "community": "community_id",
    "grid": "grid_id",
    "building": "building_id",
    "household": "household_id",
}


def place_of(unit: OrgUnit) -> dict[str, int | None]:
    """The ancestor ids of a row placed at ``unit`` (its own included)."""
    return {column: getattr(unit, column) for column in LEVEL_COLUMN.values()}


async def make_unit(
    db: AsyncSession,
    level: str,
    parent: OrgUnit | None = None,
    *,
    name: str | None = None,
    code: str | None = None,
    **fields: object,
) -> OrgUnit:
    n = next(_counter)
    unit = OrgUnit(
        level=level,
        name=name or f"{level}-{n}",
        code=code or f"T{level[:2].upper()}{n:06d}",
        parent_id=parent.id if parent else None,
        town_id=0,
        **fields,
    )
    if parent is not None:
        for column in LEVEL_COLUMN.values():
            setattr(unit, column, getattr(parent, column))
    db.add(unit)
    await db.flush()
    setattr(unit, LEVEL_COLUMN[level], unit.id)
    await db.flush()
    return unit


async def make_tree(db: AsyncSession) -> dict[str, OrgUnit]:
    """Two towns; the first with two communities, each down to a household."""
    town = await make_unit(db, "town", name="石龙镇")
    c1 = await make_unit(db, "community", town, name="红星社区")
    g1 = await make_unit(db, "grid", c1, name="红星一网格", grid_kind="compound")
    b1 = await make_unit(db, "building", g1, name="1号楼")
    h1 = await make_unit(db, "household", b1, name="1-101 中心户")
    c2 = await make_unit(db, "community", town, name="东方社区")
    g2 = await make_unit(db, "grid", c2, name="东方一网格", grid_kind="street")
    b2 = await make_unit(db, "building", g2, name="2号楼")
    other_town = await make_unit(db, "town", name="西湖镇")
    oc = await make_unit(db, "community", other_town, name="西湖社区")
    return {
        "town": town,
        "c1": c1,
        "g1": g1,
        "b1": b1,
        "h1": h1,
        "c2": c2,
        "g2": g2,
        "b2": b2,
        "other_town": other_town,
        "oc": oc,
    }


async def make_user(
    db: AsyncSession,
    *grants: tuple[str, OrgUnit],
    superuser: bool = False,
    username: str | None = None,
    person_id: int | None = None,
) -> UserAccount:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = hash_password(PASSWORD)
    n = next(_counter)
    account = UserAccount(
        username=username or f"user{n}",
        display_name=f"用户{n}",
        password_hash=_PASSWORD_HASH,
        is_superuser=superuser,
        person_id=person_id,
    )
    db.add(account)
    await db.flush()
    for role, unit in grants:
        db.add(RoleGrant(user_id=account.id, role=role, org_unit_id=unit.id))
    await db.flush()
    return account


def bearer(settings: Settings, user: UserAccount) -> dict[str, str]:
    token, _ = issue_access_token(settings, f"user:{user.id}", version=1)
    return {"Authorization": f"Bearer {token}"}


async def make_person(
    db: AsyncSession, home: OrgUnit, *, name: str | None = None, mobile: str | None = None
) -> "Person":
    """A person living at ``home`` (a household or building), without an ID number."""
    from app.people.models import Person

    n = next(_counter)
    person = Person(name=name or f"居民{n}", mobile=mobile, home_unit_id=home.id, **place_of(home))
    db.add(person)
    await db.flush()
    return person


async def make_member(db: AsyncSession, person: "Person", branch: OrgUnit) -> "PartyMember":
    """A party membership of ``person`` held by the grid-level ``branch``."""
    from datetime import date

    from app.people.models import PartyMember

    member = PartyMember(
        person_id=person.id,
        branch_id=branch.id,
        join_date=date(2010, 7, 1),
        town_id=branch.town_id,
        community_id=branch.community_id,
        grid_id=branch.grid_id,
    )
    db.add(member)
    await db.flush()
    return member


async def make_order(db: AsyncSession, place: OrgUnit, **fields: Any) -> "ServiceOrder":
    """An order written as a row at ``place``, not through the API: a repair received
    now, unless ``fields`` say otherwise."""
    from app.orders.models import ServiceOrder

    values: dict[str, Any] = {
        "number": f"GDTEST-{uuid.uuid4().hex[:16]}",
        "status": "submitted",
        "category": "repair",
        "channel": "app",
        "title": "楼道灯不亮",
        "description": "三楼楼道灯坏了",
        "received_at": datetime.now(UTC),
    }
    order = ServiceOrder(location_unit_id=place.id, **place_of(place), **(values | fields))
    db.add(order)
    await db.flush()
    return order


async def make_resident_user(
    db: AsyncSession, home: OrgUnit, *, role: str = "resident"
) -> tuple[UserAccount, "Person"]:
    """A person at ``home`` with an account holding ``role`` at that node."""
    person = await make_person(db, home)
    user = await make_user(db, (role, home), person_id=person.id)
    return user, person
