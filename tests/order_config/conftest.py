"""A small world for the order-configuration tests: the factory tree and one caller per role."""

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.users.models import UserAccount
from tests.support.factory import bearer, make_tree, make_user


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

    def __getitem__(self, caller: str) -> dict[str, str]:
        return self.headers[caller]

    def unit(self, key: str) -> OrgUnit:
        return self.units[key]


CALLERS = {
    # orders.config (and orders.read) at a town: may change global data too
    "town_admin": ("town_admin", "town"),
    "other_town_admin": ("town_admin", "other_town"),
    # orders.read without orders.config, at the town
    "town_dispatcher": ("dispatcher", "town"),
    # orders.config at a community: its subtree, not global data
    "admin": ("community_admin", "c1"),
    "sibling": ("community_admin", "c2"),
    # orders.read + orders.dispatch, no orders.config
    "dispatcher": ("dispatcher", "c1"),
    # orders.work / orders.submit / orders.department only
    "member": ("member", "c1"),
    "resident": ("resident", "h1"),
    "department_staff": ("department_staff", "town"),
}


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    units = await make_tree(db)
    headers: dict[str, dict[str, str]] = {}
    users: dict[str, UserAccount] = {}
    for name, (role, unit_key) in CALLERS.items():
        users[name] = await make_user(db, (role, units[unit_key]))
        headers[name] = bearer(settings, users[name])
    users["superuser"] = await make_user(db, superuser=True)
    headers["superuser"] = bearer(settings, users["superuser"])
    # Signed in, but without any orders permission.
    users["nobody"] = await make_user(db)
    headers["nobody"] = bearer(settings, users["nobody"])
    headers["none"] = {}
    return World(units=units, headers=headers, users=users)
