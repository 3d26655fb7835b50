"""WeChat subscribe messages (订阅消息): residents record what they agreed to, the relay
turns their events into messages (one consent spent per message), and the sender
delivers them to a fake WeChat on loopback that checks what it receives, handling
WeChat's error codes as documented."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings, WechatTemplate, get_settings
from app.hierarchy.models import OrgUnit
from app.integrations import events
from app.integrations.models import OutboxEvent, RelayCounter
from app.integrations.wechat import outbound, rules, tokens
from app.integrations.wechat.models import WechatAccessToken, WechatMessage, WechatSubscription
from app.main import create_app
from app.people.models import Person
from app.users.models import UserAccount, UserIdentity
from app.worker import open_queue, run_worker
from tests.conftest import make_settings
from tests.integrations.live import wait_until
from tests.support.factory import bearer, make_person, make_tree, make_user
from tests.support.fake_wechat import FakeWechat
from tests.support.problems import assert_problem

URL = "/api/v1/me/wechat-subscriptions"
APP, SECRET = "wx_resident_app", "resident-secret"
RESOLVED = "tmpl-order-resolved"
TEMPLATES = {
    APP: {
        "order.resolved": WechatTemplate(
            template_id=RESOLVED,
            page="pages/order/detail?id={order_id}",
            fields={
                "character_string1": "{number}",
                "thing2": "{title}",
                "phrase3": "已办结",
                "time4": "{time}",
            },
        )
    }
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeWechat]:
    server = FakeWechat(apps={APP: SECRET}).start()
    yield server
    server.stop()


@pytest.fixture
def wechat(fake: FakeWechat) -> FakeWechat:
    fake.reset()
    fake.token_delay = 0.0
    return fake


def wechat_settings(fake: FakeWechat, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "wechat_base_url": fake.base_url,
        "wechat_apps": {APP: SECRET},
        "wechat_templates": TEMPLATES,
        "wechat_send_retry_schedule_seconds": [60, 300],
    }
    values.update(overrides)
    return make_settings(**values)


@pytest.fixture(scope="module")
async def wechat_app(fake: FakeWechat, database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(wechat_settings(fake), database_url=database_url)
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def http(
    wechat_app: FastAPI, app: FastAPI, db: AsyncSession
) -> AsyncIterator[httpx.AsyncClient]:
    wechat_app.state.session_factory = app.state.session_factory
    transport = httpx.ASGITransport(app=wechat_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@dataclass(frozen=True)
class Resident:
    user_id: int
    person_id: int
    openid: str
    headers: dict[str, str]
    town_ids: tuple[int, ...]


async def make_resident(
    db: AsyncSession, settings: Settings, *, openid: str = "o-res-1"
) -> Resident:
    units = await make_tree(db)
    person = await make_person(db, units["h1"])
    user = await make_user(db, ("resident", units["h1"]), person_id=person.id)
    db.add(UserIdentity(user_id=user.id, provider="wechat_openid", app_id=APP, subject=openid))
    await db.flush()
    towns = (units["town"].id, units["other_town"].id)
    return Resident(user.id, person.id, openid, bearer(settings, user), towns)


async def grant(db: AsyncSession, resident: Resident, credits: int = 1) -> None:
    db.add(
        WechatSubscription(
            user_id=resident.user_id, app_id=APP, template_id=RESOLVED, credits=credits
        )
    )
    await db.flush()


async def resolved(
    db: AsyncSession, resident: Resident, order_id: int, title: str = "楼道灯不亮"
) -> OutboxEvent:
    await events.publish(
        db,
        "order.resolved",
        aggregate_type="order",
        aggregate_id=order_id,
        payload={
            "order_id": order_id,
            "number": f"GD20261127-{order_id:06d}",
            "title": title,
            "resident_person_id": resident.person_id,
        },
    )
    event = await db.scalar(
        select(OutboxEvent)
        .where(
            OutboxEvent.aggregate_id == str(order_id), OutboxEvent.event_type == "order.resolved"
        )
        .order_by(OutboxEvent.id.desc())
        .limit(1)
    )
    assert event is not None
    return event


async def messages(db: AsyncSession) -> list[WechatMessage]:
    rows = await db.scalars(
        select(WechatMessage).order_by(WechatMessage.id).execution_options(populate_existing=True)
    )
    return list(rows)


async def send_once(
    db: AsyncSession, settings: Settings, refreshed: set[int] | None = None
) -> outbound.Sent:
    token = await tokens.current(db, settings, APP)
    return await outbound.send_due(
        db, settings, {APP: token}, refreshed=refreshed or set(), limit=20
    )


class TestConsent:
    async def test_each_accept_allows_one_message(
        self, http: httpx.AsyncClient, db: AsyncSession, wechat: FakeWechat, settings: Settings
    ) -> None:
        resident = await make_resident(db, settings)
        body = {"app_id": APP, "results": {RESOLVED: "accept", "tmpl-other": "reject"}}
        first = await http.post(URL, json=body, headers=resident.headers | {"Idempotency-Key": "a"})
        assert first.status_code == 201, first.text
        assert [(i["template_id"], i["credits"]) for i in first.json()["items"]] == [(RESOLVED, 1)]
        replay = await http.post(
            URL, json=body, headers=resident.headers | {"Idempotency-Key": "a"}
        )
        assert replay.json() == first.json()  # the retry counts once
        again = await http.post(URL, json=body, headers=resident.headers)
        assert [i["credits"] for i in again.json()["items"]] == [2]
        listed = await http.get(URL, headers=resident.headers)
        assert listed.json() == again.json()

    async def test_refused_without_a_wechat_sign_in_or_for_an_unknown_app(
        self, http: httpx.AsyncClient, db: AsyncSession, settings: Settings
    ) -> None:
        resident = await make_resident(db, settings)
        unknown = await http.post(
            URL,
            json={"app_id": "wx_nope", "results": {RESOLVED: "accept"}},
            headers=resident.headers,
        )
        assert_problem(unknown, 422, "wechat.unknown_app")
        units = await make_tree(db)
        stranger = bearer(settings, await make_user(db, ("resident", units["h1"])))
        response = await http.post(
            URL, json={"app_id": APP, "results": {RESOLVED: "accept"}}, headers=stranger
        )
        assert_problem(response, 422, "wechat.no_identity")
        assert_problem(await http.get(URL), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("results", [{}, {"bad id!": "accept"}, {RESOLVED: "maybe"}])
    async def test_malformed_answers_are_422(
        self, http: httpx.AsyncClient, db: AsyncSession, settings: Settings, results: dict[str, str]
    ) -> None:
        resident = await make_resident(db, settings)
        response = await http.post(
            URL, json={"app_id": APP, "results": results}, headers=resident.headers
        )
        assert_problem(response, 422, "request.validation_failed")


class TestMessages:
    async def test_a_subscribed_resident_gets_a_message_when_the_order_is_resolved(
        self, db: AsyncSession, wechat: FakeWechat, settings: Settings
    ) -> None:
        config = wechat_settings(wechat)
        resident = await make_resident(db, settings)
        await grant(db, resident)
        long_title = "三号楼二单元楼道灯坏了一周晚上看不见路请尽快来修"
        first = await resolved(db, resident, 41, long_title)
        second = await resolved(db, resident, 42)
        assert await outbound.make_messages(db, config, [first, second]) == 1  # one consent
        (message,) = await messages(db)
        assert message.status == "pending" and message.openid == resident.openid
        credits = await db.scalar(select(WechatSubscription.credits))
        assert credits == 0
        done = await send_once(db, config)
        assert done.outcomes == {"sent": 1}
        (sent,) = wechat.sent
        assert sent["touser"] == resident.openid and sent["template_id"] == RESOLVED
        assert sent["page"] == "pages/order/detail?id=41"
        assert sent["data"]["character_string1"] == {"value": "GD20261127-000041"}
        assert sent["data"]["thing2"] == {"value": long_title[:20]}
        assert sent["data"]["phrase3"] == {"value": "已办结"}
        assert [m.status for m in await messages(db)] == ["sent"]

    async def test_43101_is_recorded_and_never_retried(
        self, db: AsyncSession, wechat: FakeWechat, settings: Settings
    ) -> None:
        config = wechat_settings(wechat)
        resident = await make_resident(db, settings)
        await grant(db, resident)
        await outbound.make_messages(db, config, [await resolved(db, resident, 51)])
        wechat.fail_next(resident.openid, 43101)
        await send_once(db, config)
        (message,) = await messages(db)
        assert (message.status, message.last_errcode) == ("refused", 43101)
        assert message.finished_at is not None
        await db.execute(
            update(WechatMessage).values(next_attempt_at=datetime.now(UTC) - timedelta(hours=1))
        )
        assert (await send_once(db, config)).messages == 0
        assert len(wechat.send_attempts) == 1

    @pytest.mark.parametrize("errcode", [-1, 45009])
    async def test_busy_or_rate_limited_is_retried_later(
        self, db: AsyncSession, wechat: FakeWechat, settings: Settings, errcode: int
    ) -> None:
        config = wechat_settings(wechat)
        resident = await make_resident(db, settings)
        await grant(db, resident)
        await outbound.make_messages(db, config, [await resolved(db, resident, 61)])
        wechat.fail_next(resident.openid, errcode)
        before = datetime.now(UTC)
        await send_once(db, config)
        (message,) = await messages(db)
        assert (message.status, message.attempts, message.last_errcode) == ("pending", 1, errcode)
        assert message.next_attempt_at >= before + timedelta(seconds=47)
        assert (await send_once(db, config)).messages == 0  # not due yet
        await db.execute(
            update(WechatMessage).values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await send_once(db, config)
        assert [m.status for m in await messages(db)] == ["sent"]

    async def test_an_expired_token_is_refreshed_once_and_the_message_sent_again(
        self, db: AsyncSession, wechat: FakeWechat, settings: Settings
    ) -> None:
        config = wechat_settings(wechat)
        resident = await make_resident(db, settings)
        await grant(db, resident)
        await outbound.make_messages(db, config, [await resolved(db, resident, 71)])
        first_token = await tokens.current(db, config, APP)
        wechat.expire_tokens()
        refreshed: set[int] = set()
        done = await outbound.send_due(
            db, config, {APP: first_token}, refreshed=refreshed, limit=20
        )
        assert done.stale == {APP} and done.outcomes == {"token_refresh": 1}
        (message,) = await messages(db)
        assert message.status == "pending" and message.attempts == 0  # not a failed attempt
        # What wechat.send does next: a forced refresh, then the same message again.
        new_token = await tokens.current(db, config, APP, stale=first_token)
        assert new_token != first_token and len(wechat.token_calls) == 2
        done = await outbound.send_due(db, config, {APP: new_token}, refreshed=refreshed, limit=20)
        assert done.outcomes == {"sent": 1} and len(wechat.sent) == 1
        # A cached token is reused, not fetched again.
        assert await tokens.current(db, config, APP) == new_token
        assert len(wechat.token_calls) == 2
        stored = await db.scalar(select(WechatAccessToken))
        assert stored is not None and new_token.encode() not in stored.token  # sealed

    async def test_a_second_token_failure_waits_for_a_retry(
        self, db: AsyncSession, wechat: FakeWechat, settings: Settings
    ) -> None:
        config = wechat_settings(wechat)
        resident = await make_resident(db, settings)
        await grant(db, resident)
        await outbound.make_messages(db, config, [await resolved(db, resident, 81)])
        refreshed: set[int] = set()
        await outbound.send_due(db, config, {APP: "revoked"}, refreshed=refreshed, limit=20)
        await outbound.send_due(db, config, {APP: "revoked"}, refreshed=refreshed, limit=20)
        (message,) = await messages(db)
        assert (message.status, message.attempts, message.last_errcode) == ("pending", 1, 40001)

    async def test_a_bad_template_fails_for_good(
        self, db: AsyncSession, wechat: FakeWechat, settings: Settings
    ) -> None:
        config = wechat_settings(wechat)
        resident = await make_resident(db, settings)
        await grant(db, resident)
        await outbound.make_messages(db, config, [await resolved(db, resident, 91)])
        wechat.fail_next(resident.openid, 40037)
        await send_once(db, config)
        (message,) = await messages(db)
        assert (message.status, message.last_errcode) == ("failed", 40037)
        counted = await db.scalar(
            select(RelayCounter.value).where(
                RelayCounter.consumer == "wechat", RelayCounter.outcome == "failed"
            )
        )
        assert counted is not None and counted >= 1


async def test_one_refresh_at_a_time_across_workers(
    engine: AsyncEngine, wechat: FakeWechat
) -> None:
    """Two workers find no usable token at once: one fetches it (WeChat counts fetches
    against a daily quota, and each fetch voids the previous token), the other waits
    on the advisory lock and uses it."""
    config = wechat_settings(wechat)
    wechat.token_delay = 0.5
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def worker() -> str:
        async with sessions() as session, session.begin():
            return await tokens.current(session, config, APP)

    try:
        first, second = await asyncio.gather(worker(), worker())
        assert first == second
        assert len(wechat.token_calls) == 1
    finally:
        async with engine.begin() as conn:
            await conn.execute(WechatAccessToken.__table__.delete())


def test_template_values_fit_wechat_limits() -> None:
    values = rules.context(
        {"title": "x" * 50, "number": "N" * 40}, datetime(2026, 11, 27, 2, 30, tzinfo=UTC)
    )
    data = rules.data(TEMPLATES[APP]["order.resolved"], values)
    assert data["thing2"]["value"] == "x" * 20
    assert data["character_string1"]["value"] == "N" * 32
    assert data["time4"]["value"] == "2026-11-27 10:30"  # Asia/Shanghai
    assert json.dumps(data, ensure_ascii=False)


async def test_the_worker_sends_the_message_when_the_order_is_resolved(
    engine: AsyncEngine, database_url: str, wechat: FakeWechat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end with the real worker (in-process): the resolved order's event is
    relayed, the consent spent, the message sent; the cached token had expired at
    WeChat, so the sender refreshed it once and sent again."""
    config = wechat_settings(wechat)
    for name, value in {
        "REDGRID_ENV": "test",
        "REDGRID_SECRET_KEY": config.secret_key,
        "REDGRID_PII_KEY": config.pii_key,
        "REDGRID_WECHAT_BASE_URL": wechat.base_url,
        "REDGRID_WECHAT_APPS": json.dumps({APP: SECRET}),
        "REDGRID_WECHAT_TEMPLATES": json.dumps(
            {APP: {k: v.model_dump() for k, v in TEMPLATES[APP].items()}}
        ),
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        resident = await make_resident(session, config, openid="o-worker")
        await grant(session, resident)
        await tokens.current(session, config, APP)
    wechat.expire_tokens()
    worker: asyncio.Task[None] | None = None
    try:
        async with open_queue(database_url) as opened:
            worker = asyncio.create_task(
                run_worker(
                    opened,
                    database_url,
                    queues=["outbox", "wechat"],
                    install_signal_handlers=False,
                    shutdown_graceful_timeout=5,
                    concurrency=2,
                )
            )
            async with sessions() as session, session.begin():
                await resolved(session, resident, 4242)
            await wait_until(lambda: bool(wechat.sent), within=60, what="the subscribe message")
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        (sent,) = wechat.sent
        assert sent["touser"] == "o-worker" and sent["data"]["character_string1"] == {
            "value": "GD20261127-004242"
        }
        assert len(wechat.token_calls) == 2  # the cached one, then one refresh
    finally:
        if worker is not None and not worker.done():
            worker.cancel()
        get_settings.cache_clear()
        async with engine.begin() as conn:
            await conn.execute(WechatAccessToken.__table__.delete())
            await conn.execute(
                OutboxEvent.__table__.delete().where(OutboxEvent.aggregate_id == "4242")
            )
            await conn.execute(
                UserAccount.__table__.delete().where(UserAccount.id == resident.user_id)
            )
            await conn.execute(Person.__table__.delete().where(Person.id == resident.person_id))
            await conn.execute(
                OrgUnit.__table__.delete().where(OrgUnit.town_id.in_(resident.town_ids))
            )
