from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.main import create_app
from tests.conftest import make_settings
from tests.support.fake_wechat import FakeWechat
from tests.users.helpers import World, make_world

WECHAT_APPS = {"wx_resident_app": "resident-secret", "wx_member_app": "member-secret"}


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    return await make_world(db, settings)


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[FakeWechat]:
    server = FakeWechat(apps=dict(WECHAT_APPS)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def wechat_app(fake_wechat: FakeWechat, database_url: str) -> AsyncIterator[FastAPI]:
    """The app configured with the fake WeChat's address and the two mini-programs."""
    settings = make_settings(wechat_base_url=fake_wechat.base_url, wechat_apps=WECHAT_APPS)
    application = create_app(settings, database_url=database_url)
    application.state.live_session_factory = application.state.session_factory
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def wechat_client(
    wechat_app: FastAPI, app: FastAPI, db: AsyncSession, fake_wechat: FakeWechat
) -> AsyncIterator[httpx.AsyncClient]:
    fake_wechat.reset()
    # Join the test's rolled-back transaction, like the default ``client`` does.
    wechat_app.state.session_factory = app.state.session_factory
    transport = httpx.ASGITransport(app=wechat_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
