"""Issue 10's "Done when", end to end through the API: a new WeChat user (the fake
WeChat is a real HTTP server on loopback) becomes a verified resident by phone number
alone, by registration and the grid worker's verification, or by a household
invitation code; submits an order with two photos taken with GPS in their EXIF;
another resident cannot fetch those photos; and the photos as stored and as
downloaded carry no GPS. On both storages: the disk and an S3 bucket on a real S3 HTTP
server on loopback."""

import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.files import service as files_service
from app.files.models import StoredFile
from app.main import create_app
from tests.conftest import make_settings
from tests.files.conftest import photo_with_gps
from tests.onboarding.conftest import APP_ID, INVITATION_URL, WECHAT_APPS, Resident, wechat_user
from tests.support.factory import make_person, make_unit
from tests.support.fake_wechat import FakeWechat
from tests.support.s3 import S3Server
from tests.support.world import World

GPS_IFD = 0x8825
ORDER = {
    "category": "repair",
    "title": "楼道灯不亮",
    "description": "三楼楼道灯坏了一周，附照片两张",
    "channel": "miniprogram",
}


@pytest.fixture(scope="session")
def done_s3() -> Iterator[S3Server]:
    server = S3Server().start()
    server.create_bucket("redgrid-onboarding")
    yield server
    server.stop()


