"""The orders' world (residents, members, a team, a department, staff around c1):
notifications are mostly about orders."""

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.orders.conftest import World, build_world


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    return await build_world(db, settings)
