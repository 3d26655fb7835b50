"""``/api/v1/webhooks``: subscriptions within one's scope, their secret, the delivery
log, redelivery and ping; receiver URLs checked against SSRF."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook

from app.audit.models import AuditEvent
from app.integrations.webhooks.models import WebhookDelivery, WebhookSubscription
from app.main import create_app
from tests.conftest import make_settings
from tests.integrations.conftest import URL, deliveries, subject, subscribe
from tests.support.factory import bearer, make_user
from tests.support.problems import assert_problem
from tests.support.world import World


class TestCreate:
    async def test_the_caller_owns_a_subscription_of_its_scope(
        self, hooks_client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        response = await hooks_client.post(
            URL,
            json={
                "url": "https://93.184.215.14/hook",
                "event_types": ["order.*", "points.awarded", "order.*"],
                "org_unit_id": world.units["g1"].id,
                "description": "网格平台",
            },
            headers=world["admin"],
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["owner"] == subject(world, "admin")
        assert body["event_types"] == ["order.*", "points.awarded"]
        assert body["is_active"] is True and body["version"] == 1
        assert response.headers["etag"] == 'W/"1"'
        assert response.headers["location"] == f"{URL}/{body['id']}"
        stored = await db.get(WebhookSubscription, body["id"])
        assert stored is not None
        assert (stored.community_id, stored.grid_id) == (world.units["c1"].id, world.units["g1"].id)
        assert b"whsec_" not in stored.secret  # encrypted at rest
        audited = await db.scalar(
            select(func.count()).where(
                AuditEvent.action == "webhook.create", AuditEvent.target_id == str(body["id"])
            )
        )
        assert audited == 1

    async def test_idempotency_key_replays_the_first_response(
        self, hooks_client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        body = {
            "url": "https://93.184.215.14/a",
            "event_types": ["*"],
            "org_unit_id": world.units["c1"].id,
        }
        headers = world["admin"] | {"Idempotency-Key": "sub-1"}
        first = await hooks_client.post(URL, json=body, headers=headers)
        again = await hooks_client.post(URL, json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        other = await hooks_client.post(
            URL, json=body | {"event_types": ["order.*"]}, headers=headers
        )
        assert_problem(other, 422, "idempotency.key_reused")
        count = await db.scalar(select(func.count()).select_from(WebhookSubscription))
        assert count == 1

    @pytest.mark.parametrize(
        ("who", "unit", "status", "code"),
        [
            ("none", "c1", 401, "auth.unauthenticated"),
            ("dispatcher", "c1", 403, "auth.forbidden"),
            ("sibling", "c1", 404, "resource.not_found"),
            ("admin", "other_town", 404, "resource.not_found"),
        ],
    )
    async def test_outside_the_callers_scope(
        self,
        hooks_client: httpx.AsyncClient,
        world: World,
        who: str,
        unit: str,
        status: int,
        code: str,
    ) -> None:
        response = await hooks_client.post(
            URL,
            json={
                "url": "https://93.184.215.14/",
                "event_types": ["order.*"],
                "org_unit_id": world.units[unit].id,
            },
            headers=world[who],
        )
        assert_problem(response, status, code)

    @pytest.mark.parametrize(
        "event_types",
        [[], ["orders.*"], ["order.**"], ["Order.created"], ["order."], ["a" * 65], ["*"] * 21],
    )
    async def test_event_types_are_names_or_patterns_of_known_families(
        self, hooks_client: httpx.AsyncClient, world: World, event_types: list[str]
    ) -> None:
        response = await hooks_client.post(
            URL,
            json={
                "url": "https://93.184.215.14/",
                "event_types": event_types,
                "org_unit_id": world.units["c1"].id,
            },
            headers=world["admin"],
        )
        body = assert_problem(response, 422, "request.validation_failed")
        assert body["errors"][0]["field"].startswith("event_types")


@pytest.fixture(scope="module")
async def production_app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(make_settings(env="production"), database_url=database_url)
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def production_client(
    production_app: FastAPI, app: FastAPI, db: AsyncSession
) -> AsyncIterator[httpx.AsyncClient]:
    production_app.state.session_factory = app.state.session_factory
    transport = httpx.ASGITransport(app=production_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


class TestSsrf:
    """OWASP API7: in production only https URLs resolving to public addresses."""

    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            ("http://93.184.215.14/hook", "scheme"),
            ("https://127.0.0.1/hook", "private_address"),
            ("https://localhost:8443/hook", "private_address"),
            ("https://[::1]/hook", "private_address"),
            ("https://10.1.2.3/hook", "private_address"),
            ("https://192.168.1.10/hook", "private_address"),
            ("https://172.16.0.5/hook", "private_address"),
            ("https://169.254.169.254/latest/meta-data", "private_address"),
            ("https://[fe80::1]/hook", "private_address"),
            ("https://100.64.0.1/hook", "private_address"),
            ("https://[::ffff:127.0.0.1]/hook", "private_address"),
            ("https://0.0.0.0/hook", "private_address"),
            ("https://user:pass@93.184.215.14/hook", "credentials"),
            ("https://no-such-host.invalid/hook", "unresolvable"),
        ],
    )
    async def test_unsafe_urls_are_422_and_nothing_is_stored(
        self,
        production_client: httpx.AsyncClient,
        world: World,
        db: AsyncSession,
        url: str,
        reason: str,
    ) -> None:
        response = await production_client.post(
            URL,
            json={"url": url, "event_types": ["order.*"], "org_unit_id": world.units["c1"].id},
            headers=world["admin"],
        )
        body = assert_problem(response, 422, "webhook.unsafe_url")
        assert body["reason"] == reason
        assert await db.scalar(select(func.count()).select_from(WebhookSubscription)) == 0

    async def test_a_public_https_address_is_accepted(
        self, production_client: httpx.AsyncClient, world: World
    ) -> None:
        response = await production_client.post(
            URL,
            json={
                "url": "https://93.184.215.14/hook",
                "event_types": ["order.*"],
                "org_unit_id": world.units["c1"].id,
            },
            headers=world["admin"],
        )
        assert response.status_code == 201, response.text

    async def test_changing_the_url_is_checked_too(
        self, production_client: httpx.AsyncClient, world: World
    ) -> None:
        created = await subscribe(production_client, world)
        response = await production_client.patch(
            f"{URL}/{created['id']}",
            json={"url": "https://10.0.0.8/"},
            headers=world["admin"] | {"If-Match": 'W/"1"'},
        )
        assert_problem(response, 422, "webhook.unsafe_url")

    def test_loopback_cannot_be_allowed_in_production(self) -> None:
        with pytest.raises(ValueError, match="ALLOW_PRIVATE_URLS"):
            make_settings(env="production", webhook_allow_private_urls=True)


class TestReadAndChange:
    async def test_list_shows_only_subscriptions_in_scope(
        self, hooks_client: httpx.AsyncClient, world: World
    ) -> None:
        mine = await subscribe(hooks_client, world)
        theirs = await subscribe(hooks_client, world, "sibling", org_unit_id=world.units["c2"].id)
        ids = lambda r: [s["id"] for s in r.json()["items"]]  # noqa: E731
        assert ids(await hooks_client.get(URL, headers=world["admin"])) == [mine["id"]]
        assert ids(await hooks_client.get(URL, headers=world["sibling"])) == [theirs["id"]]
        assert ids(await hooks_client.get(URL, headers=world["town_admin"])) == [
            mine["id"],
            theirs["id"],
        ]
        page = await hooks_client.get(URL, params={"limit": 1}, headers=world["town_admin"])
        assert ids(page) == [mine["id"]]
        rest = await hooks_client.get(
            URL, params={"cursor": page.json()["next_cursor"]}, headers=world["town_admin"]
        )
        assert ids(rest) == [theirs["id"]] and rest.json()["next_cursor"] is None
        outside = await hooks_client.get(f"{URL}/{mine['id']}", headers=world["sibling"])
        assert_problem(outside, 404, "webhook.not_found")

    async def test_update_needs_the_current_version(
        self, hooks_client: httpx.AsyncClient, world: World
    ) -> None:
        created = await subscribe(hooks_client, world)
        path = f"{URL}/{created['id']}"
        assert_problem(
            await hooks_client.patch(path, json={"is_active": False}, headers=world["admin"]),
            428,
            "resource.version_required",
        )
        paused = await hooks_client.patch(
            path,
            json={"is_active": False, "description": "暂停"},
            headers=world["admin"] | {"If-Match": 'W/"1"'},
        )
        assert paused.status_code == 200, paused.text
        assert paused.json()["is_active"] is False and paused.json()["disabled_reason"] == "manual"
        assert paused.headers["etag"] == 'W/"2"'
        stale = await hooks_client.patch(
            path, json={"is_active": True}, headers=world["admin"] | {"If-Match": 'W/"1"'}
        )
        assert_problem(stale, 412, "resource.version_mismatch")
        resumed = await hooks_client.patch(
            path, json={"is_active": True}, headers=world["admin"] | {"If-Match": 'W/"2"'}
        )
        assert resumed.json()["is_active"] is True and resumed.json()["disabled_reason"] is None

    async def test_delete(self, hooks_client: httpx.AsyncClient, world: World) -> None:
        created = await subscribe(hooks_client, world)
        path = f"{URL}/{created['id']}"
        gone = await hooks_client.delete(path, headers=world["admin"] | {"If-Match": 'W/"1"'})
        assert gone.status_code == 204
        assert_problem(
            await hooks_client.get(path, headers=world["admin"]), 404, "webhook.not_found"
        )


class TestSecret:
    async def test_reveal_and_rotate_with_overlap(
        self, hooks_client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        created = await subscribe(hooks_client, world)
        path = f"{URL}/{created['id']}"
        first = (await hooks_client.get(f"{path}/secret", headers=world["admin"])).json()
        assert first["secret"].startswith("whsec_") and first["previous_secret_expires_at"] is None
        Webhook(first["secret"])  # the library accepts it
        rotated = await hooks_client.post(f"{path}/rotate-secret", headers=world["admin"])
        assert rotated.status_code == 200 and rotated.json()["version"] == 2
        second = (await hooks_client.get(f"{path}/secret", headers=world["admin"])).json()
        assert second["secret"] != first["secret"]
        assert second["previous_secret_expires_at"] is not None
        reads = await db.scalar(
            select(func.count()).where(AuditEvent.action == "webhook.secret_read")
        )
        assert reads == 2
        assert_problem(
            await hooks_client.get(f"{path}/secret", headers=world["sibling"]),
            404,
            "webhook.not_found",
        )


class TestDeliveryLog:
    async def test_ping_queues_a_delivery_with_a_location(
        self, hooks_client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        created = await subscribe(hooks_client, world)
        ping = await hooks_client.post(f"{URL}/{created['id']}/ping", headers=world["admin"])
        assert ping.status_code == 202, ping.text
        delivery = ping.json()
        assert delivery["event_type"] == "webhook.ping" and delivery["status"] == "pending"
        detail = await hooks_client.get(ping.headers["location"], headers=world["admin"])
        assert detail.status_code == 200, detail.text
        assert detail.json()["payload"]["type"] == "webhook.ping"
        assert detail.json()["attempt_log"] == []
        listed = await hooks_client.get(f"{URL}/{created['id']}/deliveries", headers=world["admin"])
        assert [d["id"] for d in listed.json()["items"]] == [delivery["id"]]

    async def test_redeliver_a_finished_delivery_keeps_its_webhook_id(
        self, hooks_client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        created = await subscribe(hooks_client, world)
        path = f"{URL}/{created['id']}/deliveries"
        ping = (
            await hooks_client.post(f"{URL}/{created['id']}/ping", headers=world["admin"])
        ).json()
        pending = await hooks_client.post(f"{path}/{ping['id']}/redeliver", headers=world["admin"])
        assert_problem(pending, 409, "webhook.delivery_pending")
        (row,) = await deliveries(db, created["id"])
        row.status = "failed"
        await db.flush()
        again = await hooks_client.post(f"{path}/{ping['id']}/redeliver", headers=world["admin"])
        assert again.status_code == 202, again.text
        assert again.json()["message_id"] == ping["message_id"]
        assert again.json()["id"] != ping["id"] and again.json()["status"] == "pending"
        failed = await hooks_client.get(path, params={"status": "failed"}, headers=world["admin"])
        assert [d["id"] for d in failed.json()["items"]] == [ping["id"]]
        missing = await hooks_client.get(f"{path}/999999", headers=world["admin"])
        assert_problem(missing, 404, "webhook.delivery_not_found")

    async def test_another_scope_sees_nothing(
        self, hooks_client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        created = await subscribe(hooks_client, world)
        for method, path in (
            ("GET", f"{URL}/{created['id']}/deliveries"),
            ("POST", f"{URL}/{created['id']}/ping"),
            ("POST", f"{URL}/{created['id']}/rotate-secret"),
        ):
            response = await hooks_client.request(method, path, headers=world["sibling"])
            assert_problem(response, 404, "webhook.not_found")
        assert await db.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


async def test_superuser_sees_every_subscription(
    hooks_client: httpx.AsyncClient, world: World, db: AsyncSession, hooks_app: FastAPI
) -> None:
    created = await subscribe(hooks_client, world)
    root = bearer(hooks_app.state.settings, await make_user(db, superuser=True))
    response = await hooks_client.get(f"{URL}/{created['id']}", headers=root)
    assert response.status_code == 200
