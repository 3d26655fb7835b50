import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.users.helpers import World, make_world


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    return await make_world(db, settings)