@pytest.fixture(scope="session", params=["disk", "s3"])
def done_settings(
    request: pytest.FixtureRequest,
    fake_wechat: FakeWechat,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    storage: dict[str, object] = {}
    if request.param == "s3":
        server: S3Server = request.getfixturevalue("done_s3")
        storage = server.settings("redgrid-onboarding")
    data_dir: Path = tmp_path_factory.mktemp("done-when")
    return make_settings(
        wechat_base_url=fake_wechat.base_url,
        wechat_apps=WECHAT_APPS,
        invitation_url=INVITATION_URL,
        data_dir=data_dir,
        **storage,
    )


@pytest.fixture(scope="session")
async def done_app(done_settings: Settings, database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(done_settings, database_url=database_url)
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def client(
    done_app: FastAPI, app: FastAPI, db: AsyncSession, fake_wechat: FakeWechat
) -> AsyncIterator[httpx.AsyncClient]:
    """Inside the test's rolled-back transaction, as the onboarding ``http`` is."""
    fake_wechat.reset()
    done_app.state.session_factory = app.state.session_factory
    transport = httpx.ASGITransport(app=done_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def has_gps(data: bytes) -> bool:
    return bool(Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD))


async def verified_by_phone(
    http: httpx.AsyncClient, world: World, db: AsyncSession, fake: FakeWechat, openid: str
) -> Resident:
    """A number on record at h1 links the person and grants resident there, at once."""
    mobile = "13900001111"
    await make_person(db, world.unit("h1"), name="王大妈", mobile=mobile)
    who = await wechat_user(http, fake, openid)
    fake.add_phone_code(f"phone-{openid}", mobile)
    body = {"app_id": APP_ID, "code": f"phone-{openid}"}
    response = await http.post("/api/v1/me/phone", json=body, headers=who.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "verified"
    return who


async def verified_by_registration(
    http: httpx.AsyncClient, world: World, db: AsyncSession, fake: FakeWechat, openid: str
) -> Resident:
    """No number on record: registers at h1, pending; the grid worker verifies."""
    who = await wechat_user(http, fake, openid)
    fake.add_phone_code(f"phone-{openid}", "13700007777")
    body = {
        "household_id": world.id("h1"),
        "name": "李四",
        "room": "101",
        "app_id": APP_ID,
        "phone_code": f"phone-{openid}",
    }
    registered = await http.post("/api/v1/me/registration", json=body, headers=who.headers)
    assert registered.status_code == 201, registered.text
    assert registered.json()["status"] == "pending"
    verify = f"/api/v1/resident-registrations/{registered.json()['registration_id']}/verify"
    verified = await http.post(verify, headers=world["grid_worker"])
    assert verified.status_code == 200, verified.text
    return who


async def verified_by_invitation(
    http: httpx.AsyncClient, world: World, db: AsyncSession, fake: FakeWechat, openid: str
) -> Resident:
    """The grid worker's household invitation code binds in one step."""
    invitation = await http.post(
        "/api/v1/household-invitations",
        json={"household_id": world.id("h1")},
        headers=world["grid_worker"],
    )
    assert invitation.status_code == 201, invitation.text
    who = await wechat_user(http, fake, openid)
    body = {"code": invitation.json()["code"], "name": "赵六"}
    joined = await http.post("/api/v1/me/household-invitation", json=body, headers=who.headers)
    assert joined.status_code == 200, joined.text
    return who


ROUTES = {
    "phone": verified_by_phone,
    "registration": verified_by_registration,
    "invitation": verified_by_invitation,
}


@pytest.mark.parametrize("route", list(ROUTES))
async def test_new_wechat_user_reports_with_two_photos_nobody_else_sees_them_no_gps(
    route: str,
    client: httpx.AsyncClient,
    world: World,
    db: AsyncSession,
    fake_wechat: FakeWechat,
    done_settings: Settings,
) -> None:
    http = client
    who = await ROUTES[route](http, world, db, fake_wechat, f"openid-done-{route}")
    status = await http.get("/api/v1/me/onboarding", headers=who.headers)
    assert status.json()["status"] == "verified"
    me = (await http.get("/api/v1/me", headers=who.headers)).json()
    assert [(g["role"], g["org_unit_id"]) for g in me["grants"]] == [("resident", world.id("h1"))]

    # Two photos as a phone takes them, GPS and camera in their EXIF.
    photos = [photo_with_gps((800, 600)), photo_with_gps((600, 800))]
    assert all(has_gps(photo) for photo in photos)
    ids = []
    for n, photo in enumerate(photos):
        response = await http.post(
            "/api/v1/files",
            files={"file": (f"IMG_{n}.jpg", photo, "image/jpeg")},
            headers=who.headers,
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])

    submitted = await http.post(
        "/api/v1/orders", json=ORDER | {"file_ids": ids}, headers=who.headers
    )
    assert submitted.status_code == 201, submitted.text
    order = submitted.json()
    assert order["attachment_file_ids"] == ids

    # The resident and the community's dispatcher see both photos, without GPS.
    for headers in (who.headers, world["dispatcher"]):
        for file_id in ids:
            read = await http.get(f"/api/v1/orders/{order['id']}/files/{file_id}", headers=headers)
            assert read.status_code == 200, read.text
            content = await http.get(read.json()["url"])
            assert content.status_code == 200 and content.headers["content-type"] == "image/jpeg"
            assert not has_gps(content.content)
            assert b"Exif" not in content.content and b"iPhone" not in content.content

    # As stored (on disk or in the bucket): no GPS either.
    store = files_service.storage(done_settings)
    rows = (await db.scalars(select(StoredFile).where(StoredFile.id.in_(ids)))).all()
    assert {row.order_id for row in rows} == {order["id"]}
    for row in rows:
        stored = await store.read(row.storage_key)
        assert not has_gps(stored) and b"Exif" not in stored

    # Another resident — a new WeChat user on record in the next household of the same
    # building — cannot fetch the photos, nor see that the order exists.
    h2 = await make_unit(db, "household", world.unit("b1"), name="1-102")
    await make_person(db, h2, name="邻居", mobile="13800002222")
    neighbour = await wechat_user(http, fake_wechat, f"openid-neighbour-{route}")
    fake_wechat.add_phone_code(f"phone-neighbour-{route}", "13800002222")
    bound = await http.post(
        "/api/v1/me/phone",
        json={"app_id": APP_ID, "code": f"phone-neighbour-{route}"},
        headers=neighbour.headers,
    )
    assert bound.json()["status"] == "verified"
    for file_id in ids:
        attached = await http.get(
            f"/api/v1/orders/{order['id']}/files/{file_id}", headers=neighbour.headers
        )
        assert attached.status_code == 404, attached.text
        own = await http.get(f"/api/v1/files/{file_id}", headers=neighbour.headers)
        assert own.status_code == 404, own.text
    hidden = await http.get(f"/api/v1/orders/{order['id']}", headers=neighbour.headers)
    assert hidden.status_code == 404
