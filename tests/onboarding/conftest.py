from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.main import create_app
from tests.conftest import make_settings
from tests.support.fake_wechat import FakeWechat
from tests.support.world import World, build_world, callers

APP_ID = "wx_resident_app"
WECHAT_APPS = {APP_ID: "resident-secret"}
INVITATION_URL = "https://mp.redgrid.example/join"


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[FakeWechat]:
    server = FakeWechat(apps=dict(WECHAT_APPS)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def onboarding_app(fake_wechat: FakeWechat, database_url: str) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        wechat_base_url=fake_wechat.base_url,
        wechat_apps=WECHAT_APPS,
        invitation_url=INVITATION_URL,
    )
    application = create_app(settings, database_url=database_url)
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def http(
    onboarding_app: FastAPI, app: FastAPI, db: AsyncSession, fake_wechat: FakeWechat
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the fake WeChat, inside the test's rolled-back transaction."""
    fake_wechat.reset()
    onboarding_app.state.session_factory = app.state.session_factory
    transport = httpx.ASGITransport(app=onboarding_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    return await build_world(
        db, settings, callers(without=("resident",), grid_worker2=("grid_worker", "g2"))
    )


class Resident:
    """A new WeChat user, signed in through the fake: its bearer header."""

    def __init__(self, headers: dict[str, str], user_id: int) -> None:
        self.headers = headers
        self.user_id = user_id


async def wechat_user(http: httpx.AsyncClient, fake: FakeWechat, openid: str) -> Resident:
    code = f"login-{openid}"
    fake.add_code(code, openid=openid)
    response = await http.post("/api/v1/auth/wechat", json={"code": code, "app_id": APP_ID})
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    me = await http.get("/api/v1/me", headers=headers)
    return Resident(headers, me.json()["id"])
