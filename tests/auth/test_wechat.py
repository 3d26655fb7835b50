"""WeChat mini-program sign-in against a fake code2Session server on loopback."""

import asyncio
import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.main import create_app
from app.users.models import UserAccount, UserIdentity
from tests.auth.conftest import WECHAT_APPS
from tests.conftest import make_settings
from tests.support.cleanup import purge_audit
from tests.support.fake_wechat import FakeWechat
from tests.support.problems import assert_problem
from tests.users.helpers import audit_events

URL = "/api/v1/auth/wechat"
RESIDENT_APP, MEMBER_APP = "wx_resident_app", "wx_member_app"


async def _sign_in(
    http: httpx.AsyncClient, code: str, app_id: str = RESIDENT_APP
) -> dict[str, str]:
    response = await http.post(URL, json={"code": code, "app_id": app_id})
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


async def _me(http: httpx.AsyncClient, tokens: dict[str, str]) -> dict[str, object]:
    response = await http.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def _identities(db: AsyncSession, user_id: object) -> set[tuple[str, str, str]]:
    query = select(UserIdentity.provider, UserIdentity.app_id, UserIdentity.subject).where(
        UserIdentity.user_id == user_id
    )
    return {(p, a, s) for p, a, s in (await db.execute(query)).all()}


async def test_first_sign_in_creates_an_account(
    wechat_client: httpx.AsyncClient, db: AsyncSession, fake_wechat: FakeWechat
) -> None:
    fake_wechat.add_code("code-1", openid="openid-A")
    tokens = await _sign_in(wechat_client, "code-1")
    assert tokens["token_type"] == "bearer" and tokens["refresh_token"]
    assert fake_wechat.calls == [
        {
            "appid": RESIDENT_APP,
            "secret": WECHAT_APPS[RESIDENT_APP],
            "js_code": "code-1",
            "grant_type": "authorization_code",
        }
    ]
    me = await _me(wechat_client, tokens)
    assert str(me["username"]).startswith("wx_") and me["person"] is None
    assert me["grants"] == [] and me["permissions"] == []
    account = (await db.execute(select(UserAccount).where(UserAccount.id == me["id"]))).scalar_one()
    assert account.password_hash is None and account.person_id is None
    assert await _identities(db, me["id"]) == {("wechat_openid", RESIDENT_APP, "openid-A")}
    (event,) = await audit_events(db, action="auth.login", actor_user_id=me["id"])
    assert event.outcome == "success" and "新建账号" in event.summary
    assert "openid-A" not in event.summary


async def test_known_openid_signs_in_to_the_same_account(
    wechat_client: httpx.AsyncClient, db: AsyncSession, fake_wechat: FakeWechat
) -> None:
    fake_wechat.add_code("code-1", openid="openid-A")
    fake_wechat.add_code("code-2", openid="openid-A")
    first = await _me(wechat_client, await _sign_in(wechat_client, "code-1"))
    second = await _me(wechat_client, await _sign_in(wechat_client, "code-2"))
    assert first["id"] == second["id"]
    count = select(UserAccount.id).where(UserAccount.username.startswith("wx_"))
    assert len((await db.execute(count)).all()) == 1


async def test_unionid_links_two_mini_programs_to_one_account(
    wechat_client: httpx.AsyncClient, db: AsyncSession, fake_wechat: FakeWechat
) -> None:
    fake_wechat.add_code("res-code", openid="openid-res", unionid="union-1")
    fake_wechat.add_code("mem-code", openid="openid-mem", unionid="union-1")
    resident = await _me(wechat_client, await _sign_in(wechat_client, "res-code", RESIDENT_APP))
    member = await _me(wechat_client, await _sign_in(wechat_client, "mem-code", MEMBER_APP))
    assert resident["id"] == member["id"]
    assert await _identities(db, member["id"]) == {
        ("wechat_openid", RESIDENT_APP, "openid-res"),
        ("wechat_openid", MEMBER_APP, "openid-mem"),
        ("wechat_unionid", "", "union-1"),
    }
    # A different person (another unionid) gets another account.
    fake_wechat.add_code("other", openid="openid-other", unionid="union-2")
    other = await _me(wechat_client, await _sign_in(wechat_client, "other", MEMBER_APP))
    assert other["id"] != member["id"]


