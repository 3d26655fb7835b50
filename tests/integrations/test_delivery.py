"""From outbox to receiver: the relay hands events to webhook subscriptions within their
owner's scope, and the sender delivers them signed, in order per order, with retries.

Each test runs inside its rolled-back transaction; the receiver is a real HTTP server on
loopback. Time is moved by editing ``next_attempt_at``, never by waiting."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook

import app.integrations.webhooks.handlers
import app.notifications.handlers  # noqa: F401  (an owner hears of a disabled endpoint)
from app.authz.tokens import issue_access_token
from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.integrations import events
from app.integrations.models import OutboxEvent
from app.integrations.relay import service as relay
from app.integrations.webhooks import outbound, sender
from app.integrations.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from tests.integrations.conftest import (
    URL,
    add_client,
    deliveries,
    hooks_settings,
    subject,
    subscribe,
)
from tests.support.receiver import Received, WebhookReceiver
from tests.support.world import World

PHONE = "13812345678"


@pytest.fixture
async def clients() -> AsyncIterator[sender.Clients]:
    pool = sender.Clients(5.0)
    yield pool
    await pool.aclose()


async def order_event(
    db: AsyncSession, unit: OrgUnit, order_id: int, step: str, **extra: Any
) -> None:
    """What ``app.orders.service.record`` publishes, for an order at ``unit``."""
    await events.publish(
        db,
        f"order.{step}",
        aggregate_type="order",
        aggregate_id=order_id,
        payload={"order_id": order_id, "step": step, "contact_phone": PHONE, **extra},
        place=unit,
    )


async def relay_all(db: AsyncSession) -> None:
    while (await relay.relay_batch(db, 500)).events:
        pass


async def deliver(
    db: AsyncSession, clients: sender.Clients, settings: Settings | None = None
) -> outbound.Sent:
    return await outbound.deliver_due(db, settings or hooks_settings(), clients, limit=50)


async def deliver_all(db: AsyncSession, clients: sender.Clients) -> None:
    """Batches until nothing is due (each batch sends one event per order)."""
    while (await deliver(db, clients)).deliveries:
        pass


async def secret_of(
    http: httpx.AsyncClient, world: World, subscription_id: int, who: str = "admin"
) -> str:
    response = await http.get(f"{URL}/{subscription_id}/secret", headers=world[who])
    secret: str = response.json()["secret"]
    return secret


def verified(secret: str, received: Received) -> Any:
    """The body, once the Standard Webhooks library has verified its signature."""
    return Webhook(secret).verify(received.body, received.headers)


async def make_due(db: AsyncSession) -> None:
    """The retry time has come (instead of waiting for it)."""
    await db.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.status == "pending")
        .values(next_attempt_at=datetime.now(UTC) - timedelta(hours=1))
    )


class TestScopeAndMasking:
    async def test_each_subscription_hears_its_owners_scope_only(
        self,
        hooks_client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        receiver: WebhookReceiver,
        clients: sender.Clients,
    ) -> None:
        mine = await subscribe(hooks_client, world, url=receiver.url_for("mine"))
        sibling = await subscribe(
            hooks_client,
            world,
            "sibling",
            url=receiver.url_for("sibling"),
            org_unit_id=world.units["c2"].id,
        )
        town = await subscribe(
            hooks_client,
            world,
            "town_admin",
            url=receiver.url_for("town"),
            org_unit_id=world.units["town"].id,
            event_types=["order.resolved"],
        )
        await order_event(db, world.units["h1"], 101, "submitted")
        await order_event(db, world.units["g2"], 202, "submitted")
        await order_event(db, world.units["g1"], 101, "resolved")
        await order_event(db, world.units["oc"], 303, "resolved")  # another town
        await relay_all(db)
        await deliver_all(db, clients)

        def orders(name: str, secret: str) -> list[tuple[int, str]]:
            return [
                (verified(secret, r)["data"]["order_id"], verified(secret, r)["type"])
                for r in receiver.to(name)
            ]

        assert orders("mine", await secret_of(hooks_client, world, mine["id"])) == [
            (101, "order.submitted"),
            (101, "order.resolved"),
        ]
        sibling_secret = await secret_of(hooks_client, world, sibling["id"], "sibling")
        assert orders("sibling", sibling_secret) == [(202, "order.submitted")]
        town_secret = await secret_of(hooks_client, world, town["id"], "town_admin")
        assert orders("town", town_secret) == [(101, "order.resolved")]

    async def test_personal_data_is_masked_without_pii(
        self,
        hooks_client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        receiver: WebhookReceiver,
        clients: sender.Clients,
        hooks_app: Any,
    ) -> None:
        # A government system's client: reads orders, manages webhooks, no pii.
        client = await add_client(db, world.units["c1"], ["orders.read", "webhooks.manage"])
        gov = await subscribe(hooks_client, world, url=receiver.url_for("gov"))
        await db.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == gov["id"])
            .values(owner_subject=f"client:{client.client_id}")
        )
        admin = await subscribe(hooks_client, world, url=receiver.url_for("admin"))
        await order_event(db, world.units["g1"], 404, "submitted", contact_name="张三丰")
        await relay_all(db)
        await deliver(db, clients)
        (masked,) = receiver.to("gov")
        (clear,) = receiver.to("admin")
        assert json.loads(masked.body)["data"]["contact_phone"] == "138****5678"
        assert json.loads(masked.body)["data"]["contact_name"] == "张*丰"
        assert (
            verified(await secret_of(hooks_client, world, admin["id"]), clear)["data"][
                "contact_phone"
            ]
            == PHONE
        )

    async def test_an_owner_who_lost_the_scope_hears_nothing(
        self, hooks_client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        created = await subscribe(hooks_client, world)
        # The owner leaves: an unknown owner receives no more events.
        await db.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == created["id"])
            .values(owner_subject="user:999999999")
        )
        await order_event(db, world.units["g1"], 505, "submitted")
        await relay_all(db)
        assert await deliveries(db, created["id"]) == []

    async def test_points_events_reach_the_community_of_the_member(
        self, hooks_client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        created = await subscribe(hooks_client, world, event_types=["points.*"])
        await events.publish(
            db,
            "points.awarded",
            aggregate_type="points_transaction",
            aggregate_id=77,
            payload={"transaction_id": 77},
            place=world.units["b1"],
        )
        await relay_all(db)
        (delivery,) = await deliveries(db, created["id"])
        assert (
            delivery.event_type == "points.awarded"
            and delivery.ordering_key == "points_transaction:77"
        )


class TestRetries:
    async def test_a_failure_is_logged_and_retried_on_schedule_then_the_delivery_fails(
        self,
        hooks_client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        receiver: WebhookReceiver,
        clients: sender.Clients,
    ) -> None:
        receiver.status = 503
        created = await subscribe(hooks_client, world, url=receiver.url)
        await order_event(db, world.units["g1"], 606, "submitted")
        await relay_all(db)
        before = datetime.now(UTC)
        await deliver(db, clients)
        (delivery,) = await deliveries(db, created["id"])
        assert delivery.status == "pending" and delivery.attempts == 1
        assert (
            before + timedelta(seconds=4)
            <= delivery.next_attempt_at
            <= datetime.now(UTC) + timedelta(seconds=6)
        )
        assert (await deliver(db, clients)).deliveries == 0  # not due yet
        for _ in range(3):
            await make_due(db)
            await deliver(db, clients)
        (delivery,) = await deliveries(db, created["id"])
        assert delivery.status == "failed" and delivery.attempts == 4
        ids = {r.message_id for r in receiver.snapshot()}
        assert ids == {delivery.message_id} and len(receiver.snapshot()) == 4
        detail = (
            await hooks_client.get(
                f"{URL}/{created['id']}/deliveries/{delivery.id}", headers=world["admin"]
            )
        ).json()
        assert detail["status"] == "failed" and detail["next_attempt_at"] is None
        assert [a["status_code"] for a in detail["attempt_log"]] == [503] * 4
        assert {a["outcome"] for a in detail["attempt_log"]} == {"http_error"}
        assert detail["attempt_log"][0]["response_excerpt"] == "unavailable"

    async def test_later_events_of_an_order_wait_for_the_earlier_one(
        self,
        hooks_client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        receiver: WebhookReceiver,
        clients: sender.Clients,
    ) -> None:
        created = await subscribe(hooks_client, world, url=receiver.url)
        receiver.behaviour = lambda path, headers, body: (
            503 if json.loads(body)["type"] == "order.submitted" else 200
        )
        await order_event(db, world.units["g1"], 707, "submitted")
        await order_event(db, world.units["g1"], 707, "triaged")
        await order_event(db, world.units["g1"], 808, "triaged")
        await relay_all(db)
        await deliver(db, clients)
        sent = [(json.loads(r.body)["data"]["order_id"], r.status) for r in receiver.snapshot()]
        assert sorted(sent) == [(707, 503), (808, 200)]  # 707's second event waits
        receiver.behaviour = None
        await make_due(db)
        await deliver_all(db, clients)
        of_707 = [
            json.loads(r.body)["type"] for r in receiver.accepted() if b'"order_id":707' in r.body
        ]
        assert of_707 == ["order.submitted", "order.triaged"]
        assert {d.status for d in await deliveries(db, created["id"])} == {"succeeded"}

    async def test_a_redirect_is_a_failure_and_is_not_followed(
        self,
        hooks_client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        receiver: WebhookReceiver,
        clients: sender.Clients,
    ) -> None:
        receiver.behaviour = lambda path, headers, body: "redirect"
        created = await subscribe(hooks_client, world, url=receiver.url)
        await order_event(db, world.units["g1"], 909, "submitted")
        await relay_all(db)
        await deliver(db, clients)
        assert [r.path for r in receiver.snapshot()] == ["/hook"]
        (delivery,) = await deliveries(db, created["id"])
        assert delivery.status == "pending" and delivery.last_status_code == 302

    async def test_a_failing_endpoint_is_disabled_and_its_owner_told(
        self,
        hooks_client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        receiver: WebhookReceiver,
        clients: sender.Clients,
    ) -> None:
        receiver.status = 500
        created = await subscribe(hooks_client, world, url=receiver.url)
        await order_event(db, world.units["g1"], 1001, "submitted")
        await relay_all(db)
        await deliver(db, clients)
        subscription = await db.get(WebhookSubscription, created["id"], populate_existing=True)
        assert subscription is not None and subscription.is_active
        assert subscription.failing_since is not None
        subscription.failing_since = datetime.now(UTC) - timedelta(days=6)
        await db.flush()
        await make_due(db)
        await deliver(db, clients)
        await db.refresh(subscription)
        assert not subscription.is_active and subscription.disabled_reason == "failing"
        told = await db.scalar(
            select(OutboxEvent).where(
                OutboxEvent.event_type == "webhook.disabled",
                OutboxEvent.aggregate_id == str(created["id"]),
            )
        )
        assert told is not None and told.payload["owner"] == subject(world, "admin")
        assert told.community_id == world.units["c1"].id
        await relay_all(db)
        inbox = await hooks_client.get("/api/v1/notifications", headers=world["admin"])
        (note,) = inbox.json()["items"]
        assert (note["event_type"], note["title"]) == ("webhook.disabled", "Webhook 已停用")
        assert receiver.url in note["body"]
        # Paused: its waiting delivery stays, and is not sent while disabled.
        await make_due(db)
        assert (await deliver(db, clients)).deliveries == 0

    async def test_success_clears_the_failing_mark(
        self,
        hooks_client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        receiver: WebhookReceiver,
        clients: sender.Clients,
    ) -> None:
        receiver.status = 500
        created = await subscribe(hooks_client, world, url=receiver.url)
        await order_event(db, world.units["g1"], 1101, "submitted")
        await relay_all(db)
        await deliver(db, clients)
        receiver.status = 204
        await make_due(db)
        await deliver(db, clients)
        subscription = await db.get(WebhookSubscription, created["id"], populate_existing=True)
        assert subscription is not None and subscription.failing_since is None


class TestReceiversCannotHoldAWorker:
    async def test_a_slow_answer_times_out(
        self,
        hooks_client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        receiver: WebhookReceiver,
    ) -> None:
        receiver.behaviour = lambda path, headers, body: "slow"
        created = await subscribe(hooks_client, world, url=receiver.url)
        await order_event(db, world.units["g1"], 1201, "submitted")
        await relay_all(db)
        quick = sender.Clients(1.0)
        try:
            await deliver(db, quick, hooks_settings(webhook_timeout_seconds=1.0))
        finally:
            await quick.aclose()
        (attempt,) = (await db.execute(select(WebhookAttempt))).scalars()
        assert attempt.outcome == "timeout" and attempt.status_code is None
        # Bounded by the deadline, not by the receiver's ten minutes of trickling.
        assert 900 <= attempt.latency_ms < 30_000
        (delivery,) = await deliveries(db, created["id"])
        assert delivery.status == "pending"

    async def test_a_huge_body_is_read_only_as_far_as_the_excerpt(
        self,
        hooks_client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        receiver: WebhookReceiver,
        clients: sender.Clients,
    ) -> None:
        receiver.behaviour = lambda path, headers, body: "huge"
        created = await subscribe(hooks_client, world, url=receiver.url)
        await order_event(db, world.units["g1"], 1301, "submitted")
        await relay_all(db)
        await deliver(db, clients)
        (attempt,) = (await db.execute(select(WebhookAttempt))).scalars()
        assert attempt.outcome == "success" and attempt.response_excerpt == "x" * 1000
        (delivery,) = await deliveries(db, created["id"])
        assert delivery.status == "succeeded"

    async def test_a_private_address_is_refused_at_delivery_too(
        self,
        hooks_client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        receiver: WebhookReceiver,
        clients: sender.Clients,
    ) -> None:
        """A URL accepted under the development setting is still refused by a sender
        running without it (and a DNS answer that changed would be caught the same way)."""
        created = await subscribe(hooks_client, world, url=receiver.url)
        await order_event(db, world.units["g1"], 1401, "submitted")
        await relay_all(db)
        await deliver(db, clients, hooks_settings(webhook_allow_private_urls=False))
        assert receiver.snapshot() == []
        (attempt,) = (await db.execute(select(WebhookAttempt))).scalars()
        assert (attempt.outcome, attempt.error) == ("refused_address", "scheme")
        (delivery,) = await deliveries(db, created["id"])
        assert delivery.status == "pending"


class TestSigning:
    async def test_after_a_rotation_both_secrets_verify_until_the_overlap_ends(
        self,
        hooks_client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        receiver: WebhookReceiver,
        clients: sender.Clients,
    ) -> None:
        created = await subscribe(hooks_client, world, url=receiver.url)
        old = await secret_of(hooks_client, world, created["id"])
        await hooks_client.post(f"{URL}/{created['id']}/rotate-secret", headers=world["admin"])
        new = await secret_of(hooks_client, world, created["id"])
        await order_event(db, world.units["g1"], 1501, "submitted")
        await relay_all(db)
        await deliver(db, clients)
        (received,) = receiver.snapshot()
        assert len(received.headers["webhook-signature"].split(" ")) == 2
        assert verified(old, received) == verified(new, received)
        assert received.headers["webhook-id"].startswith("msg_")
        await db.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == created["id"])
            .values(previous_secret_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await hooks_client.post(f"{URL}/{created['id']}/ping", headers=world["admin"])
        await deliver(db, clients)
        ping = receiver.snapshot()[-1]
        assert len(ping.headers["webhook-signature"].split(" ")) == 1
        assert verified(new, ping)["type"] == "webhook.ping"

    async def test_retries_keep_the_webhook_id(
        self,
        hooks_client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        receiver: WebhookReceiver,
        clients: sender.Clients,
    ) -> None:
        receiver.status = 502
        await subscribe(hooks_client, world, url=receiver.url)
        await order_event(db, world.units["g1"], 1601, "submitted")
        await relay_all(db)
        await deliver(db, clients)
        receiver.status = 200
        await make_due(db)
        await deliver(db, clients)
        first, second = receiver.snapshot()
        assert first.message_id == second.message_id
        assert first.body == second.body


async def test_a_client_owner_needs_its_token_scopes_only_at_subscription_time(
    hooks_client: httpx.AsyncClient, world: World, db: AsyncSession, hooks_app: Any
) -> None:
    """Clients subscribe with their own token (client_credentials) like users do."""
    client = await add_client(db, world.units["c1"], ["orders.read", "webhooks.manage"])
    token, _ = issue_access_token(
        hooks_app.state.settings, f"client:{client.client_id}", scopes=("webhooks.manage",)
    )
    headers = {"Authorization": f"Bearer {token}"}
    response = await hooks_client.post(
        URL,
        json={
            "url": "https://93.184.215.14/",
            "event_types": ["order.*"],
            "org_unit_id": world.units["g1"].id,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["owner"] == f"client:{client.client_id}"
