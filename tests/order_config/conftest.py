"""A small world for the order-configuration tests: the factory tree and one caller per role."""

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.config import Settings
from tests.support.world import World, build_world, callers


async def audit_events(db: AsyncSession, action: str) -> list[AuditEvent]:
    rows = await db.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    )
    return list(rows)


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    # town_dispatcher: orders.read without orders.config, at the town
    more = {
        "town_dispatcher": ("dispatcher", "town"),
        "department_staff": ("department_staff", "town"),
    }
    world = await build_world(db, settings, callers(**more))
    # Signed in, but without any orders permission.
    await world.sign_up(db, settings, "nobody")
    return world