async def test_invalid_or_reused_code(
    wechat_client: httpx.AsyncClient, db: AsyncSession, fake_wechat: FakeWechat
) -> None:
    response = await wechat_client.post(URL, json={"code": "never-issued", "app_id": RESIDENT_APP})
    assert_problem(response, 401, "auth.wechat_invalid_code")
    fake_wechat.add_code("once", openid="openid-A")
    await _sign_in(wechat_client, "once")
    reused = await wechat_client.post(URL, json={"code": "once", "app_id": RESIDENT_APP})
    assert_problem(reused, 401, "auth.wechat_invalid_code")
    failures = await audit_events(db, action="auth.login", outcome="failure")
    assert len(failures) == 2 and all("code" in e.summary for e in failures)


async def test_other_wechat_errors_are_bad_gateway(
    wechat_client: httpx.AsyncClient, fake_wechat: FakeWechat
) -> None:
    fake_wechat.add_error("busy", -1, "system error")
    fake_wechat.add_error("limited", 45011, "api minute-quota reach limit")
    for code in ("busy", "limited"):
        response = await wechat_client.post(URL, json={"code": code, "app_id": RESIDENT_APP})
        assert_problem(response, 502, "auth.wechat_unavailable")


async def test_unknown_app_is_refused_without_calling_wechat(
    wechat_client: httpx.AsyncClient, fake_wechat: FakeWechat
) -> None:
    response = await wechat_client.post(URL, json={"code": "c", "app_id": "wx_unknown"})
    assert_problem(response, 422, "auth.wechat_unknown_app")
    assert fake_wechat.calls == []


async def test_wechat_down_is_bad_gateway(app: FastAPI, db: AsyncSession) -> None:
    stopped = FakeWechat(apps=dict(WECHAT_APPS)).start()
    stopped.stop()
    settings = make_settings(wechat_base_url=stopped.base_url, wechat_apps=WECHAT_APPS)
    down_app = create_app(settings, database_url=app.state.database_url)
    down_app.state.session_factory = app.state.session_factory
    try:
        transport = httpx.ASGITransport(app=down_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.post(URL, json={"code": "c", "app_id": RESIDENT_APP})
        assert_problem(response, 502, "auth.wechat_unavailable")
    finally:
        await down_app.state.engine.dispose()


async def test_disabled_account_is_refused(
    wechat_client: httpx.AsyncClient, db: AsyncSession, fake_wechat: FakeWechat
) -> None:
    fake_wechat.add_code("code-1", openid="openid-A")
    fake_wechat.add_code("code-2", openid="openid-A")
    me = await _me(wechat_client, await _sign_in(wechat_client, "code-1"))
    await db.execute(update(UserAccount).where(UserAccount.id == me["id"]).values(is_active=False))
    response = await wechat_client.post(URL, json={"code": "code-2", "app_id": RESIDENT_APP})
    assert_problem(response, 403, "auth.account_disabled")


async def test_simultaneous_first_sign_ins_make_one_account(
    wechat_app: FastAPI, fake_wechat: FakeWechat, engine: AsyncEngine
) -> None:
    """Real, independent connections: the identity lock lets only one request create
    the account; the others find it."""
    fake_wechat.reset()
    openid = f"openid-{uuid.uuid4().hex}"
    codes = [f"race-{n}-{openid}" for n in range(6)]
    for code in codes:
        fake_wechat.add_code(code, openid=openid, unionid=f"union-{openid}")
    wechat_app.state.session_factory = wechat_app.state.live_session_factory
    transport = httpx.ASGITransport(app=wechat_app)
    user_ids: set[object] = set()
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            tokens = await asyncio.gather(*(_sign_in(http, code) for code in codes))
            user_ids = {(await _me(http, t))["id"] for t in tokens}
        assert len(user_ids) == 1
        async with engine.connect() as conn:
            owners = (
                (
                    await conn.execute(
                        select(UserIdentity.user_id).where(
                            UserIdentity.subject.in_([openid, f"union-{openid}"])
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert set(owners) == user_ids and len(owners) == 2
    finally:
        async with engine.begin() as conn:
            await purge_audit(conn, users=[int(u) for u in user_ids])  # type: ignore[call-overload]
            await conn.execute(
                delete(UserAccount).where(
                    UserAccount.id.in_(
                        select(UserIdentity.user_id).where(UserIdentity.subject == openid)
                    )
                )
            )
